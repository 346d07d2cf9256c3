"""oEmbed's thumbnail: a story's cover with its real pixel size, measured from the image a local
server serves, or none of the three fields when the cover cannot be read."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from tests.conftest import copy_database, make_app
from tests.factories import cheap_passwords, feed, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 80, 160)).save(out, "PNG")
    return out.getvalue()


PAGES = {
    "/cover.png": ("image/png", _png((1200, 630))),
    "/page.html": ("text/html", b"<html>not a picture</html>"),
    "/lying.png": ("image/png", b"<html>a page that says it is a PNG</html>"),
}


@pytest.fixture
def covers() -> Iterator[str]:
    """A local server of covers (and of things that are not)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kind, body = PAGES.get(self.path, ("text/plain", b"missing"))
            self.send_response(200 if self.path in PAGES else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_app(tmp_path: Any, migrated_database: Any) -> Iterator[Any]:
    """The app allowed to fetch from 127.0.0.1 (FETCH_ALLOW_PRIVATE), as a test or an intranet sets it."""
    application = make_app(copy_database(migrated_database, tmp_path / "t.sqlite"), FETCH_ALLOW_PRIVATE=True)
    yield application
    application.extensions["tagstory.db"].close()


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/cover.png", (1200, 630)), ("/page.html", None), ("/lying.png", None), ("/missing.png", None)],
)
def test_oembed_gives_the_covers_url_width_and_height_together_or_none(private_app, covers, path, expected):
    from stories.curators import create_curator

    db = private_app.extensions["tagstory.db"]
    feed(db, "demo")
    cover = f"{covers}{path}"
    live = story(db, create_curator(db, "ada", "a long enough password"), "Summit", cover=cover)
    body = private_app.test_client().get(f"/oembed?url=http://localhost/stories/{live['slug']}").get_json()
    fields = {"thumbnail_url", "thumbnail_width", "thumbnail_height"}
    if expected is None:
        assert not fields & body.keys(), body
    else:
        assert (body["thumbnail_url"], body["thumbnail_width"], body["thumbnail_height"]) == (
            cover,
            *expected,
        )
