"""Every request Tagstory sends names it, its version and the operator's contact (CONTACT_URL).

Seen by local servers speaking each network's protocol: Mastodon, X (through tweepy), Jetstream
(the websocket handshake), RSS and the Bluesky AppView.
"""

from __future__ import annotations

from aggregator.feeds import create_feed
from aggregator.sources.http import VERSION
from tests.sources.conftest import feed_texts, wait_for
from tests.sources.servers import FakeRss, post_event, status, tweet

CONTACT = "https://events.example/contact"
EXPECTED = f"Tagstory/{VERSION} (+{CONTACT})"
LIVE_US = 1783175999000000


def test_every_network_sees_tagstory_and_the_contact_url(
    db, serve, mastodon, jetstream, x_api, appview, collecting
):
    rss = FakeRss()
    rss_url = serve(rss).url + "/feed.xml"
    rss.entries.append(("e1", "On the blog #kredcrew", "<p>notes</p>"))
    mastodon.add(status(1))
    x_api.tweets.append(tweet(1, "on X #kredcrew"))
    jetstream.publish(post_event(LIVE_US, "on Bluesky #kredcrew", "u1"))
    specs = ["x", f"mastodon:{mastodon.url}", f"bluesky:{jetstream.ws_url}", f"rss:{rss_url}"]
    create_feed(db, "kc", "#kredcrew", specs)
    with collecting(
        CONTACT_URL=CONTACT, X_API_URL=x_api.url, X_BEARER_TOKEN=x_api.token, RSS_POLL_SECONDS=0.05
    ):
        wait_for(lambda: len(feed_texts(db, "kc")) >= 4)
    assert mastodon.user_agents == {EXPECTED}
    assert x_api.user_agents == {EXPECTED}
    assert set(jetstream.user_agents) == {EXPECTED}
    assert {r["User-Agent"] for r in rss.requests} == {EXPECTED}
    assert appview.user_agents == {EXPECTED}


def test_version_matches_the_project():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert project["project"]["version"] == VERSION
