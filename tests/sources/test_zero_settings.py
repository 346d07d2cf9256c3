"""A setting of 0 means what its declaration says (web/settings.py), never another number."""

from __future__ import annotations

import time

from aggregator.feeds import create_feed
from aggregator.sources import SourceState, open_source, parse_spec
from app import create_app
from tests.sources.conftest import feed_texts, wait_for
from tests.sources.servers import FakeBlueskyApi, FakeRss, post_event


def test_rss_poll_seconds_0_polls_again_without_a_pause(db, serve, collecting):
    fake = FakeRss()
    fake.entries = [("a", "Summit #KredCrew", "<p>day one</p>")]
    create_feed(db, "kc", "#kredcrew", [f"rss:{serve(fake).url}/feed.xml"])
    with collecting(RSS_POLL_SECONDS=0):
        wait_for(lambda: len(fake.requests) >= 3)  # with 0 read as 300, the second GET never comes
    assert feed_texts(db, "kc") == ["Summit #KredCrew\nday one"]


def test_bluesky_backfill_pages_0_searches_nothing(db, serve, jetstream, collecting):
    api = FakeBlueskyApi()
    api.url = serve(api).url
    api.add(1, "searched #KredCrew")
    jetstream.publish(post_event(int(time.time() * 1_000_000), "live #kredcrew", "live1"))
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])
    account = {"BLUESKY_HANDLE": api.handle, "BLUESKY_APP_PASSWORD": api.password, "BLUESKY_API_URL": api.url}
    with collecting(BLUESKY_BACKFILL_PAGES=0, **account):
        wait_for(lambda: feed_texts(db, "kc") == ["live #kredcrew"])
    assert api.searches == []  # with 0 read as 10, ten pages were searched first


def test_http_timeout_0_is_no_limit_for_every_source(tmp_path, monkeypatch):
    monkeypatch.setenv("TAGSTORY_HTTP_TIMEOUT", "0")
    server = create_app({"DATABASE": str(tmp_path / "t.sqlite"), "X_BEARER_TOKEN": "t", "DEMO": False})
    server.extensions["tagstory.db"].close()
    config = server.config
    assert config["HTTP_TIMEOUT"] == 0
    state = SourceState()
    rss = open_source(parse_spec("rss:https://example.org/feed.xml"), "#kc", config, state)
    mastodon = open_source(parse_spec("mastodon:mastodon.social"), "#kc", config, state)
    bluesky = open_source(parse_spec("bluesky:wss://jetstream.example/subscribe"), "#kc", config, state)
    x = open_source(parse_spec("x"), "#kc", config, state)
    # with 0 read as 20, each of them gave up after 20 s
    assert [rss.http.timeout, mastodon.http.timeout, bluesky.timeout, x.adapter.timeout] == [None] * 4
