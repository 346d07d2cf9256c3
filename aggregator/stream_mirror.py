"""The event log mirrored into Redis, for edge nodes that have no database (web/edge).

The primary appends, in seq order, every event viewers may see: to one stream that edges
tail (`XREAD`) and to a stream per room that they page catch-ups from (`XRANGE`). Each
entry's id is `SEQ-0`. What viewers may not see (a desk's events, a draft's edits) is never
appended; a batch that ends with such events gets a bare position entry (no room, no
content), so the stream's last id is always the last seq of the log it has considered and
an edge knows when it has caught up with a page rendered by the primary.

Retention is a number of log seqs (`STREAM_RETENTION`): every stream is trimmed to the
ids above `last seq - retention` (`MINID ~`, so Redis may keep a little more), and that
floor is stored, so that an edge answers a join older than it with "reload" instead of a
gap. A story's `reset` seqs are kept per room (catch-up starts at the latest one, as from
the log). When moderation takes content away, the log rewrites the earlier events in
place; here those entries are deleted from both streams and their rewritten form is kept
in a sorted set per room that catch-ups merge in, so Redis no longer holds the content.

Every commit wakes the mirror: its own process's directly, another process's (a web worker,
`flask collect`) through the broadcaster, which reads the log on every doorbell
(`WakingSource`). After a pass that appended events it waits `PACE_SECONDS` before the
next, so the commits of a busy primary are appended a few dozen at a time.
The mirror resumes from the stream's last id: after Redis was
unreachable, or restarted empty, it appends what the stream is missing (at most the
retention) before anything new. A stream that runs past the log's end mirrors another
database (one replaced, or restored from a backup, while Redis kept the stream): its seqs
name other events, so the mirror deletes everything it keeps in Redis, appends this log
anew and, once it has caught up with it, sets a new `RESTART` token, which tells edges to
send their viewers to reload and go on from the stream's end (web/edge/stream.py).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Iterable
from typing import Any, Protocol

from aggregator import eventlog
from aggregator.db import Database

log = logging.getLogger(__name__)

PREFIX = "tagstory:"
STREAM = PREFIX + "stream"  # every mirrored event, and position entries: what edges tail
FLOOR = PREFIX + "floor"  # entries with a seq below this may have been trimmed
ROOMS = PREFIX + "rooms"  # room -> "open" (a feed) or a story's status: what edges let viewers join
RESTART = PREFIX + "restart"  # a new token each time the streams were started over for another log
KEPT_PATTERNS = (PREFIX + "room:*", PREFIX + "rewrites:*", PREFIX + "resets:*")  # with STREAM, FLOOR, ROOMS
BATCH = 500  # log events read and appended at once
RETRY_SECONDS = 1.0  # between two attempts while Redis is unreachable
PACE_SECONDS = 0.01  # after a pass that appended events, the wait before the next
# A whole pass as one command (a script runs atomically: no MULTI/EXEC), sent by its SHA:
# the rooms listed anew, each event to the stream and to its room's stream (`XADD ... MINID ~
# floor`), a story's resets kept, the position entry, the floor, a new restart token. One
# command instead of six or more per pass: redis-py packs and parses each in Python, and
# that was most of a pass's cost (~200 us a pass, ~35 us an event, against a real redis-server).
# KEYS: the stream, the floor, the rooms, the restart token, then each event's room stream,
# then each reset event's resets set. ARGV: the floor ('' for none), the position entry's id
# (''), the restart token (''), the number of rooms then room/status pairs, the number of
# events then per event its id, room, type, payload and '1' when it is a reset.
PASS = """
local floor, position, restart = ARGV[1], ARGV[2], ARGV[3]
local rooms = tonumber(ARGV[4])
local at = 5
redis.call('DEL', KEYS[3])
for first = at, at + 2 * rooms - 1, 200 do
  redis.call('HSET', KEYS[3], unpack(ARGV, first, math.min(first + 199, at + 2 * rooms - 1)))
end
at = at + 2 * rooms
local count = tonumber(ARGV[at])
at = at + 1
local resets = 0
for i = 1, count do
  local id, room, kind, payload = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  redis.call('XADD', KEYS[1], 'MINID', '~', floor, id, 'room', room, 'type', kind, 'payload', payload)
  redis.call('XADD', KEYS[4 + i], 'MINID', '~', floor, id, 'room', room, 'type', kind, 'payload', payload)
  if ARGV[at + 4] == '1' then
    resets = resets + 1
    local key, seq = KEYS[4 + count + resets], string.match(id, '^%d+')
    redis.call('ZADD', key, seq, seq)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. floor)
  end
  at = at + 5
end
if position ~= '' then
  redis.call('XADD', KEYS[1], 'MINID', '~', floor, position, 'room', '')
end
if floor ~= '' then
  redis.call('SET', KEYS[2], floor)
end
if restart ~= '' then
  redis.call('SET', KEYS[4], restart)
end
return count
"""


def room_stream(room: str) -> str:
    """The stream of one room's mirrored events (catch-up reads it)."""
    return f"{PREFIX}room:{room}"


def room_rewrites(room: str) -> str:
    """The sorted set (score: seq) of a room's events as moderation rewrote them."""
    return f"{PREFIX}rewrites:{room}"


def room_resets(room: str) -> str:
    """The sorted set (score: seq) of a story room's `reset` events."""
    return f"{PREFIX}resets:{room}"


def entry_id(seq: int) -> str:
    return f"{seq}-0"


def entry_seq(entry_id: bytes | str) -> int:
    """The seq of a stream entry's id (`SEQ-0`)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


def fields(event: dict[str, Any]) -> dict[str, str]:
    """A stream entry's fields for `event`: its room, its type, its payload as JSON text.

    The entry's id holds the seq, which readers put in the payload (`eventlog.event_of`): a
    pass appends each payload as the log stores it, without one; a rewrite, with it."""
    payload = json.dumps(event["payload"], ensure_ascii=False, separators=(",", ":"))
    return {"room": event["room"], "type": event["type"], "payload": payload}


def row(seq: int, stored: dict[bytes, bytes]) -> dict[str, Any] | None:
    """A stream entry as a row of the log (seq, room, type, payload text), or None for a position entry."""
    if not stored.get(b"room"):
        return None
    return {
        "seq": seq,
        "room": stored[b"room"].decode(),
        "type": stored[b"type"].decode(),
        "payload": stored[b"payload"].decode(),
    }


def rewritten(event: dict[str, Any]) -> str:
    """A rewritten event as its sorted set member: the row, as one JSON text."""
    return json.dumps({"seq": event["seq"], **fields(event)}, ensure_ascii=False, separators=(",", ":"))


class Viewers(Protocol):
    """Which events viewers may see, and which rooms they may join (stories.visibility)."""

    def visible(self, event: dict[str, Any]) -> bool:
        """Whether viewers may see `event`; called once per event, in seq order."""

    def forget(self) -> None:
        """The mirror starts over from another seq: drop what was learned walking the log."""

    def rooms(self) -> dict[str, str]:
        """Every room viewers may follow now, with its status."""


class StreamMirror:
    """Appends the log's viewer-visible events to Redis (run as one background task)."""

    def __init__(
        self,
        db: Database,
        client: Any,
        viewers: Viewers,
        retention: int,
        poll_seconds: float = 1.0,
        pace_seconds: float = PACE_SECONDS,
    ) -> None:
        self.db, self.client, self.viewers = db, client, viewers
        self.retention = retention
        self.poll_seconds = poll_seconds
        self.pace_seconds = pace_seconds
        self.position: int | None = None  # the stream's last id, once read from Redis
        self.restarting = False  # the streams were started over: a new RESTART once caught up
        self.script = client.register_script(PASS)  # EVALSHA, loading the script again after a restart
        self.wake = threading.Event()
        self.stopped = threading.Event()

    def notify(self, events: list[dict[str, Any]] | None = None) -> None:
        """Something was committed: mirror it soon."""
        self.wake.set()

    def run(self) -> None:
        """Mirror on every notification and every `poll_seconds`, but after a pass that appended
        events wait `pace_seconds` first; retry while Redis is away.

        A pass costs about the same for one event as for fifty (the rooms listed, one log read,
        one script), and two workers' commits woke it a few hundred times a second: what is
        committed during the pause goes in the next pass, together.
        """
        while not self.stopped.is_set():
            self.wake.wait(self.poll_seconds)
            self.wake.clear()
            try:
                read = BATCH
                while read == BATCH:
                    read = self.mirror_pending()
                if read:
                    self.stopped.wait(self.pace_seconds)
            except Exception as error:  # Redis away: nothing is lost, the log keeps it all
                log.warning("could not mirror the event log to Redis (%s); retrying", error)
                self.position = None  # read the stream's end again: Redis may have restarted empty
                self.stopped.wait(RETRY_SECONDS)
                self.wake.set()

    def mirror_pending(self) -> int:
        """Append the next batch of the log after the stream's end; return how many log events it read."""
        if self.position is None:
            self.position = self._resume_point()
            self.viewers.forget()
        rows = eventlog.all_after_rows(self.db, self.position, limit=BATCH)
        if not rows:  # a feed made (no event) can be joined: the rooms are listed on every poll
            self._pass([], {}, "", "", caught_up=True)
            return 0
        events = [eventlog.event_of(found) for found in rows]
        stored = {found["seq"]: found["payload"] for found in rows}  # appended as it is: no encoding
        last = events[-1]["seq"]
        floor = max(1, last - self.retention + 1)
        shown = [event for event in events if self.viewers.visible(event)]
        # Rewrites first: an edge that sees an event that takes content away finds it gone already.
        self._rewrite((event for event in shown if _takes_away(event)), floor)
        position = "" if shown and shown[-1]["seq"] == last else entry_id(last)
        self._pass(shown, stored, str(floor), position, caught_up=len(events) < BATCH)
        self.position = last
        return len(events)

    def _pass(
        self, shown: list[dict[str, Any]], stored: dict[int, str], floor: str, position: str, caught_up: bool
    ) -> None:
        """One `PASS`: the rooms, `shown` (their payloads' `stored` texts, with `floor`), the
        `position` entry and, after a start over, once caught up, a new `RESTART` token (edges go
        on from there: everything the stream holds before it is this log's). The mirror stops
        restarting only once the script that announced it ran: a pass that fails announces again."""
        restart = secrets.token_hex(8) if self.restarting and caught_up else ""
        rooms = self.viewers.rooms() or {"": ""}
        keys = [STREAM, FLOOR, ROOMS, RESTART, *(room_stream(event["room"]) for event in shown)]
        args: list[Any] = [floor, position, restart, len(rooms)]
        for room, status in rooms.items():
            args += [room, status]
        args.append(len(shown))
        for event in shown:
            reset = event["payload"].get("op") == "reset"
            args += [entry_id(event["seq"]), event["room"], event["type"], stored[event["seq"]], int(reset)]
            if reset:
                keys.append(room_resets(event["room"]))
        self.script(keys=keys, args=args)
        if restart:
            self.restarting = False

    def _resume_point(self) -> int:
        """The stream's last seq, or (empty, or older than the retention) where the retention starts;
        a stream past the log's end is started over (`_start_over`)."""
        newest = self.client.xrevrange(STREAM, count=1)
        end = entry_seq(newest[0][0]) if newest else 0
        last = eventlog.last_seq(self.db)
        if end > last:
            log.warning(
                "the stream in Redis runs to seq %d, past this log's %d: mirroring this log anew", end, last
            )
            self._start_over()
            end = 0
        return max(end, last - self.retention)

    def _start_over(self) -> None:
        """Delete every key the mirror keeps (the streams, rewrites, resets, floor and rooms)."""
        keys = [STREAM, FLOOR, ROOMS]
        for pattern in KEPT_PATTERNS:
            keys += list(self.client.scan_iter(match=pattern, count=1000))
        self.restarting = True  # before: however far the deletion got, the edges will be told
        pipe = self.client.pipeline(transaction=True)
        for first in range(0, len(keys), 1000):
            pipe.delete(*keys[first : first + 1000])
        pipe.execute()

    def _rewrite(self, leaving: Iterable[dict[str, Any]], floor: int) -> None:
        """Events that take content away: the earlier entries the log rewrote are replaced here too."""
        for event in leaving:
            rows = _rewritten_rows(self.db, event, floor)
            if not rows:
                continue
            room = event["room"]
            pipe = self.client.pipeline(transaction=False)
            for event in rows:
                pipe.xdel(room_stream(room), entry_id(event["seq"]))
                pipe.zremrangebyscore(room_rewrites(room), event["seq"], event["seq"])
            found = pipe.execute()
            pipe = self.client.pipeline(transaction=True)
            for event, in_stream, was_rewritten in zip(rows, found[0::2], found[1::2], strict=True):
                if in_stream or was_rewritten:  # a draft's events were never mirrored
                    pipe.xdel(STREAM, entry_id(event["seq"]))
                    pipe.zadd(room_rewrites(room), {rewritten(event): event["seq"]})
            pipe.execute()


class WakingSource:
    """The primary broadcaster's event source (the log), waking the mirror whenever it reads news.

    Only the process that runs the mirror (worker 0 with several workers) is woken by its own
    commits; the broadcaster reads the log whenever any process commits (the Redis doorbell),
    so through it what another worker or `flask collect` commits is mirrored at once too.
    """

    def __init__(self, source: Any, mirror: StreamMirror) -> None:
        self.source, self.mirror = source, mirror

    def last_seq(self) -> int:
        return self.source.last_seq()

    def all_after(self, after: int, limit: int, upto: int) -> list[dict[str, Any]]:
        events = self.source.all_after(after, limit, upto)
        if events:
            self.mirror.notify(events)
        return events

    def catch_up_rows(self, room: str, after: int, upto: int, limit: int) -> list[Any]:
        return self.source.catch_up_rows(room, after, upto, limit)


def _takes_away(event: dict[str, Any]) -> bool:
    """Whether the log rewrote earlier events of this room when it appended `event`."""
    payload = event["payload"]
    if event["type"] == "item" and isinstance(payload.get("item"), dict):
        item = payload["item"]
        return item.get("status") != "approved" or bool(item.get("deleted"))
    element = payload.get("element")
    return event["type"] == "story" and isinstance(element, dict) and bool(element.get("removed"))


def _rewritten_rows(db: Database, event: dict[str, Any], floor: int) -> list[dict[str, Any]]:
    """The earlier events of `event`'s room that carried the item it takes away, as the log holds them now."""
    payload = event["payload"]
    if event["type"] == "item":
        item_id = payload["item"].get("id")
    else:
        item_id = (payload["element"].get("item") or {}).get("id")
    if item_id is None:
        return []
    return eventlog.carrying(db, event["room"], event["type"], item_id, floor, event["seq"])


def redis_client(url: str) -> Any:
    """A Redis client for the mirror and the edges: short timeouts, so an outage is noticed."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
