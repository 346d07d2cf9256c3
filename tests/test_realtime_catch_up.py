"""Joining a room: the acknowledgement carries what was missed, then live events follow."""

import pytest

from aggregator.feeds import create_feed
from aggregator.items import item_from_dict, store_items
from tests.conftest import wait_for
from tests.factories import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


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


def _live_seqs(viewer, name="item"):
    return [p["args"][0]["seq"] for p in viewer.get_received() if p["name"] == name]


def test_a_long_gap_is_paged_with_more_until_the_viewer_is_in_the_room(
    db, socket_client, deliver, monkeypatch
):
    from web import realtime

    monkeypatch.setattr(realtime, "CATCH_UP_PAGE", 3)
    feed = create_feed(db, "demo", "#demo", [])
    seqs = [_post(db, feed, n)["seq"] for n in range(8)]
    deliver()
    viewer = socket_client()
    got, after, pages = [], 0, []
    while True:
        ack = viewer.emit("join", {"feed": "demo", "after": after}, callback=True)
        assert ack["ok"]
        got += [e["data"]["seq"] for e in ack["events"]]
        pages.append(ack["more"])
        after = ack["last_seq"]
        if not ack["more"]:
            break
        _post(db, feed, f"during-{len(pages)}")  # written while the viewer pages
        deliver()
        assert _live_seqs(viewer) == []  # not in the room until the gap is closed
    assert pages == [True, True, True, False]
    later = _post(db, feed, "after")["seq"]
    deliver()
    assert got[:8] == seqs
    everything = got + _live_seqs(viewer)
    assert everything == sorted(set(everything))
    assert everything[-1] == later and len(everything) == 8 + 3 + 1


def test_a_viewer_that_has_everything_gets_an_empty_acknowledgement(db, socket_client, deliver):
    feed = create_feed(db, "demo", "#demo", [])
    last = _post(db, feed, 0)["seq"]
    deliver()
    ack = socket_client().emit("join", {"feed": "demo", "after": last}, callback=True)
    assert ack == {"ok": True, "room": "feed:demo", "events": [], "last_seq": last, "more": False}


@pytest.mark.parametrize("after", [-1, "5", 1.5, True, None, [1], {"seq": 1}, 2**63, 2**80])
def test_a_bad_after_is_refused_with_a_reason(db, socket_client, after):
    create_feed(db, "demo", "#demo", [])
    ack = socket_client().emit("join", {"feed": "demo", "after": after}, callback=True)
    assert ack["ok"] is False and "after" in ack["error"]


@pytest.mark.parametrize(
    "data",
    [{"feed": "nope"}, {"story": "nope"}, {}, {"feed": 5}, "demo", None, [], {"room": "feed:demo"}],
)
def test_joining_an_unknown_room_is_refused(db, socket_client, deliver, data):
    feed = create_feed(db, "demo", "#demo", [])
    viewer = socket_client()
    ack = viewer.emit("join", data, callback=True)
    assert ack["ok"] is False and ack["error"]
    _post(db, feed, 1)
    deliver()
    assert viewer.get_received() == []


def _draft(db, curators):
    from stories.model import create_story

    return create_story(db, "Secret draft", None, curators.create("ada"), status="draft")


def test_a_draft_story_room_is_refused_to_viewers(db, socket_client, curators):
    draft = _draft(db, curators)
    ack = socket_client().emit("join", {"story": draft["slug"]}, callback=True)
    assert ack == {"ok": False, "error": "this story is a draft: only its curators can follow it"}


def test_a_draft_story_room_is_refused_to_other_curators(db, app, socket_client, curators):
    draft = _draft(db, curators)
    other = app.test_client()
    curators.login(other, "bob")
    ack = socket_client(other).emit("join", {"story": draft["slug"]}, callback=True)
    assert ack["ok"] is False


def test_a_draft_story_room_is_open_to_its_curator(db, client, socket_client, curators, deliver):
    from stories.elements import add_element

    draft = _draft(db, curators)
    curators.login(client, "ada")
    curator = socket_client()
    ack = curator.emit("join", {"story": draft["slug"], "after": 0}, callback=True)
    assert ack["ok"] and ack["room"] == f"story:{draft['slug']}"
    add_element(db, draft, {"type": "text", "text": "hello"}, actor="ada")
    deliver()
    pushed = [p["args"][0] for p in curator.get_received() if p["name"] == "story"]
    assert [(e["op"], e["element"]["text"]) for e in pushed] == [("add", "hello")]


def test_a_curator_whose_session_ended_after_connecting_no_longer_gets_a_draft_room(
    db, client, socket_client, curators
):
    draft = _draft(db, curators)
    curators.login(client, "ada")
    curator = socket_client()  # connected with ada's session cookie
    assert curator.emit("join", {"story": draft["slug"]}, callback=True)["ok"]
    from stories.curators import end_sessions

    end_sessions(db, "ada")  # logged out elsewhere: every session of hers is void
    ack = curator.emit("join", {"story": draft["slug"]}, callback=True)
    assert ack == {"ok": False, "error": "this story is a draft: only its curators can follow it"}


def test_joins_and_leaves_build_no_flask_request_context(
    app, db, client, socket_client, curators, deliver, monkeypatch
):
    """A reconnect storm sends a thousand joins: each is handled with the app context only."""
    feed = create_feed(db, "demo", "#demo", [])
    draft = _draft(db, curators)
    _post(db, feed, 1)
    deliver()
    built = []
    request_context = app.request_context
    monkeypatch.setattr(
        app, "request_context", lambda environ: built.append(environ) or request_context(environ)
    )
    viewer = socket_client()
    ack = viewer.emit("join", {"feed": "demo", "frames": True}, callback=True)
    assert "text" not in ack["events"][0]["data"]["item"]  # an anonymous viewer: the viewers' form
    assert viewer.emit("leave", {"feed": "demo"}, callback=True) == {"ok": True}
    assert viewer.emit("join", {"story": draft["slug"]}, callback=True)["ok"] is False
    assert built == []
    curators.login(client, "ada")  # over HTTP: request contexts, as always
    built.clear()
    editor = socket_client()
    assert editor.emit("join", {"story": draft["slug"]}, callback=True)["ok"]  # her session, read once
    ack = editor.emit("join", {"feed": "demo", "frames": True}, callback=True)
    assert "text" in ack["events"][0]["data"]["item"]  # a curator on a feed: the full form
    assert built == []


def test_after_leave_no_live_event_arrives(db, socket_client, deliver):
    feed = create_feed(db, "demo", "#demo", [])
    viewer = socket_client()
    assert viewer.emit("join", {"feed": "demo"}, callback=True)["ok"]
    assert viewer.emit("leave", {"feed": "demo"}, callback=True) == {"ok": True}
    _post(db, feed, 1)
    deliver()
    assert viewer.get_received() == []


def test_viewers_joining_while_posts_stream_in_see_every_post_once_in_order(app, db, socket_client):
    """The real broadcaster loop and a writer thread race viewers that join from various seqs."""
    import threading

    from tests.conftest import wait_for

    broadcaster = app.extensions["tagstory.broadcaster"]
    feed = create_feed(db, "demo", "#demo", [])
    runner = threading.Thread(target=broadcaster.run, daemon=True)
    runner.start()
    written: list[int] = []
    writer = threading.Thread(target=lambda: written.extend(_post(db, feed, n)["seq"] for n in range(150)))
    try:
        writer.start()
        viewers = []
        while writer.is_alive() or len(viewers) < 3:
            after = written[len(written) // 2] if written else 0
            viewer = socket_client()
            viewers.append(
                (after, viewer, viewer.emit("join", {"feed": "demo", "after": after}, callback=True))
            )
        writer.join()
        wait_for(lambda: broadcaster.delivered >= written[-1])
    finally:
        broadcaster.stopped.set()
        broadcaster.wake.set()
        runner.join(10)
    for after, viewer, ack in viewers:
        assert ack["ok"]
        seqs = [e["data"]["seq"] for e in ack["events"]] + _live_seqs(viewer)
        assert seqs == [s for s in written if s > after]


def test_a_viewer_whose_page_is_ahead_of_the_broadcaster_gets_no_duplicate(db, socket_client, deliver):
    feed = create_feed(db, "demo", "#demo", [])
    rendered = _post(db, feed, 0)["seq"]  # on the page, committed, not yet broadcast
    viewer = socket_client()
    ack = viewer.emit("join", {"feed": "demo", "after": rendered}, callback=True)
    assert ack["ok"] and ack["events"] == []
    later = _post(db, feed, 1)["seq"]
    deliver()
    assert _live_seqs(viewer) == [later]


def test_a_join_that_fails_on_the_server_is_answered_with_an_error(db, socket_client):
    create_feed(db, "demo", "#demo", [])
    viewer = socket_client()
    db.close()  # the database is gone: the handler raises
    ack = viewer.emit("join", {"feed": "demo"}, callback=True)
    assert ack == {"ok": False, "error": "something went wrong on our side; try again"}


def test_a_join_without_data_is_answered_with_what_to_send(db, socket_client):
    ack = socket_client().emit("join", callback=True)
    assert ack == {"ok": False, "error": 'send {"feed": NAME} or {"story": SLUG}, and "after": SEQ'}


@pytest.mark.parametrize("after", [10**400, 10**101])
def test_an_after_too_long_to_decode_is_refused_with_a_reason(db, socket_client, after):
    """engineio refuses integers of over 100 digits while decoding: the join must still be answered."""
    create_feed(db, "demo", "#demo", [])
    ack = socket_client().emit("join", {"feed": "demo", "after": after}, callback=True)
    assert ack == {"ok": False, "error": "'after' must be an integer >= 0 (a seq)"}


def test_a_connection_that_joins_too_often_is_told_to_slow_down_and_stays_connected(db, socket_client):
    from web.realtime import JOIN_BURST, THROTTLED

    create_feed(db, "demo", "#demo", [])
    viewer = socket_client()
    acks = [viewer.emit("join", {"feed": "demo"}, callback=True) for _ in range(JOIN_BURST * 6)]
    refused = [ack for ack in acks if not ack["ok"]]
    assert refused and all(ack["error"] == THROTTLED and ack["retry_after"] > 0 for ack in refused)
    assert THROTTLED == "too many joins; slow down"
    assert viewer.is_connected()
    other = socket_client()  # the bucket is per connection: another viewer is not refused
    assert other.emit("join", {"feed": "demo"}, callback=True)["ok"]
    wait_for(lambda: viewer.emit("join", {"feed": "demo"}, callback=True)["ok"])
