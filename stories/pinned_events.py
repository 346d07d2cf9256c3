"""A pinned post that changes reaches every story that pins it, live: an `update` of its element.

Subscribed to aggregator.item_watchers by the composition root. An edit at the source shows
the new text in each story; a post its author deleted, or one the curators no longer approve
in the story's feed, becomes its placeholder (stories.pins), and the earlier events of the
story that carried it carry the placeholder too, so no catch-up replays what was taken away.
"""

from __future__ import annotations

from typing import Any

from aggregator import eventlog
from aggregator.db import Database
from stories.element_rows import element_with_item
from stories.pins import Pin, load


def follow_item(db: Database, tx: Any, item_id: str, feed_name: str | None, status: str | None) -> None:
    """Append an `update` to each story pinning `item_id` (only those of `feed_name`, when given)."""
    rows = tx.execute(
        "SELECT e.*, s.slug, f.name AS feed_name FROM elements e JOIN stories s ON s.id = e.story_id"
        " LEFT JOIN feeds f ON f.id = s.feed_id WHERE e.item_id = ?",
        [item_id],
    ).fetchall()
    for row in rows:
        if feed_name is not None and row["feed_name"] != feed_name:
            continue
        pin = load(tx, row["story_id"], [item_id]).get(item_id)
        if pin is not None and status is not None:
            pin = Pin(pin.item, status)  # the feed's row is written after this event
        element = element_with_item(tx, row, pin)
        room = eventlog.story_room(row["slug"])
        if element["removed"]:
            eventlog.redact_pinned_item(
                tx, room, item_id, {"item": element["item"], "removed": element["removed"]}
            )
        eventlog.story_event(db, tx, row["slug"], "update", element)
