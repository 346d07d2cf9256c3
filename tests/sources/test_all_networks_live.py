"""One feed following #kredcrew on all four networks at once, collected inside the gevent web server."""

from __future__ import annotations

import socketio

from tests.sources.conftest import wait_for
from tests.sources.servers import FakeRss, post_event, status, tweet

LIVE_US = 1783175999000000


def test_a_feed_on_all_four_networks_fills_live(
    live_server, serve, mastodon, jetstream, x_api, appview, curators, monkeypatch
):
    monkeypatch.setenv("TAGSTORY_FETCH_ALLOW_PRIVATE", "1")  # server and CLI: the fakes listen on 127.0.0.1
    rss = FakeRss()
    rss_url = serve(rss).url + "/feed.xml"
    server = live_server(
        env={
            "TAGSTORY_X_API_URL": x_api.url,
            "TAGSTORY_X_BEARER_TOKEN": x_api.token,
            "TAGSTORY_X_POLL_SECONDS": "0.2",
            "TAGSTORY_MASTODON_POLL_SECONDS": "0.2",
            "TAGSTORY_RSS_POLL_SECONDS": "0.2",
            "TAGSTORY_POLL_SECONDS": "0.2",
            "TAGSTORY_BLUESKY_APPVIEW_URL": appview.url,
        }
    )
    specs = ["x", f"mastodon:{mastodon.url}", f"bluesky:{jetstream.ws_url}", f"rss:{rss_url}"]
    server.cli("feed", "add", "kc", "#kredcrew", *[arg for spec in specs for arg in ("--source", spec)])
    viewer = socketio.Client(reconnection=False)
    received: list[dict] = []
    viewer.on("item", received.append)
    viewer.connect(server.url, transports=["websocket"])
    try:
        assert viewer.call("join", {"feed": "kc", "after": 0}, timeout=10)["ok"]
        x_api.tweets.append(tweet(1, "live on X #kredcrew"))
        mastodon.add(status(1))
        jetstream.publish(post_event(LIVE_US, "live on Bluesky #kredcrew", "all1", tags=("kredcrew",)))
        rss.entries.append(("e1", "Live on the blog #kredcrew", "<p>summit notes</p>"))
        wait_for(
            lambda: {e["item"]["source"] for e in received} == {"x", "mastodon", "bluesky", "rss"}, timeout=30
        )
    finally:
        viewer.disconnect()
    import requests

    health = requests.get(server.url + "/api/feeds/kc", timeout=5).json()["sources"]
    assert {s["network"]: s["state"] for s in health} == {
        "x": "running",
        "mastodon": "running",
        "bluesky": "running",
        "rss": "running",
    }
    assert all(s["items"] == 1 and s["last_success"] for s in health)
