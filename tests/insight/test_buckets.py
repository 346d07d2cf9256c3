"""The insight buckets stay exact through everything that changes a feed's posts: ingest,
moderation (hide, approve, block an author, new rules), edits and deletions at the source,
forgetting an author, imports, and the migration that fills them for a database from before.

Two checks after every step, both from outside the buckets: each figure's link (the items
API) lists exactly as many posts as the figure counts, and the buckets equal those the
migration builds from the stored posts on a copy of the database.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from aggregator.db import Database
from aggregator.items import change_items, item_from_dict, store_items
from tests.conftest import make_app
from tests.factories import feed, post_dict
from web.feeds.insight import _figures

# (n, network, minute:second, author, text, extra fields)
POSTS = [
    (1, "mastodon", "18:00:05", "ada", "Opening #Tagstory #live https://example.org/a", {"lang": "en"}),
    (2, "mastodon", "18:00:40", "ada", "More #tagstory", {"lang": "en-GB"}),
    (3, "bluesky", "18:00:59", "bob", "Hello #live", {"lang": "fr"}),
    (4, "bluesky", "18:01:10", "bob", "A reply https://example.org/a.", {"lang": "fr", "reply_to": "x1"}),
    (5, "mastodon", "18:01:30", "cy", "A repost #tagstory", {"repost_of": "x2"}),
    (6, "bluesky", "18:02:00", "ada", "spam word here", {"lang": "en"}),
    (
        7,
        "bluesky",
        "18:02:20",
        "dee",
        "A picture",
        {"media": [{"type": "image", "url": "https://example.org/p.png"}]},
    ),
    (8, "mastodon", "18:03:45", "troll", "Blocked #tagstory", {"lang": "en"}),
    (9, "mastodon", "18:05:00", "ada", "Later #tagstory", {"lang": "en"}),
]
WINDOWS = [
    {},
    {"since": "2012-05-29T18:00:00Z", "until": "2012-05-29T18:05:00Z"},
    {"since": "2012-05-29T18:00:30Z", "until": "2012-05-29T18:03:50Z"},  # partial minutes at both ends
    {"since": "2012-05-29T18:01:05Z", "until": "2012-05-29T18:01:40Z"},  # inside one minute
    {"since": "2012-05-29T18:00:41Z"},
    {"until": "2012-05-29T18:02:10Z"},
]


def _data(n: int, network: str, at: str, author: str, text: str, extra: dict[str, Any]) -> dict[str, Any]:
    return post_dict(
        n,
        source=network,
        text=text,
        author={"name": author.title(), "handle": author},
        created_at=f"2012-05-29T{at}Z",
        **extra,
    )


@pytest.fixture
def demo(db: Any, client: Any, curators: Any) -> dict[str, Any]:
    """The feed `demo` with the posts above, spam hidden by its rules."""
    made = feed(db)
    patched = client.patch(
        "/api/feeds/demo", json={"rules": {"blocked_words": ["spam"]}}, headers=curators.token()
    )
    assert patched.status_code == 200
    for row in POSTS:
        store_items(db, made, [item_from_dict(_data(*row), source=row[1])])
    return made


def _from_before(db: Database, tmp_path: Path) -> Path:
    """A copy of the database as it was before migration 0007: no buckets, no record of it."""
    copy = tmp_path / f"before-{len(list(tmp_path.iterdir()))}.sqlite"
    source, target = sqlite3.connect(db.path), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.executescript(
        "DROP TABLE insight_buckets; DROP INDEX items_by_created_at; DROP INDEX items_by_author;"
        " DELETE FROM _sqlite_migrations WHERE name = '0007_insight_buckets';"
    )
    target.close()
    return copy


def _rebuilt(db: Database, tmp_path: Path) -> list[tuple]:
    """The buckets migration 0007 builds from the stored posts, on a copy of the database."""
    again = Database(_from_before(db, tmp_path))
    rows = _buckets(again)
    again.close()
    return rows


def _buckets(db: Database) -> list[tuple]:
    return [
        tuple(row) for row in db.query("SELECT * FROM insight_buckets ORDER BY feed_id, figure, minute, key")
    ]


def _check(client: Any, headers: dict[str, str], db: Database, tmp_path: Path) -> dict[str, Any]:
    """Every window's figures count what their links list; the buckets equal a rebuild. The
    whole feed's numbers are returned."""
    for window in WINDOWS:
        numbers = client.get("/api/feeds/demo/insight", query_string=window, headers=headers).json
        for figure in _figures(numbers):
            listed = client.get(figure["posts"], headers=headers).json["items"]
            assert len(listed) == figure["count"], (window, figure)
        assert sum(r["count"] for r in numbers["volume"]) == numbers["total"]["count"]
        moderation = numbers["moderation"]
        assert (
            sum(moderation[s]["count"] for s in ("approved", "pending", "hidden"))
            == numbers["total"]["count"]
        )
    assert _buckets(db) == _rebuilt(db, tmp_path)
    return client.get("/api/feeds/demo/insight", headers=headers).json


def _id(client: Any, headers: dict[str, str], n: int) -> str:
    items = client.get(
        "/api/feeds/demo/items", query_string={"status": "approved,pending,hidden"}, headers=headers
    ).json["items"]
    return next(item["id"] for item in items if item["source_id"] == str(n))


def test_moderation_moves_the_counts(client, curators, db, demo, tmp_path):
    headers = curators.token()
    numbers = _check(client, headers, db, tmp_path)
    assert numbers["moderation"]["hidden"]["count"] == 1

    hidden = client.patch(
        f"/api/feeds/demo/items/{_id(client, headers, 3)}", json={"status": "hidden"}, headers=headers
    )
    assert hidden.status_code == 200
    client.patch(
        f"/api/feeds/demo/items/{_id(client, headers, 6)}", json={"status": "approved"}, headers=headers
    )
    client.patch(
        f"/api/feeds/demo/items/{_id(client, headers, 5)}", json={"status": "pending"}, headers=headers
    )
    numbers = _check(client, headers, db, tmp_path)
    assert {s: numbers["moderation"][s]["count"] for s in ("approved", "pending", "hidden")} == {
        "approved": 7,
        "pending": 1,
        "hidden": 1,
    }
    assert numbers["moderation"]["rules"] == []  # hidden by a curator: no rule

    blocked = client.post(f"/api/feeds/demo/items/{_id(client, headers, 8)}/block-author", headers=headers)
    assert blocked.status_code == 200
    client.patch("/api/feeds/demo", json={"rules": {"hide_replies": True}}, headers=headers)
    store_items(
        db, demo, [item_from_dict(_data(10, "bluesky", "18:04:10", "eve", "Re #live", {"reply_to": "x3"}))]
    )
    store_items(db, demo, [item_from_dict(_data(11, "bluesky", "18:04:20", "troll", "Again", {}))])
    numbers = _check(client, headers, db, tmp_path)
    rules = {r["reason"]: r["count"] for r in numbers["moderation"]["rules"]}
    assert rules == {"blocked author: troll": 2, "replies are hidden": 1}


def test_edits_and_deletions_at_the_source_move_the_counts(client, curators, db, demo, tmp_path):
    headers = curators.token()
    edited = item_from_dict(_data(2, "mastodon", "18:00:40", "ada", "Now #other https://example.org/b", {}))
    edited.media = item_from_dict(_data(*POSTS[6])).media
    assert change_items(db, changed=[edited], deleted=[("bluesky", "3"), ("mastodon", "1")]) == 3
    numbers = _check(client, headers, db, tmp_path)
    assert numbers["total"]["count"] == 7
    assert {r["hashtag"]: r["count"] for r in numbers["hashtags"]} == {"tagstory": 3, "other": 1}
    assert {r["link"]: r["count"] for r in numbers["links"]} == {
        "https://example.org/a": 1,
        "https://example.org/b": 1,
    }
    assert [(r["type"], r["count"]) for r in numbers["media"]] == [("image", 2)]


def test_forgetting_an_author_takes_their_posts_out_of_every_count(client, curators, db, demo, tmp_path):
    headers = curators.token()
    forgot = client.post(f"/api/feeds/demo/items/{_id(client, headers, 1)}/forget", headers=headers)
    assert forgot.status_code == 200 and forgot.json["items"] == 3  # ada on mastodon: 1, 2 and 9
    numbers = _check(client, headers, db, tmp_path)
    assert numbers["total"]["count"] == 6
    assert {r["author"]: r["count"] for r in numbers["contributors"]}["ada"] == 1  # her bluesky post
    assert "" not in {r["author"] for r in numbers["contributors"]}


def test_imported_posts_are_counted(client, curators, db, runner, tmp_path):
    headers = curators.token()
    lines = [json.dumps(_data(*row)) for row in POSTS]
    archive = tmp_path / "posts.jsonl"
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(archive), "--feed", "demo"])
    assert result.exit_code == 0, result.output
    numbers = _check(client, headers, db, tmp_path)
    assert numbers["total"]["count"] == len(POSTS)
    assert {r["hashtag"]: r["count"] for r in numbers["hashtags"]} == {"tagstory": 5, "live": 2}


def test_the_migration_fills_the_buckets_of_a_database_from_before(client, curators, db, demo, tmp_path):
    """The app opened on a database made before migration 0007 fills its buckets from the
    posts: the same buckets, the same numbers and links."""
    headers = curators.token()
    client.patch(
        f"/api/feeds/demo/items/{_id(client, headers, 3)}", json={"status": "pending"}, headers=headers
    )
    change_items(db, deleted=[("mastodon", "2")])
    answers = [
        client.get("/api/feeds/demo/insight", query_string=window, headers=headers).json for window in WINDOWS
    ]
    older = make_app(str(_from_before(db, tmp_path)), REPLAY_SPEED=0.0)
    try:
        reopened = older.extensions["tagstory.db"]
        assert _buckets(reopened) == _buckets(db)
        with older.test_client() as again:
            assert [
                again.get("/api/feeds/demo/insight", query_string=window, headers=headers).json
                for window in WINDOWS
            ] == answers
    finally:
        older.extensions["tagstory.db"].close()
