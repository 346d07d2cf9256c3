"""What the crowd may see of the event log: the rooms and events an edge node mirrors.

A feed's viewers' room is public; its desk is the curators'. A story's room is public
while the story is not a draft: its return to draft is shown (viewers are withdrawn), what
is written while it is a draft is not, and its publication restates it with a `reset`.
"""

from __future__ import annotations

import json
from typing import Any

from aggregator import eventlog
from aggregator.db import Database

DRAFT = "draft"
PUBLISHED = "published"
_FEED = eventlog.feed_room("")
_STORY = eventlog.story_room("")


class ViewerRooms:
    """Walks the log in seq order and says which events viewers may see (stream_mirror.Viewers)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.statuses: dict[str, str] = {}  # story room -> its status after the last event walked

    def forget(self) -> None:
        self.statuses.clear()

    def visible(self, event: dict[str, Any]) -> bool:
        room = event["room"]
        if room.startswith(_FEED):
            return not room.endswith(":desk")
        if not room.startswith(_STORY):
            return False
        before = self.statuses.get(room) or _status_before(self.db, room, event["seq"])
        payload = event["payload"]
        if payload.get("op") == "reset":
            self.statuses[room] = PUBLISHED
        elif payload.get("op") == "meta" and isinstance(payload.get("meta"), dict):
            self.statuses[room] = payload["meta"].get("status", before)
        else:
            self.statuses[room] = before
        return before != DRAFT

    def rooms(self) -> dict[str, str]:
        feeds = {eventlog.feed_room(row["name"]): "open" for row in self.db.query("SELECT name FROM feeds")}
        stories = self.db.query("SELECT slug, status FROM stories")
        return {**feeds, **{eventlog.story_room(row["slug"]): row["status"] for row in stories}}


def _status_before(db: Database, room: str, seq: int) -> str:
    """A story's status just before `seq`: from its last change before, its first after, or now."""
    changes = (
        "SELECT seq, op, payload FROM events WHERE room = ? AND type = 'story'"
        " AND (op = 'reset' OR json_extract(payload, '$.meta.status') IS NOT NULL)"
    )
    earlier = db.query_one(changes + " AND seq < ? ORDER BY seq DESC LIMIT 1", [room, seq])
    if earlier is not None:
        return PUBLISHED if earlier["op"] == "reset" else json.loads(earlier["payload"])["meta"]["status"]
    later = db.query(changes + " AND seq >= ? ORDER BY seq LIMIT 2", [room, seq])
    if later:  # a publication from a draft is its `meta` then, next, its `reset`
        published = later[0]["op"] == "reset" or (
            len(later) == 2 and later[1]["op"] == "reset" and later[1]["seq"] == later[0]["seq"] + 1
        )
        return DRAFT if published else PUBLISHED
    row = db.query_one("SELECT status FROM stories WHERE slug = ?", [room.removeprefix(_STORY)])
    return row["status"] if row else DRAFT
