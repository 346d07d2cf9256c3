"""Imports of foreign files: Storify stories, and twarc2, Mastodon and Jetstream posts into a feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aggregator.feeds import create_feed, get_feed, list_items
from stories.elements import list_elements
from stories.model import get_header
from tests.archive.conftest import FIXTURES, SHARED_JETSTREAM


@pytest.fixture
def feed(db: Any) -> dict[str, Any]:
    create_feed(db, "summit", "#kredsummit", [])
    return get_feed(db, "summit")


def items_of(db: Any, feed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        item["source_id"]: item for item in list_items(db, get_feed(db, feed["name"]), after=0, limit=1000)
    }


def run_import(runner: Any, path: Path, fmt: str, *extra: str) -> Any:
    result = runner.invoke(args=["import", str(path), "--format", fmt, *extra])
    assert result.exit_code == 0, result.output
    return result


def test_a_storify_export_lives_again_as_a_story(db: Any, runner: Any) -> None:
    result = run_import(runner, FIXTURES / "storify-v1.json", "storify")
    assert "Imported story 'tea-party-on-the-lawn' with 6 elements" in result.output
    story = get_header(db, "tea-party-on-the-lawn")
    assert (story["title"], story["byline"], story["status"]) == (
        "Tea party on the lawn",
        "Fictional Curator",
        "published",
    )
    assert (story["created_at"], story["updated_at"]) == (
        "2012-06-01T10:00:00.000Z",
        "2012-06-02T11:30:00.000Z",
    )
    elements = list_elements(db, story)
    assert [e["type"] for e in elements] == ["text", "item", "item", "link", "item", "item"]
    assert elements[0]["text_html"] == "<p>It started with <b>one</b> teapot.</p>"
    tweet = elements[1]["item"]
    assert (tweet["source"], tweet["source_id"]) == ("x", "208000000000000001")
    assert tweet["author"] == {
        "name": "Tea Fan (fictional)",
        "handle": "teafan_fictional",
        "url": "http://twitter.com/teafan_fictional",
        "avatar": "https://example.org/a/teafan.png",
    }
    assert tweet["created_at"] == "2012-06-01T10:05:00.000Z"
    assert tweet["url"] == "http://twitter.com/teafan_fictional/status/208000000000000001"
    assert '<a href="http://example.org/photos"' in tweet["html"]
    image = elements[2]["item"]
    assert image["source"] == "flickr"
    assert image["media"] == [
        {
            "type": "image",
            "url": "https://example.org/photos/lawn.jpg",
            "preview": None,
            "alt": "The lawn at noon",
        }
    ]
    assert (elements[3]["url"], elements[3]["title"], elements[3]["text"]) == (
        "https://example.org/recipes/scones",
        "Scones, the recipe",
        "How they were made.",
    )
    assert elements[4]["item"]["media"][0]["type"] == "video"
    assert elements[5]["item"]["source"] == "storify"
    raw = db.query_one("SELECT raw FROM items WHERE id = ?", [tweet["id"]])["raw"]
    assert json.loads(raw)["id"] == "el-2"


def test_twarc2_pages_become_feed_items_with_authors_links_and_media(
    db: Any, runner: Any, feed: dict
) -> None:
    result = run_import(runner, FIXTURES / "twarc2-search.jsonl", "twarc", "--feed", "summit")
    assert "Read 5 items: 3 added, 1 duplicates, 1 skipped." in result.output
    assert "skipped 1: a response without 'data' (errors only)" in result.output
    items = items_of(db, feed)
    first = items["1800000000000000001"]
    assert first["author"]["handle"] == "attendee1_fictional"
    assert first["url"] == "https://x.com/attendee1_fictional/status/1800000000000000001"
    assert first["text"].endswith("https://t.co/abc123 & more")
    assert (
        '<a href="https://example.org/slides" rel="nofollow noopener noreferrer ugc">https://t.co/abc123</a>'
        in first["html"]
    )
    assert '<a href="https://x.com/speaker_fictional"' in first["html"]
    assert '<a href="https://x.com/hashtag/kredsummit"' in first["html"]
    assert first["media"] == [
        {"type": "image", "url": "https://example.org/m/stage.jpg", "preview": None, "alt": "The stage"}
    ]
    assert items["1800000000000000002"]["repost_of"] == "1799999999999999999"
    reply = items["1800000000000000003"]
    assert reply["reply_to"] == "1800000000000000001"
    assert '👍 <a href="https://x.com/hashtag/kredsummit"' in reply["html"]


def test_importing_the_same_twarc_file_twice_adds_nothing(db: Any, runner: Any, feed: dict) -> None:
    run_import(runner, FIXTURES / "twarc2-search.jsonl", "twarc", "--feed", "summit")
    again = run_import(runner, FIXTURES / "twarc2-search.jsonl", "twarc", "--feed", "summit")
    assert "Read 5 items: 0 added, 4 duplicates, 1 skipped." in again.output


@pytest.mark.parametrize("name", ["mastodon-statuses.json", "mastodon-statuses.jsonl"])
def test_mastodon_statuses_from_an_array_or_jsonl_are_sanitized_and_deduped_on_uri(
    db: Any, runner: Any, feed: dict, name: str
) -> None:
    result = run_import(runner, FIXTURES / name, "mastodon", "--feed", "summit")
    assert "Read 4 items: 2 added, 1 duplicates, 1 skipped." in result.output
    assert "invalid status: a status needs 'uri', 'account' and 'content'" in result.output
    items = items_of(db, feed)
    alice = items["https://social.example/users/alice/statuses/112000000000000001"]
    assert alice["author"]["handle"] == "alice@social.example"
    assert (
        "javascript:" not in alice["html"]
        and "<script" not in alice["html"]
        and "alert(2)" not in alice["html"]
    )
    assert '<a href="https://social.example/tags/kredsummit"' in alice["html"]
    assert alice["media"][0]["alt"] == "A slide about influence"
    bob = items["https://other.example/users/bob/statuses/42"]
    assert bob["sensitive"] and bob["lang"] == "de"
    assert bob["html"].startswith("<p>CW: Talk &lt;spoilers&gt;</p>")
    assert bob["author"]["name"] == "bob"


def test_jetstream_posts_get_links_from_facets_counted_in_utf8_bytes(
    db: Any, runner: Any, feed: dict
) -> None:
    result = run_import(runner, FIXTURES / "jetstream-posts.jsonl", "jetstream", "--feed", "summit")
    assert "Read 5 items: 2 added, 0 duplicates, 3 skipped." in result.output
    assert "skipped 1: commit create app.bsky.feed.like" in result.output
    post = items_of(db, feed)["at://did:plc:fictional0001/app.bsky.feed.post/3fict001"]
    html = post["html"]
    assert (
        'Привет 👋 see <a href="https://example.org/talk" rel="nofollow noopener noreferrer ugc">'
        "example.org/talk</a>" in html
    )
    assert (
        '<a href="https://bsky.app/hashtag/KredSummit" rel="nofollow noopener noreferrer ugc">#KredSummit</a>'
        in html
    )
    assert (
        '<a href="https://bsky.app/profile/did:plc:bobfictional" rel="nofollow noopener noreferrer ugc">'
        "@bob.test</a>" in html
    )
    assert post["url"] == "https://bsky.app/profile/did:plc:fictional0001/post/3fict001"
    assert (
        post["media"][0]["url"]
        == "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:fictional0001/bafkreifictionalimage@jpeg"
    )
    assert post["media"][0]["alt"] == "A crowd"
    reply = items_of(db, feed)["at://did:plc:fictional0002/app.bsky.feed.post/3fict002"]
    assert reply["reply_to"] == "at://did:plc:fictional0001/app.bsky.feed.post/3fict001"


@pytest.mark.skipif(not SHARED_JETSTREAM.exists(), reason="../shared/fixtures is not on this machine")
def test_a_real_jetstream_capture_imports_only_its_new_posts(db: Any, runner: Any, feed: dict) -> None:
    result = run_import(runner, SHARED_JETSTREAM, "jetstream", "--feed", "summit")
    assert "Read 152 items: 17 added, 0 duplicates, 135 skipped." in result.output
    assert "skipped 105: commit create app.bsky.feed.like" in result.output
    items = items_of(db, feed)
    assert len(items) == 17
    tagged = [i for i in items.values() if "IndieRebellion" in i["text"]]
    assert tagged and all('href="https://bsky.app/hashtag/IndieRebellion"' in i["html"] for i in tagged)
    for item in items.values():
        assert item["source"] == "bluesky" and item["url"].startswith("https://bsky.app/profile/did:")


def test_post_formats_need_a_feed(runner: Any) -> None:
    result = runner.invoke(args=["import", str(FIXTURES / "twarc2-search.jsonl"), "--format", "twarc"])
    assert result.exit_code == 1
    assert "--feed NAME is required for --format twarc" in result.output
