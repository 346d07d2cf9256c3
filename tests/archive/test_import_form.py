"""The curators' upload form: stories and files of posts, with CSRF and clear errors."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from aggregator.feeds import create_feed, get_feed, list_items
from aggregator.imports import FORMATS as FEED_FORMATS
from stories.formats import STORY_IMPORT_FORMATS
from stories.model import get_header
from tests.archive.conftest import FIXTURES, curated_story
from tests.factories import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def upload(client: Any, csrf: str, name: str, fmt: str, content: bytes | None = None, **fields: str) -> Any:
    """Post file `name` to the import form: `content` when given, else the fixture of that name."""
    data = {
        "csrf_token": csrf,
        "format": fmt,
        "file": (io.BytesIO((FIXTURES / name).read_bytes() if content is None else content), name),
        **fields,
    }
    return client.post("/import", data=data, content_type="multipart/form-data")


def test_viewers_are_sent_to_log_in(client: Any) -> None:
    response = client.get("/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_uploaded_storify_story_belongs_to_the_curator_who_uploaded_it(
    client: Any, curators: Any, db: Any
) -> None:
    csrf = curators.login(client)
    form = client.get("/import").get_data(as_text=True)
    assert 'name="csrf_token"' in form
    assert all(f'<option value="{fmt}">' in form for fmt in STORY_IMPORT_FORMATS + FEED_FORMATS)
    response = upload(client, csrf, "storify-v1.json", "storify")
    assert response.status_code == 302
    assert response.headers["Location"] == "/stories/tea-party-on-the-lawn/edit"
    story = get_header(db, "tea-party-on-the-lawn")
    assert story["owner"] == "ada" and not story["open_to_curators"]


def test_uploaded_posts_go_into_the_chosen_feed_with_a_summary(client: Any, curators: Any, db: Any) -> None:
    create_feed(db, "summit", "#kredsummit", [])
    csrf = curators.login(client)
    response = upload(client, csrf, "mastodon-statuses.json", "mastodon", feed="summit")
    assert response.status_code == 302
    assert len(list_items(db, get_feed(db, "summit"), after=0)) == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Read 4 items: 2 added, 1 duplicates, 1 skipped." in page


def test_an_upload_without_the_csrf_token_is_refused(client: Any, curators: Any, db: Any) -> None:
    curators.login(client)
    response = upload(client, "wrong", "storify-v1.json", "storify")
    assert response.status_code == 400
    assert get_header(db, "tea-party-on-the-lawn") is None


def test_a_bad_upload_shows_the_error_and_keeps_the_form(client: Any, curators: Any, db: Any) -> None:
    curated_story(db)
    csrf = curators.login(client)
    exported = client.get("/stories/curated/export.json").data
    response = upload(client, csrf, "curated.json", "tagstory", exported)
    assert response.status_code == 400
    assert "a story with slug &#39;curated&#39; exists already" in response.get_data(as_text=True)


def test_the_editor_offers_every_export(client: Any, curators: Any, db: Any) -> None:
    curated_story(db)
    with db.write() as tx:
        tx.execute("UPDATE stories SET open_to_curators = 1")
    curators.login(client)
    page = client.get("/stories/curated/edit").get_data(as_text=True)
    for path in (
        "/stories/curated/export.html",
        "/stories/curated/export.json",
        "/stories/curated/export.md",
    ):
        assert f'href="{path}"' in page


def test_an_html_export_uploaded_under_a_new_slug_becomes_a_copy(client: Any, curators: Any, db: Any) -> None:
    curated_story(db)
    csrf = curators.login(client)
    page = client.get("/stories/curated/export.html").data
    response = upload(client, csrf, "curated.html", "tagstory", page, slug="copy")
    assert response.status_code == 302
    assert get_header(db, "copy")["title"] == get_header(db, "curated")["title"]
    copy = client.get("/stories/copy").get_data(as_text=True)
    assert len(re.findall(r'data-element-id="[0-9a-f]+"', copy)) == 9
