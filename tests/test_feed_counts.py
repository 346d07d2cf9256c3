"""A feed's item count is kept on its row (migration 0009), not counted on each read: the
public pages and answers that show a feed cost the same whatever it holds."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from aggregator.db import Database
from aggregator.feeds import create_feed, get_feed, list_feeds
from aggregator.migrations import migrations
from tests.factories import feed, post

# Everything an anonymous reader can ask of a feed, and the feeds' list.
PUBLIC_READS = (
    "/api/feeds",
    "/",
    "/feeds/demo",
    "/feeds/demo/wall",
    "/feeds/demo/embed",
    "/feeds/demo/atom.xml",
    "/api/feeds/demo/items",
)


def test_the_count_follows_every_post_of_each_feed(db) -> None:
    demo, other = feed(db), feed(db, "other")
    last = [post(db, demo, n) for n in range(5)][-1]
    assert post(db, demo, 3) is None  # the same post again: deduplicated, not counted twice
    post(db, other, 3)  # a post already in `demo`, now in `other` too: it counts in both
    post(db, other, 9, deleted=True)  # a deleted post is in the feed (as deleted) and counts
    counts = {f["name"]: f["item_count"] for f in list_feeds(db)}
    assert counts == {"demo": 5, "other": 2}
    assert get_feed(db, "demo")["item_count"] == 5
    assert get_feed(db, "demo")["last_seq"] == last["seq"]


def test_a_row_that_leaves_a_feed_leaves_its_count(db) -> None:
    """No path of the product removes a post from a feed today; the schema uncounts it all the same."""
    demo = feed(db)
    first = post(db, demo, 1)
    post(db, demo, 2)
    with db.write() as tx:
        tx.execute("DELETE FROM feed_items WHERE item_id = ?", [first["id"]])
    assert get_feed(db, "demo")["item_count"] == 1


def test_public_reads_of_a_feed_count_none_of_its_posts(client, db) -> None:
    demo = feed(db)
    for n in range(30):
        post(db, demo, n)
    executed: list[str] = []
    db._reader.set_trace_callback(executed.append)
    db._writer.set_trace_callback(executed.append)
    for path in PUBLIC_READS:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
    assert executed, "the trace saw the reads"
    assert not [sql for sql in executed if "count(" in sql.lower() and "feed_items" in sql.lower()]
    assert client.get("/api/feeds").get_json()[0]["item_count"] == 30


def test_the_migration_counts_the_posts_stored_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0009_feed_item_counts")  # a database of before the count
    old.execute("INSERT INTO feeds (id, name, query, created_at) VALUES (1, 'demo', '#demo', '2012')")
    old.execute("INSERT INTO feeds (id, name, query, created_at) VALUES (2, 'empty', '#empty', '2012')")
    for n in range(3):
        old.execute(
            "INSERT INTO items (id, source, source_id, created_at, collected_at, raw)"
            " VALUES (?, 'test', ?, '2012', '2012', '{}')",
            [f"test:{n}", str(n)],
        )
        old.execute(
            "INSERT INTO feed_items (feed_id, item_id, added_seq, seq, status)"
            " VALUES (1, ?, ?, ?, 'approved')",
            [f"test:{n}", n + 1, n + 1],
        )
    old.conn.commit()
    old.close()
    db = Database(path)  # opening it applies the rest
    assert {f["name"]: f["item_count"] for f in list_feeds(db)} == {"demo": 3, "empty": 0}
    post(db, get_feed(db, "demo", counted=False), "new")
    assert get_feed(db, "demo")["item_count"] == 4
    db.close()


def test_a_new_feed_starts_at_zero(db) -> None:
    created = create_feed(db, "fresh", "#fresh", [])
    assert created["item_count"] == 0
