"""The append-only event log: seq order, rooms, catch-up reads, publish only after COMMIT."""

from __future__ import annotations

import pytest

from aggregator import eventlog
from stories.elements import add_element
from tests.factories import cheap_passwords, feed, post, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def _append(db, tx, room, n):
    return eventlog.append(db, tx, room, "item", "add", {"n": n})


def test_seqs_increase_across_rooms_in_commit_order(db):
    with db.write() as tx:
        seqs = [_append(db, tx, room, n) for n, room in enumerate(["feed:a", "feed:b", "feed:a"])]
    with db.write() as tx:
        seqs.append(_append(db, tx, "story:s", 3))
    assert seqs == [1, 2, 3, 4]
    assert [e["seq"] for e in eventlog.all_after(db, 0)] == [1, 2, 3, 4]
    assert eventlog.last_seq(db) == 4


def test_events_after_reads_one_room_in_order_within_bounds(db):
    with db.write() as tx:
        for n in range(6):
            _append(db, tx, "feed:a" if n % 2 == 0 else "feed:b", n)
    assert [e["seq"] for e in eventlog.events_after(db, "feed:a", 0)] == [1, 3, 5]
    assert [e["seq"] for e in eventlog.events_after(db, "feed:a", 1)] == [3, 5]
    assert [e["seq"] for e in eventlog.events_after(db, "feed:a", 0, upto=3)] == [1, 3]
    assert [e["seq"] for e in eventlog.events_after(db, "feed:a", 0, limit=1)] == [1]
    assert eventlog.events_after(db, "feed:none", 0) == []
    event = eventlog.events_after(db, "feed:b", 0)[0]
    assert event == {"seq": 2, "room": "feed:b", "type": "item", "payload": {"n": 1, "seq": 2}}


def test_catch_up_is_an_index_range_scan(db):
    plan = db.query(
        "EXPLAIN QUERY PLAN SELECT seq, room, type, payload FROM events"
        " WHERE room = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
        ["feed:a", 0, 10, 10],
    )
    detail = " ".join(row["detail"] for row in plan)
    assert "events_by_room" in detail and "TEMP B-TREE" not in detail


def test_events_are_published_only_after_commit(db):
    published = []
    db.publish = published.extend
    with db.write() as tx:
        _append(db, tx, "feed:a", 0)
        with db.write() as inner:  # a nested write joins the outer transaction
            _append(db, inner, "feed:a", 1)
        assert published == []
    assert [e["seq"] for e in published] == [1, 2]
    assert published[0] == {"seq": 1, "room": "feed:a", "type": "item", "payload": {"n": 0, "seq": 1}}


def test_a_rolled_back_write_publishes_nothing_and_logs_nothing(db):
    published = []
    db.publish = published.extend
    with pytest.raises(RuntimeError), db.write() as tx:
        _append(db, tx, "feed:a", 0)
        raise RuntimeError("fails before commit")
    assert published == [] and eventlog.last_seq(db) == 0
    with db.write() as tx:  # the next write neither reuses nor republishes the lost event
        _append(db, tx, "feed:a", 1)
    assert [e["payload"]["n"] for e in published] == [1]


def test_pipeline_and_story_changes_land_in_their_rooms(db, curators):
    demo = feed(db)
    item = post(db, demo, 1)
    owned = story(db, curators.create())
    add_element(db, owned, {"type": "item", "item_id": item["id"]}, actor="ada")
    rooms = [(e["room"], e["type"]) for e in eventlog.all_after(db, 0)]
    assert rooms == [("feed:demo", "item"), (f"story:{owned['slug']}", "story")]
    assert eventlog.history(db, f"story:{owned['slug']}")[0]["actor"] == "ada"


def test_broadcaster_emits_each_event_once_to_its_own_room(db, socket_client, deliver):
    feed(db, "one")
    feed(db, "two")
    one, two = socket_client(), socket_client()
    assert one.emit("join", {"feed": "one"}, callback=True)["ok"]
    assert two.emit("join", {"feed": "two"}, callback=True)["ok"]
    from aggregator.feeds import get_feed

    post(db, get_feed(db, "one"), 1)
    post(db, get_feed(db, "one"), 2)
    assert deliver() == 2
    assert deliver() == 0  # nothing twice
    received = [p["args"][0]["item"]["text"] for p in one.get_received() if p["name"] == "item"]
    assert received == ["post 1", "post 2"]
    assert two.get_received() == []
