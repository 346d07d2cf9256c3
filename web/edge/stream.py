"""An edge node's event source: the Redis streams the primary mirrors (aggregator/stream_mirror.py).

It is what `LogSource` is to the primary: the broadcaster tails the shared stream and joins
page their catch-ups from a room's stream, so an edge runs the same broadcaster, frames
and catch-up code as the primary, with no database. A join this node cannot answer yet
(the stream has not reached its `after`, or Redis is unreachable) is told to retry; one
older than the retention is told to reload its page from the primary, and so is every
viewer when the primary started the streams over for another log (its database replaced
or restored while Redis kept the stream: the seqs this node delivered name other events).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import redis

from aggregator import eventlog
from aggregator.stream_mirror import (
    FLOOR,
    RESTART,
    STREAM,
    entry_id,
    entry_seq,
    room_resets,
    room_rewrites,
    room_stream,
    row,
)
from web.catch_up import Unavailable

log = logging.getLogger(__name__)

HISTORY_GONE = "this page is older than what the live servers keep; reload it"
NOT_YET = "this live server has not received your last event yet; join again"
UNREACHABLE = "the live servers' message queue is unreachable; join again"
NOT_YET_RETRY = 0.25  # seconds a join waits before asking again
BLOCK_MS = 1000  # how long one XREAD waits for a new entry


def _last(upto: int) -> str:
    return "+" if upto >= eventlog.MAX_SEQ else entry_id(upto)


def _floor(value: bytes | None) -> int:
    return int(value) if value else 1


def _position(seq: int) -> dict[str, Any]:
    """A position entry as an event: of no room, so nobody is sent it; the broadcaster moves past it."""
    return {"seq": seq, "room": "", "type": "", "payload": {}}


class StreamSource:
    """Reads the mirrored log from Redis (catch_up.EventSource); `on_behind` runs when it fell behind."""

    def __init__(self, client: Any, on_behind: Callable[[], None]) -> None:
        self.client = client
        self.on_behind = on_behind
        self.restart: bytes | None = None  # the primary's RESTART token this node goes on from
        self.restarts = 0  # how many times it saw a new one

    def last_seq(self) -> int:
        try:
            self.restart = self.client.get(RESTART)
            return self._stream_end()
        except redis.RedisError as error:
            log.warning("message queue unreachable at start (%s): reading the stream from its start", error)
            return 0

    def all_after(self, after: int, limit: int, upto: int) -> list[dict[str, Any]]:
        """The stream's entries after `after`; a position entry is an event of no room (nobody is in it).

        The floor and the restart token are read with the entries, in one transaction: when
        entries this node has not delivered may have been trimmed, or the streams were started
        over for another log, nothing it read is forwarded. Its viewers are told to reload
        first, and it goes on from the stream's end (one position entry). A token gone (Redis
        restarted empty) is no new one: the mirror appends the same log again.
        """
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.xrange(STREAM, min=entry_id(after + 1), max=_last(upto), count=limit)
            pipe.get(FLOOR)
            pipe.get(RESTART)
            entries, floor, restart = pipe.execute()
            if restart is not None and restart != self.restart:
                self.restart, self.restarts = restart, self.restarts + 1
                return [_position(self._end_after_reload())]
            if after and after < _floor(floor) - 1:
                return [_position(self._end_after_reload())]
        except redis.RedisError as error:
            log.warning("message queue unreachable (%s); delivery waits for it", error)
            return []
        events = []
        for key, stored in entries:
            found = row(entry_seq(key), stored)
            events.append(eventlog.event_of(found) if found else _position(entry_seq(key)))
        return events

    def _end_after_reload(self) -> int:
        """Fell behind the retention (or the log started over): the stream's end, read before the
        viewers are told to reload.

        What is appended after it reaches them (and the pages they reload) live.
        """
        end = self._stream_end()
        self.on_behind()
        return end

    def _stream_end(self) -> int:
        """The stream's last seq (0 when it is empty); raises redis.RedisError."""
        newest = self.client.xrevrange(STREAM, count=1)
        return entry_seq(newest[0][0]) if newest else 0

    def catch_up_rows(self, room: str, after: int, upto: int, limit: int) -> list[Any]:
        if after > upto:
            raise Unavailable({"ok": False, "error": NOT_YET, "retry_after": NOT_YET_RETRY})
        try:
            resets = self.client.zrevrangebyscore(room_resets(room), upto, f"({after}", start=0, num=1)
            start = int(resets[0]) - 1 if resets else after  # from the latest reset, as from the log
            # The floor is read with the page, in one transaction: a trim between them is seen.
            pipe = self.client.pipeline(transaction=True)
            pipe.xrange(room_stream(room), min=entry_id(start + 1), max=_last(upto), count=limit)
            pipe.zrangebyscore(room_rewrites(room), f"({start}", upto, start=0, num=limit)
            pipe.get(FLOOR)
            entries, rewritten, floor = pipe.execute()
            if start < _floor(floor) - 1:
                raise Unavailable({"ok": False, "error": HISTORY_GONE, "reload": True})
        except redis.RedisError as error:
            log.warning("message queue unreachable (%s) for a join", error)
            raise Unavailable({"ok": False, "error": UNREACHABLE, "retry_after": 1.0}) from error
        rows = [found for key, stored in entries if (found := row(entry_seq(key), stored))]
        rows += [json.loads(text) for text in rewritten]
        return sorted(rows, key=lambda found: found["seq"])[:limit]

    def listen(self, position: Callable[[], int], notify: Callable[[], None], stopped: Any) -> None:
        """Ring `notify` whenever the stream has entries past `position()` (XREAD, blocking); after
        the log started over, from where the broadcaster went on (lower than what it had seen)."""
        seen, restarts = position(), self.restarts
        while not stopped.is_set():
            if restarts != self.restarts:
                seen, restarts = position(), self.restarts
            try:
                found = self.client.xread({STREAM: entry_id(max(seen, position()))}, count=1, block=BLOCK_MS)
            except redis.RedisError as error:
                log.warning("message queue unreachable (%s); retrying", error)
                stopped.wait(1.0)
                continue
            if found:
                seen = entry_seq(found[0][1][-1][0])
                notify()
