"""A story's feed travels with its archive, and an import into a feed that does not exist creates it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aggregator.feeds import create_feed, get_feed, list_items
from stories.elements import add_element
from stories.model import create_story, get_header
from tests.archive.conftest import FIXTURES
from tests.archive.test_import_form import upload
from tests.factories import cheap_passwords, post

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


@pytest.fixture
def fresh_app(app_with: Callable[..., Any]) -> Any:
    """A second server: the app on its own empty database."""
    return app_with()


def feed_story(db: Any) -> dict[str, Any]:
    """A published story curated from the feed `summit`, which follows #kredsummit on Bluesky."""
    feed = create_feed(db, "summit", "#kredsummit", ["bluesky"])
    pinned = post(db, feed, 1)
    story = create_story(db, "Summit", feed["id"], None, slug="summit-story", status="published")
    add_element(db, story, {"type": "item", "item_id": pinned["id"]})
    return get_header(db, "summit-story")


def export_json(runner: Any, slug: str, path: Path) -> dict[str, Any]:
    result = runner.invoke(args=["export", slug, "-o", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8"))


def test_export_import_into_a_fresh_database_export_keeps_the_feed(
    db: Any, runner: Any, fresh_app: Any, tmp_path: Path
) -> None:
    feed_story(db)
    first = export_json(runner, "summit-story", tmp_path / "first.json")
    assert first["feed"] == {"name": "summit", "query": "#kredsummit"}
    result = fresh_app.test_cli_runner().invoke(
        args=["import", str(tmp_path / "first.json"), "--format", "tagstory"]
    )
    assert result.exit_code == 0, result.output
    assert "Created feed summit (query #kredsummit, no sources)." in result.output
    fresh = fresh_app.test_client()
    assert fresh.get("/api/stories/summit-story").get_json()["feed"] == "summit"
    feeds = fresh.get("/api/feeds").get_json()
    assert [(f["name"], f["query"], f["sources"]) for f in feeds] == [("summit", "#kredsummit", [])]
    second = export_json(fresh_app.test_cli_runner(), "summit-story", tmp_path / "second.json")
    assert (second["feed"], second["story"]["feed"]) == (first["feed"], first["story"]["feed"])


def test_an_archive_attaches_to_the_feed_of_that_name_when_it_exists(
    db: Any, runner: Any, fresh_app: Any, tmp_path: Path
) -> None:
    feed_story(db)
    export_json(runner, "summit-story", tmp_path / "story.json")
    fresh_db = fresh_app.extensions["tagstory.db"]
    create_feed(fresh_db, "summit", "#other", [])
    result = fresh_app.test_cli_runner().invoke(
        args=["import", str(tmp_path / "story.json"), "--format", "tagstory"]
    )
    assert result.exit_code == 0 and "Created feed" not in result.output, result.output
    assert get_header(fresh_db, "summit-story")["feed"] == "summit"
    assert get_feed(fresh_db, "summit")["query"] == "#other"


def test_an_older_archive_without_a_feed_object_still_imports(db: Any, runner: Any, tmp_path: Path) -> None:
    feed_story(db)
    archive = export_json(runner, "summit-story", tmp_path / "story.json")
    del archive["feed"]
    archive["story"]["feed"] = "gone"  # named, but this server has no such feed
    path = tmp_path / "older.json"
    path.write_text(json.dumps(archive), encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--format", "tagstory", "--slug", "older"])
    assert result.exit_code == 0, result.output
    assert get_header(db, "older")["feed"] is None and get_feed(db, "gone") is None


POST_FILES = [
    ("twarc", "twarc2-search.jsonl", 3),
    ("mastodon", "mastodon-statuses.json", 2),
    ("jetstream", "jetstream-posts.jsonl", 2),
]


@pytest.mark.parametrize(("fmt", "name", "added"), POST_FILES)
def test_posts_imported_into_a_new_feed_create_it(
    db: Any, runner: Any, fmt: str, name: str, added: int
) -> None:
    result = runner.invoke(args=["import", str(FIXTURES / name), "--format", fmt, "--feed", "new-feed"])
    assert result.exit_code == 0, result.output
    assert "Created feed new-feed (query #new-feed, no sources).\nRead " in result.output
    feed = get_feed(db, "new-feed")
    assert feed["sources"] == [] and len(list_items(db, feed, after=0)) == added


def test_jsonl_posts_into_a_new_feed_create_it(db: Any, runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"source": "test", "source_id": "1", "text": "hi", "author": {"name": "A"}}))
    result = runner.invoke(args=["import", str(path), "--format", "jsonl", "--feed", "fresh"])
    assert result.exit_code == 0 and "Created feed fresh" in result.output, result.output
    assert [item["text"] for item in list_items(db, get_feed(db, "fresh"), after=0)] == ["hi"]


def test_a_refused_file_leaves_no_new_feed_behind(db: Any, runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"source": "test", "source_id": "1", "text": "hi", "author": {"name": "A"}}\n{broken\n')
    result = runner.invoke(args=["import", str(path), "--format", "jsonl", "--feed", "fresh"])
    assert result.exit_code == 1 and "line 2: broken JSON" in result.output
    assert get_feed(db, "fresh") is None


@pytest.mark.parametrize("fmt", ["twarc", "storify"])
def test_a_feed_name_that_cannot_be_one_is_refused(db: Any, runner: Any, fmt: str) -> None:
    name = {"twarc": "twarc2-search.jsonl", "storify": "storify-v1.json"}[fmt]
    result = runner.invoke(args=["import", str(FIXTURES / name), "--format", fmt, "--feed", "Not A Name"])
    assert result.exit_code == 1
    assert "feed 'Not A Name': name must be 1-64 lowercase letters" in result.output
    assert "nothing was imported" in result.output
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 0


def test_the_import_page_creates_the_feed_it_is_given(client: Any, curators: Any, db: Any) -> None:
    csrf = curators.login(client)
    form = client.get("/import").get_data(as_text=True)
    assert '<input id="feed" name="feed" list="feed-names"' in form
    response = upload(client, csrf, "mastodon-statuses.json", "mastodon", feed="from-upload")
    assert response.status_code == 302 and response.headers["Location"] == "/feeds/from-upload"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created feed from-upload (query #from-upload, no sources)." in page
    assert len(list_items(db, get_feed(db, "from-upload"), after=0)) == 2
    response = upload(client, csrf, "storify-v1.json", "storify", feed="tea")
    assert response.status_code == 302
    assert get_header(db, "tea-party-on-the-lawn")["feed"] == "tea"
    assert "Created feed tea" in client.get(response.headers["Location"]).get_data(as_text=True)
