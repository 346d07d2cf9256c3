"""What moderation or the source takes away from viewers, the event log no longer replays.

Every change goes through the HTTP API (or the pipeline a source uses); every viewer is a
Socket.IO client that joins with after=0, as a new page or a reconnect would.
"""

from __future__ import annotations

import json

from aggregator.items import change_items
from tests.desk.conftest import events_named


def _catch_up(socket_client, **room):
    """Everything a new viewer is sent: every page of the acknowledgement from after=0."""
    viewer, after, events = socket_client(), 0, []
    while True:
        ack = viewer.emit("join", {**room, "after": after}, callback=True)
        assert ack["ok"], ack
        events += ack["events"]
        after = ack["last_seq"]
        if not ack["more"]:
            return viewer, events


def _texts(events) -> str:
    return json.dumps([e["data"] for e in events])


def _moderate(client, headers, item, status):
    response = client.patch(f"/api/feeds/demo/items/{item['id']}", json={"status": status}, headers=headers)
    assert response.status_code == 200, response.json


def test_a_hidden_item_is_not_replayed_to_a_viewer_joining_later(
    client, curator_client, feed, post, socket_client, deliver
):
    ada, headers = curator_client("ada")
    kept, secret = post(1, text="keep me"), post(2, text="call 555-0199 now")
    deliver()
    current, _ = _catch_up(socket_client, feed="demo")
    _moderate(ada, headers, secret, "hidden")
    deliver()
    # who follows now is told to drop it
    assert [e["item"] for e in events_named(current, "item")] == [{"id": secret["id"], "status": "hidden"}]
    _, events = _catch_up(socket_client, feed="demo")
    assert "555-0199" not in _texts(events)
    assert "keep me" in _texts(events)
    listed = client.get("/api/feeds/demo/items").json["items"]
    assert [i["id"] for i in listed if i["status"] == "approved"] == [kept["id"]]


def test_an_item_approved_again_is_replayed_again(curator_client, feed, post, socket_client, deliver):
    ada, headers = curator_client("ada")
    item = post(1, text="back again")
    _moderate(ada, headers, item, "hidden")
    _moderate(ada, headers, item, "approved")
    deliver()
    _, events = _catch_up(socket_client, feed="demo")
    shown = [e["data"]["item"] for e in events if e["data"]["item"].get("text")]
    assert [i["text"] for i in shown] == ["back again"]


def test_a_blocked_authors_posts_are_not_replayed(curator_client, feed, post, socket_client, deliver):
    ada, headers = curator_client("ada")
    troll = post(1, text="troll words", author="Troll")
    post(2, text="fine words", author="Fine")
    response = ada.post(f"/api/feeds/demo/items/{troll['id']}/block-author", headers=headers)
    assert response.json["hidden"] == [troll["id"]]
    deliver()
    _, events = _catch_up(socket_client, feed="demo")
    assert "troll words" not in _texts(events) and "Troll" not in _texts(events)
    assert "fine words" in _texts(events)


def test_a_post_deleted_at_its_source_is_not_replayed_in_the_feed_or_the_story(
    db, curator_client, feed, post, story, socket_client, deliver
):
    owner, headers = curator_client("owner")
    gone = post(1, text="regrettable words")
    element = {"type": "item", "item_id": gone["id"]}
    assert owner.post("/api/stories/s/elements", json=element, headers=headers).status_code == 201
    assert owner.patch("/api/stories/s", json={"status": "live"}, headers=headers).status_code == 200
    deliver()
    current, _ = _catch_up(socket_client, feed="demo")
    assert change_items(db, deleted=[("test", "1")]) == 1
    deliver()
    assert [e["item"]["deleted"] for e in events_named(current, "item")] == [True]  # told to drop it
    for room in ({"feed": "demo"}, {"story": "s"}):
        _, events = _catch_up(socket_client, **room)
        assert events and "regrettable" not in _texts(events)
