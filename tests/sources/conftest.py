"""Fixtures of the source tests: local protocol servers and a collector running against them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from aggregator.collector import Collector
from tests import conftest as shared
from tests.sources.servers import FakeAppView, FakeJetstream, FakeMastodon, FakeX, LocalServer


def wait_for(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """The shared `wait_for` with a deadline that suits network sources on a busy machine."""
    return shared.wait_for(condition, timeout)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], LocalServer]]:
    """Serve a WSGI app on 127.0.0.1 for the test: `serve(app).url`."""
    started: list[LocalServer] = []

    def start(app: Any) -> LocalServer:
        server = LocalServer(app)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def mastodon(serve: Callable[[Any], LocalServer]) -> Iterator[FakeMastodon]:
    """A local Mastodon server; its URL is `mastodon.url`."""
    fake = FakeMastodon()
    fake.url = serve(fake).url
    yield fake
    fake.stop()


@pytest.fixture
def appview(serve: Callable[[Any], LocalServer]) -> FakeAppView:
    """A local Bluesky AppView (getProfiles); every collector of a test asks it for authors' labels."""
    fake = FakeAppView()
    fake.url = serve(fake).url
    return fake


@pytest.fixture(autouse=True)
def quick_jetstream_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quiet Jetstream connection ends its batch and looks at `stop` every 0.1 s instead of 0.5 s.

    Every test's Jetstream is quiet between the events it sends: with the product's half
    second, each lone event waits up to that before its batch is stored, and each stop too.
    """
    from aggregator.sources import bluesky

    monkeypatch.setattr(bluesky, "BATCH_SECONDS", 0.1)


@pytest.fixture(autouse=True)
def fresh_profile_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no cached Bluesky profile: one test's labels must not reach the next."""
    from aggregator.sources.appview import AppViewConsent

    monkeypatch.setattr(AppViewConsent, "_caches", {})


@pytest.fixture
def collecting(app: Any, db: Any, appview: FakeAppView) -> Callable[..., Any]:
    """`with collecting(**settings):` runs every source of the database until the block ends."""

    @contextmanager
    def run(**settings: Any) -> Iterator[Collector]:
        # The fake networks listen on 127.0.0.1: these tests allow private addresses unless they say not to.
        config = {
            **app.config,
            "MASTODON_POLL_SECONDS": 0.05,
            "FETCH_ALLOW_PRIVATE": True,
            "BLUESKY_APPVIEW_URL": appview.url,
            **settings,
        }
        collector = Collector(db, config)
        collector.refresh()
        try:
            yield collector
        finally:
            collector.stop()

    return run


def source_row(db: Any, feed: str) -> Any:
    """The first source of a feed, as stored (state, cursor, last error…)."""
    return db.query_one(
        "SELECT s.* FROM sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = ? ORDER BY s.id", [feed]
    )


def feed_texts(db: Any, feed: str) -> list[str]:
    """The text of every item of a feed, in seq order."""
    rows = db.query(
        "SELECT i.text FROM feed_items m JOIN items i ON i.id = m.item_id JOIN feeds f ON f.id = m.feed_id"
        " WHERE f.name = ? ORDER BY m.seq",
        [feed],
    )
    return [row["text"] for row in rows]


@pytest.fixture
def jetstream(serve: Callable[[Any], LocalServer]) -> Iterator[Any]:
    """A local Jetstream replaying the shared fixture; `jetstream.ws_url` is its /subscribe URL."""
    fake = FakeJetstream.from_fixture()
    fake.ws_url = serve(fake).url.replace("http://", "ws://") + "/subscribe"
    yield fake
    fake.stop()


@pytest.fixture
def x_api(serve: Callable[[Any], LocalServer]) -> Iterator[FakeX]:
    """A local X API v2; collect with `X_API_URL=x_api.url, X_BEARER_TOKEN=x_api.token`."""
    fake = FakeX()
    fake.url = serve(fake).url
    yield fake
    fake.stop()


@pytest.fixture
def threads_api(serve: Callable[[Any], LocalServer]) -> Iterator[Any]:
    """A local Threads API; collect with `THREADS_API_URL=threads_api.url + "/v1.0"`."""
    from tests.sources.servers.threads import FakeThreads

    fake = FakeThreads()
    fake.url = serve(fake).url
    yield fake


@pytest.fixture
def youtube_api(serve: Callable[[Any], LocalServer]) -> Iterator[Any]:
    """A local YouTube Data API; collect with `YOUTUBE_API_URL=youtube_api.url + "/youtube/v3"`."""
    from tests.sources.servers.youtube import FakeYouTube

    fake = FakeYouTube()
    fake.url = serve(fake).url
    yield fake


@pytest.fixture
def instagram_api(serve: Callable[[Any], LocalServer]) -> Iterator[Any]:
    """A local Instagram Graph API; collect with `INSTAGRAM_API_URL=instagram_api.url + "/v21.0"`."""
    from tests.sources.servers.instagram import FakeInstagram

    fake = FakeInstagram()
    fake.url = serve(fake).url
    yield fake
