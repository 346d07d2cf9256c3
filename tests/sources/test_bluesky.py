"""Bluesky against a local Jetstream websocket replaying the shared 2026-07-04 capture."""

from __future__ import annotations

import json
import threading
import time

from aggregator.feeds import create_feed
from aggregator.sources import bluesky
from aggregator.sources.jetstream_payload import char_offset, facet_spans
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers import post_event

LIVE_US = 1783175999000000  # after every event of the capture


def test_byte_offsets_become_character_offsets():
    text = "héllo 🎉 https://example.org end"
    start = text.encode().index(b"https")
    spans = facet_spans(
        text,
        [
            {
                "index": {"byteStart": start, "byteEnd": start + len(b"https://example.org")},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org"}],
            }
        ],
    )
    assert spans == [(8, 27, "https://example.org")]
    assert text[8:27] == "https://example.org"
    assert char_offset("é", 1) == 0  # a cut inside a character stays before it


def test_replays_the_capture_and_keeps_posts_tagged_in_facets_or_text(db, jetstream, collecting):
    jetstream.publish(
        post_event(LIVE_US, "Hello 🎉 #KredCrew summit https://kred.example/x", "k1", tags=("KredCrew",)),
        post_event(LIVE_US + 1, "no facet but #kredcrew in the text", "k2"),
        post_event(LIVE_US + 2, "unrelated post", "k3"),
    )
    create_feed(db, "kc", "#kredcrew #howtotellaitoshutup", [f"bluesky:{jetstream.ws_url}"])
    with collecting():
        wait_for(lambda: len(feed_texts(db, "kc")) == 3)
    texts = feed_texts(db, "kc")
    assert texts[0].startswith("#HowToTellAiToShutUp!")  # from the capture, tag facet in another case
    assert texts[1:] == [
        "Hello 🎉 #KredCrew summit https://kred.example/x",
        "no facet but #kredcrew in the text",
    ]
    assert jetstream.connections[0]["wantedCollections"] == "app.bsky.feed.post"
    html = db.query_one("SELECT html FROM items WHERE source_id LIKE '%/k1'")["html"]
    assert (
        '<a href="https://bsky.app/hashtag/KredCrew" rel="nofollow noopener noreferrer ugc">#KredCrew</a>'
        in html
    )
    row = source_row(db, "kc")
    assert int(row["cursor"]) >= LIVE_US + 2 and row["state"] == "running"


def test_a_deleted_post_leaves_every_feed_live(app, db, jetstream, collecting, socket_client, deliver):
    jetstream.publish(post_event(LIVE_US, "soon gone #kredcrew", "gone", tags=("kredcrew",)))
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])
    create_feed(db, "kc2", "kredcrew", [f"bluesky:{jetstream.ws_url}"])
    with collecting():
        wait_for(lambda: feed_texts(db, "kc") and feed_texts(db, "kc2"))
        deliver()
        viewer = socket_client()
        ack = viewer.emit("join", {"feed": "kc", "after": 0}, callback=True)
        assert ack["ok"] and len(ack["events"]) == 1
        jetstream.publish(post_event(LIVE_US + 5, "", "gone", operation="delete"))
        wait_for(lambda: db.query_one("SELECT deleted FROM items WHERE source_id LIKE '%/gone'")["deleted"])
    deliver()
    live = [p["args"][0] for p in viewer.get_received() if p["name"] == "item"]
    assert [(e["item"]["deleted"], e["item"]["text"]) for e in live] == [(True, "")]
    ops = [r["op"] for r in db.query("SELECT op FROM events WHERE type = 'item' ORDER BY seq")]
    assert ops == ["add", "add", "delete", "delete"]


def test_resumes_from_the_cursor_minus_the_rewind_without_duplicates(db, jetstream, collecting):
    jetstream.publish(
        *(post_event(LIVE_US + n * 1_000_000, f"post {n} #kredcrew", f"r{n}") for n in range(3))
    )
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])
    with collecting():
        wait_for(lambda: len(feed_texts(db, "kc")) == 3)
    stored = int(source_row(db, "kc")["cursor"])
    jetstream.publish(post_event(LIVE_US + 10_000_000, "post 3 #kredcrew", "r3"))
    with collecting(JETSTREAM_REWIND_SECONDS=5):
        wait_for(lambda: len(feed_texts(db, "kc")) == 4)
    assert int(jetstream.connections[-1]["cursor"]) == stored - 5_000_000
    assert feed_texts(db, "kc") == [f"post {n} #kredcrew" for n in range(4)]


def test_reconnects_after_a_drop_and_skips_malformed_events(db, jetstream, collecting):
    import aggregator.collector as collector_module

    jetstream.drop_after = 3
    jetstream.publish(
        post_event(LIVE_US, "a #kredcrew", "d1"),
        '{"did": "did:plc:x", "time_us": ',  # truncated JSON
        *(post_event(LIVE_US + n, f"p{n} #kredcrew", f"d{n}") for n in range(2, 6)),
    )
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])
    start, collector_module.BACKOFF_START = collector_module.BACKOFF_START, 0.05
    try:
        with collecting():
            wait_for(lambda: len(feed_texts(db, "kc")) == 5)
    finally:
        collector_module.BACKOFF_START = start
    assert len(jetstream.connections) >= 2
    row = source_row(db, "kc")
    assert row["skipped"] == 1 and "malformed" in row["last_error"]
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 5
    assert (
        json.loads(db.query_one("SELECT raw FROM items WHERE source_id LIKE '%/d1'")["raw"])["time_us"]
        == LIVE_US
    )


def test_rotates_to_the_next_public_instance_when_one_is_down(db, jetstream, collecting):
    from tests.conftest import free_port

    down = f"ws://127.0.0.1:{free_port()}/subscribe"
    jetstream.publish(post_event(LIVE_US, "via the second instance #kredcrew", "rot1"))
    create_feed(db, "kc", "#kredcrew", ["bluesky"])
    import aggregator.collector as collector_module

    start, collector_module.BACKOFF_START = collector_module.BACKOFF_START, 0.05
    try:
        with collecting(JETSTREAM_URLS=f"{down},{jetstream.ws_url}"):
            wait_for(lambda: feed_texts(db, "kc") == ["via the second instance #kredcrew"])
    finally:
        collector_module.BACKOFF_START = start
    assert "unreachable" in source_row(db, "kc")["last_error"]


def test_with_an_app_password_search_backfills_before_going_live(db, serve, jetstream, collecting):
    from tests.sources.servers import FakeBlueskyApi

    api = FakeBlueskyApi()
    api.url = serve(api).url
    for n in range(150):
        api.add(n, f"searched {n} #KredCrew")
    later = int(time.time() * 1_000_000) + 60_000_000  # Jetstream events carry real time, after the search
    jetstream.publish(post_event(later, "live after the search #kredcrew", "live1"))
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])
    account = {"BLUESKY_HANDLE": api.handle, "BLUESKY_APP_PASSWORD": api.password, "BLUESKY_API_URL": api.url}
    with collecting(**account):
        wait_for(lambda: len(feed_texts(db, "kc")) == 151)
    texts = feed_texts(db, "kc")
    assert texts[-1] == "live after the search #kredcrew"
    assert sorted(texts[:-1]) == sorted(f"searched {n} #KredCrew" for n in range(150))
    assert [s.get("cursor") for s in api.searches] == [None, "100"]
    assert all(s["q"] == "#kredcrew" for s in api.searches)
    author = db.query_one("SELECT author_name, author_handle FROM items WHERE source_id LIKE '%/s1'")
    assert (author["author_name"], author["author_handle"]) == ("Ada", "ada.bsky.social")
    assert "cursor" in jetstream.connections[0]  # Jetstream replays from when the search began


def test_a_wrong_app_password_is_said_plainly(db, serve, jetstream, collecting):
    from tests.sources.servers import FakeBlueskyApi

    api = FakeBlueskyApi()
    url = serve(api).url
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])
    with collecting(BLUESKY_HANDLE=api.handle, BLUESKY_APP_PASSWORD="wrong", BLUESKY_API_URL=url):
        row = wait_for(lambda: (r := source_row(db, "kc"))["last_error"] and r)
    assert row["last_error"] == "Bluesky refused TAGSTORY_BLUESKY_HANDLE / TAGSTORY_BLUESKY_APP_PASSWORD"
    assert row["rate_limit_reset"] is None


def test_a_lone_post_is_yielded_when_its_batch_ends_not_a_second_later(app, jetstream, appview, monkeypatch):
    monkeypatch.setattr(bluesky, "BATCH_SECONDS", 0.5)  # the product's batch
    settings = {**app.config, "FETCH_ALLOW_PRIVATE": True, "BLUESKY_APPVIEW_URL": appview.url}
    source = bluesky.BlueskySource(jetstream.ws_url, "#kredcrew", settings, {})
    stop, sent, stored = threading.Event(), [], []

    def consume() -> None:
        for batch in source.batches(str(LIVE_US), stop):
            if batch.items:
                stored.append(time.monotonic())
                return
            if not sent:  # a batch has just begun: the post arrives at its start
                sent.append(time.monotonic())
                jetstream.publish(post_event(LIVE_US + 1, "alone #kredcrew", "lone1"))

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    try:
        wait_for(lambda: stored, timeout=10)
    finally:
        stop.set()
        consumer.join(5)
    # Within its batch (0.5 s; the bound leaves as much again for a loaded machine): a whole
    # second's wait for another message after it, as before, fails.
    assert stored[0] - sent[0] < 2 * bluesky.BATCH_SECONDS
