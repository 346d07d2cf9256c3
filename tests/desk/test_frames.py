"""Frames: a client that joins with `"frames": true` gets one `frame` per room per tick.

Every event of the tick in seq order, no gap and no duplicate with its acknowledgement,
across ticks and reconnects; the viewers' form carries what their page renders, curators'
the log's payloads; moderation's redactions, a return to draft and a reset hold as for
per-event clients. Viewers and curators are Flask-SocketIO test clients; `deliver` is one tick.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from aggregator.eventlog import last_seq
from tests.conftest import wait_for
from tests.desk.conftest import events_named
from web import frames as frames_module
from web.sockets import socketio

DRAFT = "this story is a draft: only its curators can follow it"


def frames_of(sio: Any) -> list[dict[str, Any]]:
    """The frames a test client received since last asked."""
    return events_named(sio, "frame")


def follow(sio: Any, after: int = 0, frames: bool = True, **room: Any) -> tuple[list[dict[str, Any]], int]:
    """Join (paging until in the room); return the acknowledged events and the last seq."""
    events = []
    while True:
        ack = sio.emit("join", {**room, "after": after, "frames": frames}, callback=True)
        assert ack["ok"], ack
        events += ack["events"]
        after = ack["last_seq"]
        if not ack["more"]:
            return events, after


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["data"]["seq"] for e in events]


def framed_seqs(sio: Any) -> list[list[int]]:
    return [seqs(frame["events"]) for frame in frames_of(sio)]


def test_each_tick_is_one_frame_with_every_event_in_seq_order(feed, post, socket_client, deliver):
    viewer = socket_client()
    assert follow(viewer, feed="demo") == ([], 0)
    first = [post(n)["seq"] for n in range(3)]
    assert deliver() == 3
    second = [post(n)["seq"] for n in range(3, 5)]
    deliver()
    received = viewer.get_received()
    assert [p["name"] for p in received] == ["frame", "frame"]  # no per-event packet at all
    assert [p["args"][0]["room"] for p in received] == ["feed:demo", "feed:demo"]
    assert [seqs(p["args"][0]["events"]) for p in received] == [first, second]
    assert {e["event"] for p in received for e in p["args"][0]["events"]} == {"item"}


def test_per_event_and_frames_clients_share_a_room_and_get_the_same_events(
    feed, post, socket_client, deliver
):
    classic, framed = socket_client(), socket_client()
    follow(classic, feed="demo", frames=False)
    follow(framed, feed="demo")
    written = [post(n)["seq"] for n in range(4)]
    deliver()
    items = events_named(classic, "item")
    assert [e["seq"] for e in items] == written
    assert items[0]["item"]["text"] == "post 0" and items[0]["item"]["seq"] == written[0]  # as always
    (frame,) = frames_of(framed)
    assert seqs(frame["events"]) == written
    assert [e["data"] for e in frame["events"]] == [frames_module.view_payload("item", e) for e in items]


def test_a_viewers_frame_carries_what_the_page_renders_and_a_curators_the_full_payload(
    curator_client, feed, post, socket_client, deliver
):
    ada, _ = curator_client("ada")
    viewer, curator, classic = socket_client(), socket_client(ada), socket_client()
    for sio in (viewer, curator):
        follow(sio, feed="demo")
    follow(classic, feed="demo", frames=False)
    post(1, text="a *post* " * 100, media=[{"url": "https://example.org/a.jpg", "type": "image"}])
    deliver()
    full = events_named(classic, "item")[0]
    (shown,) = frames_of(viewer)[0]["events"]
    item = shown["data"]["item"]
    rendered = {"id", "source", "html", "media", "created_at", "status", "author"}
    assert rendered <= set(item) <= rendered | {"url"}
    assert item["author"] == {"name": "Tess", "handle": "tess"}
    assert "raw" not in json.dumps(shown) and "collected_at" not in json.dumps(shown)
    assert shown["data"]["seq"] == full["seq"] and "seq" not in item  # the seq once
    assert len(json.dumps(shown["data"])) < len(json.dumps(full))
    assert frames_of(curator)[0]["events"] == [{"event": "item", "data": full}]


def test_an_event_committed_while_joining_is_in_the_ack_or_the_first_frame_once(
    feed, post, socket_client, deliver, monkeypatch
):
    from web import realtime

    monkeypatch.setattr(realtime, "CATCH_UP_PAGE", 3)
    written = [post(n)["seq"] for n in range(7)]
    deliver()
    written.append(post(7)["seq"])  # committed, not yet broadcast, while the viewer pages in
    viewer = socket_client()
    caught, last = follow(viewer, feed="demo")
    written.append(post(8)["seq"])
    deliver()
    live = [s for frame in framed_seqs(viewer) for s in frame]
    assert seqs(caught) + live == written
    assert not live or live[0] > last


def test_a_frames_viewer_that_reconnects_misses_nothing_and_gets_nothing_twice(
    feed, post, socket_client, deliver
):
    viewer = socket_client()
    follow(viewer, feed="demo")
    written = [post(n)["seq"] for n in range(3)]
    deliver()
    applied = [s for frame in framed_seqs(viewer) for s in frame]
    viewer.disconnect()
    written += [post(n)["seq"] for n in range(3, 6)]
    deliver()
    again = socket_client()
    caught, _ = follow(again, applied[-1], feed="demo")
    written += [post(n)["seq"] for n in range(6, 8)]
    deliver()
    assert applied + seqs(caught) + [s for frame in framed_seqs(again) for s in frame] == written


def test_joining_again_per_event_or_as_frames_switches_and_never_doubles(feed, post, socket_client, deliver):
    sio = socket_client()
    follow(sio, feed="demo")
    follow(sio, 0, frames=False, feed="demo")
    one = post(1)["seq"]
    deliver()
    assert [p["name"] for p in sio.get_received()] == ["item"]
    follow(sio, one, feed="demo")
    two = post(2)["seq"]
    deliver()
    assert [(p["name"], seqs(p["args"][0]["events"])) for p in sio.get_received()] == [("frame", [two])]
    assert sio.emit("leave", {"feed": "demo"}, callback=True) == {"ok": True}
    post(3)
    deliver()
    assert sio.get_received() == []


@pytest.mark.parametrize("frames", ["yes", 1, None])
def test_frames_must_be_a_boolean(feed, socket_client, frames):
    ack = socket_client().emit("join", {"feed": "demo", "after": 0, "frames": frames}, callback=True)
    assert ack == {"ok": False, "error": "'frames' must be true or false"}


def test_streaming_posts_reach_racing_frames_and_per_event_viewers_once_in_order(
    app, db, feed, post, socket_client
):
    """The real broadcaster loop (with its tick) and a writer race viewers joining from various seqs."""
    broadcaster = app.extensions["tagstory.broadcaster"]
    broadcaster.tick_seconds = 0.01
    runner = threading.Thread(target=broadcaster.run, daemon=True)
    runner.start()
    written: list[int] = []
    writer = threading.Thread(target=lambda: written.extend(post(n)["seq"] for n in range(150)))
    viewers = []
    try:
        writer.start()
        while writer.is_alive() or len(viewers) < 4:
            after = written[len(written) // 2] if written else 0
            sio, framed = socket_client(), len(viewers) % 2 == 0
            viewers.append((after, framed, sio, follow(sio, after, frames=framed, feed="demo")[0]))
        writer.join()
        wait_for(lambda: broadcaster.delivered >= written[-1])
    finally:
        broadcaster.stopped.set()
        broadcaster.wake.set()
        runner.join(10)
    assert any(framed for _, framed, _, _ in viewers) and not all(framed for _, framed, _, _ in viewers)
    for after, framed, sio, caught in viewers:
        if framed:
            live = [s for frame in framed_seqs(sio) for s in frame]
        else:
            live = [e["seq"] for e in events_named(sio, "item")]
        assert seqs(caught) + live == [s for s in written if s > after]


def test_frames_viewers_never_receive_what_moderation_hides(
    curator_client, feed, post, socket_client, deliver
):
    ada, headers = curator_client("ada")
    ada.patch(
        "/api/feeds/demo",
        json={"moderation": "manual", "rules": {"blocked_words": ["secret"]}},
        headers=headers,
    )
    viewer = socket_client()
    follow(viewer, feed="demo")
    held, blocked = post(1, text="held back"), post(2, text="a secret")
    deliver()
    ada.patch(f"/api/feeds/demo/items/{held['id']}", json={"status": "approved"}, headers=headers)
    deliver()
    ada.patch(f"/api/feeds/demo/items/{held['id']}", json={"status": "hidden"}, headers=headers)
    deliver()
    shown, gone = [e["data"]["item"] for frame in frames_of(viewer) for e in frame["events"]]
    assert "held back" in shown["html"] and gone == {"id": held["id"], "status": "hidden"}
    caught, _ = follow(socket_client(), feed="demo")
    assert [e["data"]["item"] for e in caught] == [gone, gone]  # the approval's event, redacted
    assert "held back" not in json.dumps(caught) and blocked["id"] not in json.dumps(caught)


def _owner(curator_client):
    client, headers = curator_client("owner")

    def act(method, path, body=None):
        response = client.open(f"/api/stories/s{path}", method=method, json=body, headers=headers)
        assert response.status_code < 300, response.json
        return response.json

    act.client = client
    return act


def test_a_story_frame_carries_elements_as_the_story_page_renders_them(
    curator_client, story, post, socket_client, deliver
):
    owner = _owner(curator_client)
    owner("PATCH", "", {"status": "live"})
    pinned = post(1, text="pinned post")
    deliver()
    viewer, editor = socket_client(), socket_client(owner.client)
    follow(viewer, story="s")
    follow(editor, story="s")
    owner("POST", "/elements", {"type": "item", "item_id": pinned["id"], "annotation": "*why*"})
    owner("POST", "/elements", {"type": "text", "text": "Part two", "style": "heading"})
    deliver()
    (frame,) = frames_of(viewer)
    pin, heading = (e["data"]["element"] for e in frame["events"])
    assert set(pin) == {"id", "type", "position", "item", "annotation_html"}
    assert pin["item"]["id"] == pinned["id"] and "text" not in pin["item"] and "seq" not in pin["item"]
    assert heading == {
        "id": heading["id"],
        "type": "text",
        "position": 1,
        "style": "heading",
        "text": "Part two",
    }
    full = [e["data"]["element"] for e in frames_of(editor)[0]["events"]]
    assert full[0]["item_id"] == pinned["id"] and full[0]["annotation"] == "*why*" and "version" in full[0]


def test_frames_viewers_are_withdrawn_on_return_to_draft_and_restated_on_publish(
    curator_client, story, socket_client, deliver
):
    owner = _owner(curator_client)
    owner("PATCH", "", {"status": "live"})
    owner("POST", "/elements", {"type": "text", "text": "public"})
    deliver()
    viewer, curator = socket_client(), socket_client(owner.client)
    _, viewer_last = follow(viewer, story="s")
    follow(curator, story="s")
    owner("PATCH", "", {"status": "draft"})
    draft_only = owner("POST", "/elements", {"type": "text", "text": "draft only"})
    deliver()  # one tick: the return to draft and the draft's edit
    received = viewer.get_received()
    assert [p["name"] for p in received] == ["frame", "withdrawn"]
    assert [e["data"]["op"] for e in received[0]["args"][0]["events"]] == ["meta"]
    assert received[1]["args"][0] == {"story": "s", "error": DRAFT}
    assert [[e["data"]["op"] for e in f["events"]] for f in frames_of(curator)] == [["meta"], ["add"]]
    assert viewer.emit("join", {"story": "s", "after": viewer_last, "frames": True}, callback=True) == {
        "ok": False,
        "error": DRAFT,
    }
    owner("DELETE", f"/elements/{draft_only['id']}")
    owner("POST", "/elements", {"type": "text", "text": "back"})
    owner("PATCH", "", {"status": "live"})
    deliver()
    events, _ = follow(viewer, viewer_last, story="s")
    assert "draft only" not in json.dumps(events)
    ops = [e["data"]["op"] for e in events]
    assert ops[ops.index("reset") :] == ["reset", "add", "add"]
    texts = [e["data"]["element"].get("text_html") for e in events[ops.index("reset") + 1 :]]
    assert ["public" in texts[0], "back" in texts[1]] == [True, True]


def test_a_tick_is_one_encode_whatever_the_number_of_frames_viewers(
    db, feed, post, socket_client, deliver, monkeypatch
):
    viewers = [socket_client() for _ in range(30)]
    for sio in viewers:
        follow(sio, last_seq(db), feed="demo")
    sent = []
    send = socketio.server._send_eio_packet
    monkeypatch.setattr(
        socketio.server, "_send_eio_packet", lambda sid, pkt: (sent.append(pkt), send(sid, pkt))
    )
    post(1), post(2)
    assert deliver() == 2
    monkeypatch.undo()
    assert len(sent) == len(viewers) and len({id(p) for p in sent}) == 1  # one frame, encoded once
    assert all(len(frames_of(sio)) == 1 for sio in viewers)


def test_a_page_read_before_a_redaction_is_never_served_after_it(
    curator_client, feed, post, socket_client, deliver
):
    ada, headers = curator_client("ada")
    shown = post(1, text="soon hidden")
    deliver()
    for frames in (True, False):  # both forms' pages are now in memory
        caught, _ = follow(socket_client(), frames=frames, feed="demo")
        assert "soon hidden" in json.dumps(caught)
    ada.patch(f"/api/feeds/demo/items/{shown['id']}", json={"status": "hidden"}, headers=headers)
    deliver()
    for frames in (True, False):
        caught, _ = follow(socket_client(), frames=frames, feed="demo")
        assert "soon hidden" not in json.dumps(caught)
        assert [e["data"]["item"]["status"] for e in caught] == ["hidden", "hidden"]


def test_a_frames_join_within_its_reach_gets_in_at_once_the_rest_as_frames_ahead_of_its_ack(
    feed, post, socket_client, deliver, monkeypatch
):
    from web import realtime

    monkeypatch.setattr(realtime, "CATCH_UP_PAGE", 3)
    monkeypatch.setattr(realtime, "FRAMED_REACH", 8)
    monkeypatch.setattr(realtime, "BATCH", 3)  # a frame's most events: the rest comes in two frames
    written = [post(n)["seq"] for n in range(8)]  # the whole reach: one join, not three
    deliver()
    viewer = socket_client()
    ack = viewer.emit("join", {"feed": "demo", "after": 0, "frames": True}, callback=True)
    assert (ack["ok"], ack["more"], seqs(ack["events"]), ack["last_seq"]) == (
        True,
        False,
        written[:3],
        written[2],
    )
    assert framed_seqs(viewer) == [written[3:6], written[6:]]  # sent before the ack: applied after it
    written += [post(n)["seq"] for n in range(8, 10)]
    deliver()
    assert framed_seqs(viewer) == [written[8:]]
    classic = socket_client()  # per-event clients keep paging by `more`
    ack = classic.emit("join", {"feed": "demo", "after": 0}, callback=True)
    assert (ack["more"], [e["data"]["seq"] for e in ack["events"]]) == (True, written[:3])
    assert events_named(classic, "item") == []


def test_a_crowd_rejoining_from_one_seq_is_sent_frames_encoded_once(
    feed, post, socket_client, deliver, monkeypatch
):
    from web import realtime

    monkeypatch.setattr(realtime, "CATCH_UP_PAGE", 3)
    written = [post(n)["seq"] for n in range(8)]
    deliver()
    crowd = [socket_client() for _ in range(20)]
    sent = []
    send = socketio.server._send_eio_packet
    monkeypatch.setattr(
        socketio.server, "_send_eio_packet", lambda sid, pkt: (sent.append(pkt), send(sid, pkt))
    )
    acks = [sio.emit("join", {"feed": "demo", "after": 0, "frames": True}, callback=True) for sio in crowd]
    monkeypatch.undo()
    assert all(seqs(ack["events"]) == written[:3] and not ack["more"] for ack in acks)
    assert all(framed_seqs(sio) == [written[3:]] for sio in crowd)
    assert len(sent) == len(crowd) and len({id(p) for p in sent}) == 1  # one frame, encoded once


def test_a_frames_join_further_behind_than_its_reach_still_pages(
    feed, post, socket_client, deliver, monkeypatch
):
    from web import realtime

    monkeypatch.setattr(realtime, "CATCH_UP_PAGE", 3)
    monkeypatch.setattr(realtime, "FRAMED_REACH", 8)
    written = [post(n)["seq"] for n in range(9)]
    deliver()
    viewer = socket_client()
    ack = viewer.emit("join", {"feed": "demo", "after": 0, "frames": True}, callback=True)
    assert (ack["more"], seqs(ack["events"])) == (True, written[:3])
    assert frames_of(viewer) == []  # not in the room, nothing sent beyond the ack
    caught, _ = follow(viewer, ack["last_seq"], feed="demo")
    assert seqs(caught) + [s for frame in framed_seqs(viewer) for s in frame] == written[3:]


def test_a_frames_join_500_behind_gets_all_500_once_in_order_in_one_join_then_live_frames(
    db, feed, socket_client, deliver
):
    from aggregator.feeds import get_feed
    from aggregator.items import item_from_dict, store_items
    from tests.factories import post_dict

    demo = get_feed(db, "demo")
    written = [i["seq"] for i in store_items(db, demo, [item_from_dict(post_dict(n)) for n in range(500)])]
    deliver()
    viewer = socket_client()
    ack = viewer.emit("join", {"feed": "demo", "after": 0, "frames": True}, callback=True)
    assert (ack["ok"], ack["more"], len(ack["events"])) == (True, False, 100)
    ahead = framed_seqs(viewer)  # the other 400, sent before the ack
    live = [i["seq"] for i in store_items(db, demo, [item_from_dict(post_dict(n)) for n in range(500, 503)])]
    deliver()
    applied = seqs(ack["events"]) + [s for frame in ahead + framed_seqs(viewer) for s in frame]
    assert applied == written + live
