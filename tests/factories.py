"""Small builders shared by the foundation tests: items, feeds, stories on a real database."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from aggregator.feeds import create_feed
from aggregator.items import item_from_dict, store_items
from stories.model import create_story


def post_dict(n: int | str, **fields: Any) -> dict[str, Any]:
    """A valid item payload in Tagstory's JSON shape."""
    return {
        "source": "test",
        "source_id": str(n),
        "text": f"post {n}",
        "author": {"name": f"Author {n}", "handle": f"author{n}"},
        "url": f"https://example.org/posts/{n}",
        "created_at": "2012-05-29T18:00:00Z",
        **fields,
    }


def feed(db: Any, name: str = "demo") -> dict[str, Any]:
    """A feed with no sources."""
    return create_feed(db, name, f"#{name}", [])


def post(db: Any, into: dict[str, Any] | None, n: int | str, **fields: Any) -> dict[str, Any] | None:
    """Store one post into a feed through the pipeline; its public form, or None if deduped."""
    added = store_items(db, into, [item_from_dict(post_dict(n, **fields))])
    return added[0] if added else None


def story(
    db: Any, owner: dict[str, Any] | None, title: str = "A story", status: str = "live", **kw: Any
) -> dict[str, Any]:
    """A story owned by `owner` over the feed `demo` when it exists."""
    from aggregator.feeds import get_feed

    found = get_feed(db, "demo")
    return create_story(db, title, found["id"] if found else None, owner, status=status, **kw)


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real password hashing at one PBKDF2 round: scrypt's deliberate cost would dominate the suite."""
    from werkzeug import security

    from stories import curators

    cheap = functools.partial(security.generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr(curators, "generate_password_hash", cheap)
