"""The desk's fixtures: feeds with items, stories, logged-in curators (built by tests/factories.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from aggregator.feeds import get_feed
from stories.curators import create_curator, get_curator, session_generation
from tests import factories


@pytest.fixture
def feed(db: Any) -> dict[str, Any]:
    """An empty feed named `demo`."""
    return factories.feed(db)


@pytest.fixture
def post(db: Any, feed: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Store one item into `demo` through the pipeline: post(n, text=..., author=..., **fields)."""

    def make(n: int, text: str | None = None, author: str = "Tess", **fields: Any) -> dict[str, Any]:
        author_fields = {"name": author, "handle": author.lower()}
        stored = factories.post(
            db, get_feed(db, "demo"), n, text=text or f"post {n}", author=author_fields, **fields
        )
        assert stored, f"post {n} was a duplicate"
        return stored

    return make


@pytest.fixture
def curator_client(app: Any, db: Any) -> Callable[[str], tuple[Any, dict[str, str]]]:
    """A new test client with a session as curator `name` (created without a password: no slow
    hashing; the login form has its own tests), and its CSRF header."""

    def make(name: str) -> tuple[Any, dict[str, str]]:
        if get_curator(db, name) is None:
            create_curator(db, name, None)
        client = app.test_client()
        csrf = secrets.token_urlsafe(16)
        with client.session_transaction() as session:
            session.update(curator=name, csrf=csrf, generation=session_generation(db, name))
        return client, {"X-CSRF-Token": csrf}

    return make


def events_named(sio: Any, name: str) -> list[dict[str, Any]]:
    """The payloads of the `name` events a Socket.IO test client received since last asked."""
    # A socket the server disconnected refuses get_received(); what it got is still queued.
    packets = sio.get_received() if sio.is_connected() else sio.queue
    return [packet["args"][0] for packet in packets if packet["name"] == name]


@pytest.fixture
def story(db: Any, feed: dict[str, Any], curator_client: Any) -> dict[str, Any]:
    """A draft story `s` on the `demo` feed, owned by curator `owner`."""
    curator_client("owner")
    return factories.story(db, get_curator(db, "owner"), "S", status="draft", slug="s")
