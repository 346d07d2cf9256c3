"""Fixtures for archive tests: stories built the way curators build them, files, a local image server."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aggregator.items import Author, Item, Media, store_items
from stories.elements import add_element
from stories.model import create_story, get_header
from tests.sources.servers.local import SHUTDOWN_POLL

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
SHARED_JETSTREAM = ROOT.parent / "shared" / "fixtures" / "bluesky-jetstream" / "jetstream-v1-2026-07-04.jsonl"
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2217bc40000000049454e44ae426082"
)


def curated_story(db: Any, image_base: str = "https://example.org", slug: str = "curated") -> dict[str, Any]:
    """A published story built through the editor's own functions: headings, text, links, posts."""
    items = [
        Item(
            source="x",
            source_id=f"curated-{number}",
            author=Author(
                f"Poster {number}",
                f"poster{number}",
                f"https://x.com/poster{number}",
                f"{image_base}/avatar{number}.png",
            ),
            text=f"Post {number} </script><script>alert(1)</script> https://example.org/{number} #tag",
            url=f"https://x.com/poster{number}/status/{number}",
            created_at="2026-07-04T12:00:00.000Z",
            media=[Media("image", f"{image_base}/photo{number}.png", None, f"Photo {number}")]
            if number % 2
            else [],
            raw={"id": number, "note": "the payload as received"},
        )
        for number in range(6)
    ]
    store_items(db, None, items)
    story = create_story(
        db,
        "Curated <story>",
        None,
        None,
        slug=slug,
        description="A test story.",
        status="published",
        byline="Ada",
    )
    add_element(db, story, {"type": "text", "text": "Opening", "style": "heading"})
    for number, item in enumerate(items):
        add_element(
            db, story, {"type": "item", "item_id": item.id, "annotation": "Good one" if number == 2 else ""}
        )
        if number == 3:
            add_element(db, story, {"type": "text", "text": "Between <em>posts</em>", "style": "paragraph"})
    add_element(
        db,
        story,
        {"type": "link", "url": "https://example.org/read", "title": "Read more", "text": "A link."},
    )
    return get_header(db, slug)


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, Any], Path]:
    """Write data as JSON to a file in tmp_path and return its path."""

    def write(name: str, data: Any) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return write


class _Images(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/big"):
            body, kind = b"\x89PNG" + b"0" * 200_000, "image/png"
        elif self.path.startswith("/page"):
            body, kind = b"<html></html>", "text/html"
        elif self.path.startswith("/missing"):
            self.send_error(404)
            return
        else:
            body, kind = PNG, "image/png"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[str]:
    """A local HTTP server of PNG images (/big is 200 kB, /page is HTML, /missing is 404)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, args=(SHUTDOWN_POLL,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()
