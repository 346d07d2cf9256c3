"""Places outside the feeds that show an item (a story's pins) follow its changes from here.

The aggregator cannot know how a story shows a post (stories import the aggregator, never
the reverse), so they subscribe (the composition root wires them). Inside the transaction of
every change of an item's content (an edit, a deletion at its source, a forget) or of whether
a feed's viewers may see it, each subscriber is told the item, the feed (None: whatever feed)
and the item's new status there, and appends its own events in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregator.db import Database

Subscriber = Callable[[Database, Any, str, str | None, str | None], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Tell `subscriber(db, tx, item_id, feed_name, status)` of every change (once, however often called)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def changed(
    db: Database, tx: Any, item_id: str, feed_name: str | None = None, status: str | None = None
) -> None:
    """An item changed: its content (no feed), or its `status` in feed `feed_name`."""
    for subscriber in _subscribers:
        subscriber(db, tx, item_id, feed_name, status)
