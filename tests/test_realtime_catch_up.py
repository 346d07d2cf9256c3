"""Joining a room: the acknowledgement carries what was missed, then live events follow."""

from aggregator.feeds import create_feed
from aggregator.items import item_from_dict, store_items


def _post(db, feed, n):
    item = item_from_dict(
        {"source": "test", "source_id": str(n), "text": f"post {n}", "author": {"name": "T"}}
    )
    return store_items(db, feed, [item])[0]


def test_reconnecting_viewer_receives_missed_items_then_live_ones_without_duplicates(
    db, socket_client, deliver
):
    feed = create_feed(db, "demo", "#demo", [])
    first = [_post(db, feed, n) for n in range(3)]
    deliver()
    viewer = socket_client()
    ack = viewer.emit("join", {"feed": "demo", "after": first[0]["seq"]}, callback=True)
    assert ack["ok"]
    assert [e["data"]["seq"] for e in ack["events"]] == [first[1]["seq"], first[2]["seq"]]
    later = _post(db, feed, 3)
    deliver()
    live = [packet["args"][0] for packet in viewer.get_received() if packet["name"] == "item"]
    assert [event["seq"] for event in live] == [later["seq"]]
    assert live[0]["item"]["text"] == "post 3"


def test_event_written_while_joining_arrives_exactly_once(db, socket_client, deliver):
    feed = create_feed(db, "demo", "#demo", [])
    _post(db, feed, 0)
    deliver()
    pending = _post(db, feed, 1)  # committed, not yet broadcast when the viewer joins
    viewer = socket_client()
    ack = viewer.emit("join", {"feed": "demo", "after": 0}, callback=True)
    deliver()
    seqs = [e["data"]["seq"] for e in ack["events"]]
    seqs += [p["args"][0]["seq"] for p in viewer.get_received() if p["name"] == "item"]
    assert seqs == sorted(set(seqs))
    assert pending["seq"] in seqs
