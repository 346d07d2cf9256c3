"""Local servers on 127.0.0.1 that speak each network's protocol, for the source tests."""

from tests.sources.servers.appview import FakeAppView
from tests.sources.servers.bluesky_api import FakeBlueskyApi
from tests.sources.servers.jetstream import JETSTREAM_FIXTURE, FakeJetstream, post_event
from tests.sources.servers.local import LocalServer
from tests.sources.servers.mastodon import FakeMastodon, status
from tests.sources.servers.rss import FakeRss
from tests.sources.servers.x import RECORDED, FakeX, tweet

__all__ = [
    "JETSTREAM_FIXTURE",
    "RECORDED",
    "FakeAppView",
    "FakeBlueskyApi",
    "FakeJetstream",
    "FakeMastodon",
    "FakeRss",
    "FakeX",
    "LocalServer",
    "post_event",
    "status",
    "tweet",
]
