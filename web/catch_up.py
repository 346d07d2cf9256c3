"""Catch-up pages, read from the event log and encoded once for every join that asks the same.

After a Wi-Fi drop in a hall a thousand viewers rejoin from the same seq within a second:
each page (a room's events after a seq, up to where the broadcaster is, in one form) is
read and encoded by the first join that asks for it and served to the others as the same
JSON text. A page is what the log held when it was read: a later redaction is delivered
with an event past the page's end, so the key (which holds that end) changes with it.

While live events go on, that end moves every tick and the page is read again; each of
its events is decoded and encoded once all the same, while its stored text is unchanged
(a redaction rewrites it, so a redacted event is encoded anew).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aggregator import eventlog
from aggregator.db import Database
from web import frames
from web.socket_json import Encoded

PAGES_KEPT = 64  # pages in memory at once (a page is a list of at most about 1,000 events)
EVENTS_KEPT = 2048  # encoded events in memory at once (every form together): a frames join's reach, twice
ENCODINGS_KEPT = 8  # runs of events joined or encoded for an acknowledgement or a frame (up to ~650 KB each)

Made = TypeVar("Made")


@dataclass(frozen=True)
class Missed:
    """One event of a catch-up page and its entry in an acknowledgement's `events`, encoded."""

    event: dict[str, Any]
    text: str


def _entry_text(entry: dict[str, Any]) -> str:
    return json.dumps(entry, separators=(",", ":"))  # as the Socket.IO packet encodes it


class EventSource(Protocol):
    """Where a broadcaster reads events in seq order: the log (`LogSource`) or an edge's stream."""

    def last_seq(self) -> int:
        """The highest seq there (0 when empty)."""

    def all_after(self, after: int, limit: int, upto: int) -> list[dict[str, Any]]:
        """Every event with after < seq <= upto, in order."""

    def catch_up_rows(self, room: str, after: int, upto: int, limit: int) -> list[Any]:
        """`eventlog.catch_up_rows` (seq, room, type, payload as JSON text); may raise `Unavailable`."""


class LogSource:
    """The event log in SQLite, as the primary reads it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def last_seq(self) -> int:
        return eventlog.last_seq(self.db)

    def all_after(self, after: int, limit: int, upto: int) -> list[dict[str, Any]]:
        return eventlog.all_after(self.db, after, limit=limit, upto=upto)

    def catch_up_rows(self, room: str, after: int, upto: int, limit: int) -> list[Any]:
        return eventlog.catch_up_rows(self.db, room, after, upto, limit)


class Unavailable(Exception):
    """A catch-up this process cannot serve now; `answer` is the join's acknowledgement."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["error"])
        self.answer = answer


class Encodings:
    """What was made of a run of catch-up events (their JSON text, a frame's packet), kept for the next
    join that sends the very same run.

    A crowd rejoining from one seq within a tick is sent the same events: joining ~130 KB
    of text for an acknowledgement, or encoding and framing ~650 KB of frames, costs far
    more than comparing a few hundred references. A run is known by its `Missed` objects
    themselves (kept here, so never reused): a redacted event is a new `Missed`, so a run
    holding it is made anew.
    """

    def __init__(self, kept: int = ENCODINGS_KEPT) -> None:
        self.kept = kept
        self.lock = threading.Lock()
        self.made: OrderedDict[tuple[str, int, int, int], tuple[list[Missed], Any]] = OrderedDict()

    def get(self, tag: str, events: list[Missed], make: Callable[[], Made]) -> Made:
        """`make()` for `events` (`tag`: what is made of them), or what it made for the same run before."""
        key = (tag, len(events), id(events[0]) if events else 0, id(events[-1]) if events else 0)
        with self.lock:
            found = self.made.get(key)
            if found is not None and all(mine is yours for mine, yours in zip(found[0], events, strict=True)):
                self.made.move_to_end(key)
                return found[1]
        made = make()
        with self.lock:
            self.made[key] = (list(events), made)
            while len(self.made) > self.kept:
                self.made.popitem(last=False)
        return made


def events_text(events: list[Missed]) -> Encoded:
    """The `events` of an acknowledgement or a frame, as the JSON text Socket.IO splices in."""
    return Encoded("[" + ",".join(missed.text for missed in events) + "]")


class Pages:
    """A small LRU of catch-up pages keyed by (room, after, upto, limit, form), and what was made of them."""

    def __init__(self, kept: int = PAGES_KEPT, events_kept: int = EVENTS_KEPT) -> None:
        self.kept, self.events_kept = kept, events_kept
        self.lock = threading.Lock()
        self.encodings = Encodings()
        self.pages: OrderedDict[tuple[str, int, int, int, str], list[Missed]] = OrderedDict()
        # (seq, form) -> (the stored payload text it was made from, the encoded event)
        self.encoded: OrderedDict[tuple[int, str], tuple[str, Missed]] = OrderedDict()

    def clear(self) -> None:
        """Forget every page and encoding: the seqs they were read at may name other events now."""
        with self.lock:
            self.pages.clear()
            self.encoded.clear()
            self.encodings = Encodings()

    def read(
        self, source: EventSource, room: str, after: int, upto: int, limit: int, form: str
    ) -> list[Missed]:
        """What a client at `after` is sent of `room` up to `upto` (from its latest reset), encoded."""
        key = (room, after, upto, limit, form)
        with self.lock:
            if key in self.pages:
                self.pages.move_to_end(key)
                return self.pages[key]
        page = [self._encoded(row, form) for row in source.catch_up_rows(room, after, upto, limit)]
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > self.kept:
                self.pages.popitem(last=False)
        return page

    def _encoded(self, row: Any, form: str) -> Missed:
        """The event of a stored row in `form`, encoded: again only when its stored text changed."""
        key, stored = (row["seq"], form), row["payload"]
        with self.lock:
            known = self.encoded.get(key)
            if known is not None and known[0] == stored:
                self.encoded.move_to_end(key)
                return known[1]
        event = eventlog.event_of(row)
        missed = Missed(event, _entry_text(frames.frame_events([event], form)[0]))
        with self.lock:
            self.encoded[key] = (stored, missed)
            while len(self.encoded) > self.events_kept:
                self.encoded.popitem(last=False)
        return missed
