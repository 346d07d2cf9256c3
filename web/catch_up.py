"""Catch-up pages, read from the event log and encoded once for every join that asks the same.

After a Wi-Fi drop in a hall a thousand viewers rejoin from the same seq within a second:
each page (a room's events after a seq, up to where the broadcaster is, in one form) is
read and encoded by the first join that asks for it and served to the others as the same
JSON text. A page is what the log held when it was read: a later redaction is delivered
with an event past the page's end, so the key (which holds that end) changes with it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from aggregator import eventlog
from aggregator.db import Database
from web import frames

PAGES_KEPT = 64  # pages in memory at once (a page is at most about 100 events)


class EventSource(Protocol):
    """Where a broadcaster reads events in seq order: the log (`LogSource`) or an edge's stream."""

    def last_seq(self) -> int:
        """The highest seq there (0 when empty)."""

    def all_after(self, after: int, limit: int, upto: int) -> list[dict[str, Any]]:
        """Every event with after < seq <= upto, in order."""

    def catch_up(self, room: str, after: int, upto: int, limit: int) -> list[dict[str, Any]]:
        """What a client at `after` is sent of `room` up to `upto`; may raise `Unavailable`."""


class LogSource:
    """The event log in SQLite, as the primary reads it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def last_seq(self) -> int:
        return eventlog.last_seq(self.db)

    def all_after(self, after: int, limit: int, upto: int) -> list[dict[str, Any]]:
        return eventlog.all_after(self.db, after, limit=limit, upto=upto)

    def catch_up(self, room: str, after: int, upto: int, limit: int) -> list[dict[str, Any]]:
        return eventlog.catch_up(self.db, room, after, upto, limit)


class Unavailable(Exception):
    """A catch-up this process cannot serve now; `answer` is the join's acknowledgement."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["error"])
        self.answer = answer


@dataclass(frozen=True)
class Missed:
    """One event of a catch-up page and its entry in an acknowledgement's `events`, encoded."""

    event: dict[str, Any]
    text: str


def _entry_text(entry: dict[str, Any]) -> str:
    return json.dumps(entry, separators=(",", ":"))  # as the Socket.IO packet encodes it


class Pages:
    """A small LRU of catch-up pages keyed by (room, after, upto, limit, form)."""

    def __init__(self, kept: int = PAGES_KEPT) -> None:
        self.kept = kept
        self.lock = threading.Lock()
        self.pages: OrderedDict[tuple[str, int, int, int, str], list[Missed]] = OrderedDict()

    def read(
        self, source: EventSource, room: str, after: int, upto: int, limit: int, form: str
    ) -> list[Missed]:
        """What a client at `after` is sent of `room` up to `upto` (from its latest reset), encoded."""
        key = (room, after, upto, limit, form)
        with self.lock:
            if key in self.pages:
                self.pages.move_to_end(key)
                return self.pages[key]
        events = source.catch_up(room, after, upto, limit)
        page = [
            Missed(event, _entry_text(entry))
            for event, entry in zip(events, frames.frame_events(events, form), strict=True)
        ]
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > self.kept:
                self.pages.popitem(last=False)
        return page
