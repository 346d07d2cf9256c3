"""`export --embed-media` reads the wall form's own pictures (`/uploads/<name>`) from UPLOADS_FOLDER.

The address policy refuses this server's own address (FETCH_ALLOW_PRIVATE is off), so they
are read from the folder: only a file of the folder itself, by a name the form stores.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from aggregator.items import Author, Item, Media, store_items
from tests.archive.conftest import PNG
from tests.factories import cheap_passwords, feed
from web.participate.images import MIMETYPES

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _story_pinning(client: Any, headers: dict[str, str], item_ids: list[str]) -> str:
    """A story of the feed `demo` pinning these posts, approved first (a wall's post waits for a curator)."""
    for item_id in item_ids:
        approved = client.patch(
            f"/api/feeds/demo/items/{item_id}", json={"status": "approved"}, headers=headers
        )
        assert approved.status_code == 200, approved.get_data(as_text=True)
    story = client.post("/api/stories", json={"title": "From the hall", "feed": "demo"}, headers=headers)
    assert story.status_code == 201, story.get_data(as_text=True)
    slug = story.get_json()["slug"]
    for item_id in item_ids:
        pinned = client.post(
            f"/api/stories/{slug}/elements", json={"type": "item", "item_id": item_id}, headers=headers
        )
        assert pinned.status_code == 201, pinned.get_data(as_text=True)
    return slug


def _export(runner: Any, slug: str, output: Path) -> tuple[str, str]:
    result = runner.invoke(args=["export", slug, "-o", str(output), "--embed-media"])
    assert result.exit_code == 0, result.output
    return result.output, output.read_text(encoding="utf-8").split('id="tagstory-archive">')[0]


def test_a_picture_sent_through_the_wall_form_is_embedded_from_the_uploads_folder(
    app: Any, db: Any, client: Any, runner: Any, curators: Any, tmp_path: Path
) -> None:
    app.config["UPLOADS_FOLDER"] = str(tmp_path / "pictures")
    feed(db, "demo")
    headers = curators.token("ada")
    assert client.patch("/api/feeds/demo", json={"web_posts": True}, headers=headers).status_code == 200
    form = client.get("/feeds/demo/post").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    sent = client.post(
        "/feeds/demo/post",
        data={
            "csrf_token": csrf,
            "name": "Ada",
            "text": "The stage",
            "image": (io.BytesIO(_picture()), "a.png"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    (item,) = client.get("/api/feeds/demo/items?status=pending", headers=headers).get_json()["items"]
    (media,) = item["media"]
    assert media["url"].startswith("http://localhost/uploads/")  # this server's own address
    slug = _story_pinning(client, headers, [item["id"]])
    output, page = _export(runner, slug, tmp_path / "story.html")
    assert "could not be embedded" not in output, output
    name = media["url"].rsplit("/", 1)[1]
    kind = MIMETYPES[name.rsplit(".", 1)[1]]
    stored = (tmp_path / "pictures" / name).read_bytes()
    assert f'src="data:{kind};base64,{base64.b64encode(stored).decode()}"' in page


def test_nothing_but_a_file_of_the_folder_is_read(
    app: Any, db: Any, client: Any, runner: Any, curators: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    app.config["UPLOADS_FOLDER"] = str(folder)
    secret = tmp_path / "outside.png"
    secret.write_bytes(PNG)
    linked = "0" * 32 + ".png"
    (folder / linked).symlink_to(secret)  # a name the form could have stored, leading out of the folder
    addresses = {
        "link": f"http://localhost/uploads/{linked}",
        "dots": "http://localhost/uploads/../outside.png",
        "encoded": "http://localhost/uploads/..%2foutside.png",
    }
    items = [
        Item(
            source="web",
            source_id=f"hostile-{name}",
            author=Author(name, None, None, None),
            text=name,
            media=[Media("image", url, None, name)],
        )
        for name, url in addresses.items()
    ]
    store_items(db, feed(db, "demo"), items)
    slug = _story_pinning(client, curators.token("ada"), [item.id for item in items])
    output, page = _export(runner, slug, tmp_path / "story.html")
    assert "3 image(s) could not be embedded" in output, output
    assert f"{addresses['link']}: not a file of the uploads folder" in output
    for name in ("dots", "encoded"):  # not a name of the folder: fetched as any address, and refused
        assert f"{addresses[name]}: localhost resolves to a loopback address" in output, output
    assert "data:image/png" not in page
