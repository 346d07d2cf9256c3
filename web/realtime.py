"""Live updates over Socket.IO: rooms per feed and per story, fed from the event log.

Each server process runs one `Broadcaster` that tails the event log in seq order, at most
once per frame tick (which grows with how long the last delivery took), and emits every
event once to its room (one encode per broadcast, no read per viewer) and every room's
events of that tick as one frame to the sockets that joined with `"frames": true`
(web/frames.py).
A `join` answers at most one page of missed events (a frames join up to `FRAMED_REACH`
behind: the page, and the rest as frames ahead of it), read outside the broadcaster's lock
by a few joins at a time; only the short tail delivered since is read under the lock, where
the socket enters the room, so the acknowledgement and the live events that follow have
no gap and no duplicate. Each connection's joins are metered by a token bucket.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from aggregator import eventlog, jsontext
from aggregator.feeds import feed_exists
from stories.model import can_edit, get_header, status_and_log_end
from web import catch_up, doorbell, frames, wire
from web.lookups import database
from web.security import connection_curator
from web.sockets import socketio

log = logging.getLogger(__name__)

CATCH_UP_PAGE = 100  # events per acknowledgement; a longer gap is fetched in pages (`more`)
FRAMED_REACH = 1000  # events a frames join may be behind and still get in with one join (ack + frames)
CATCH_UP_READERS = 2  # joins reading a page at once in this process; the others wait their turn
JOIN_BURST = 10  # joins one connection may send at once...
JOIN_RATE = 5.0  # ...and per second after that
THROTTLED = "too many joins; slow down"
JOIN_SHAPE = 'send {"feed": NAME} or {"story": SLUG}, and "after": SEQ'


class JoinThrottle:
    """A token bucket per connection: `JOIN_BURST` joins at once, then `JOIN_RATE` a second.

    A bucket left alone long enough to be full again is forgotten, so the table holds only
    the connections that joined in the last few seconds (no disconnect hook needed).
    """

    def __init__(self, burst: int = JOIN_BURST, rate: float = JOIN_RATE) -> None:
        self.burst, self.rate = burst, rate
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}  # sid -> (tokens, when)
        self.pruned = time.monotonic()

    def take(self, sid: str) -> float:
        """Spend one join of `sid`: 0 when allowed, else the seconds until the next one is."""
        now = time.monotonic()
        with self.lock:
            tokens, when = self.buckets.get(sid, (self.burst, now))
            tokens = min(self.burst, tokens + (now - when) * self.rate)
            if tokens < 1:
                self.buckets[sid] = (tokens, now)
                return (1 - tokens) / self.rate
            self.buckets[sid] = (tokens - 1, now)
            if now - self.pruned > self.burst / self.rate:
                full = now - self.burst / self.rate
                self.buckets = {k: v for k, v in self.buckets.items() if v[1] > full}
                self.pruned = now
            return 0.0


class Broadcaster:
    """Delivers every committed event, in seq order, to the rooms of this process."""

    def __init__(
        self,
        source: catch_up.EventSource,
        poll_seconds: float = 1.0,
        tick_seconds: float = 0.04,
        tick_max_seconds: float | None = None,
    ) -> None:
        self.source = source  # the log, or on an edge node the stream (web/edge)
        self.poll_seconds = poll_seconds
        self.tick_seconds = tick_seconds
        self.tick_max_seconds = tick_seconds if tick_max_seconds is None else tick_max_seconds
        self.tick_now = tick_seconds  # the wait after the last delivery (`next_tick`)
        self.clock = time.monotonic
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.delivered = source.last_seq()
        self.stopped = threading.Event()
        self.readers = threading.BoundedSemaphore(CATCH_UP_READERS)
        self.throttle = JoinThrottle()
        self.pages = catch_up.Pages()

    def notify(self, events: list[dict[str, Any]] | None = None) -> None:
        """Something was committed: deliver it soon (the `publish` of this process)."""
        self.wake.set()

    def deliver_pending(self, upto: int = eventlog.MAX_SEQ) -> int:
        """Emit every event after the last delivered one (up to `upto`); return how many were sent.

        Each call is one tick: per-event sockets get each event, frames sockets one frame per
        room (per `BATCH` events) holding that room's events in seq order.
        """
        sent = 0
        while True:
            with self.lock:
                events = self.source.all_after(self.delivered, BATCH, upto)
                self._emit(events)
                if events:
                    self.delivered = events[-1]["seq"]
            sent += len(events)
            if len(events) < BATCH:
                return sent

    def _emit(self, events: list[dict[str, Any]]) -> None:
        """Send one batch (lock held); a return to draft closes its room's frame before withdrawing."""
        framed: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            if _occupied(event["room"]):  # nobody follows per event: not even one encode
                wire.emit(event["type"], event["payload"], event["room"])
            framed.setdefault(event["room"], []).append(event)
            if _withdraws_viewers(event):
                _send_frames(event["room"], framed.pop(event["room"]))
                self._withdraw_viewers(event["payload"]["story"])
        for room, batch in framed.items():
            _send_frames(room, batch)

    def _withdraw_viewers(self, slug: str) -> None:
        """A story became a draft: only its curators' sockets stay in its rooms (lock held)."""
        room = eventlog.story_room(slug)
        manager = socketio.server.manager
        curators = {sid for sid, _ in manager.get_participants("/", eventlog.story_curators_room(slug))}
        withdrawn: set[str] = set()
        for target in (room, *(frames.frames_room(room, form) for form in frames.FORMS)):
            for sid, _ in list(manager.get_participants("/", target)):
                if sid not in curators:
                    socketio.server.leave_room(sid, target, namespace="/")
                    withdrawn.add(sid)
        for sid in withdrawn:
            socketio.emit("withdrawn", {"story": slug, "error": DRAFT}, to=sid, ignore_queue=True)

    def next_tick(self, took: float) -> float:
        """The wait after a delivery that took `took` seconds: as long, within the tick's bounds.

        A delivery to a big room takes long (one send per socket), and as long a wait lets the
        next frame carry more events for the same sends: delivering takes at most about half of
        the process (ingest, joins and pings keep the rest) until the wait reaches its bound.
        """
        return min(max(self.tick_seconds, took), max(self.tick_seconds, self.tick_max_seconds))

    def run(self) -> None:
        """Deliver on every notification, and at least every `poll_seconds` (other writers).

        After a delivery it waits one tick (`next_tick`): what is committed meanwhile goes
        out together, as one frame per room.
        """
        while not self.stopped.is_set():
            self.wake.wait(self.poll_seconds)
            self.wake.clear()
            try:
                began = self.clock()
                if self.deliver_pending():
                    self.tick_now = self.next_tick(self.clock() - began)
                    self.stopped.wait(self.tick_now)
            except Exception:  # never let one bad event stop live delivery
                log.exception("broadcast failed")
                self.stopped.wait(self.poll_seconds)

    def listen(self, redis_url: str) -> None:
        """Ring `notify` when another process (a collector, another web worker) commits."""
        import redis

        while not self.stopped.is_set():
            try:
                pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(doorbell.CHANNEL)
                self.notify()  # catch up with what was written while unsubscribed
                for _message in pubsub.listen():
                    self.notify()
            except Exception as error:
                log.warning("message queue unreachable (%s); retrying", error)
                self.stopped.wait(2)


DRAFT = "this story is a draft: only its curators can follow it"
BATCH = 500  # events read from the log at once by the broadcaster (and so the most in a frame)


def _occupied(room: str) -> bool:
    """Whether any socket of this process is in `room` (Socket.IO drops a room when it empties)."""
    return room in socketio.server.manager.rooms.get("/", {})


def _send_frames(room: str, events: list[dict[str, Any]]) -> None:
    """One frame of `room`'s `events` per form that has sockets: encoded once, sent to each."""
    for form in frames.FORMS:
        target = frames.frames_room(room, form)
        if _occupied(target):
            frame = {"room": room, "events": frames.frame_events(events, form)}
            wire.emit("frame", frame, target)


def _withdraws_viewers(event: dict[str, Any]) -> bool:
    """Whether `event` puts a story back into draft."""
    payload = event["payload"]
    return (
        event["type"] == "story" and payload.get("op") == "meta" and payload["meta"].get("status") == "draft"
    )


def _until_withdrawn(room: str, page: list[catch_up.Missed]) -> tuple[list[catch_up.Missed], bool]:
    """Cut a catch-up after a story's return to draft: what follows it is for curators only."""
    if not room.startswith(eventlog.story_room("")):  # only a story's room has story events
        return page, False
    for index, missed in enumerate(page):
        if _withdraws_viewers(missed.event):
            return page[: index + 1], True
    return page, False


class Connection:
    """The socket a `join` or `leave` came on: its sid, and its session's curator (read once, when asked)."""

    def __init__(self, sid: str, app: Flask, wsgi_request: dict[str, Any]) -> None:
        self.sid, self.app, self.wsgi_request = sid, app, wsgi_request  # the connect request's WSGI mapping
        self._curator: list[dict[str, Any] | None] = []

    def curator(self) -> dict[str, Any] | None:
        if not self._curator:
            self._curator.append(connection_curator(self.app, self.wsgi_request))
        return self._curator[0]

    def enter(self, room: str) -> None:
        socketio.server.enter_room(self.sid, room, namespace="/")

    def leave(self, room: str) -> None:
        socketio.server.leave_room(self.sid, room, namespace="/")


def _edits_story(connection: Connection, slug: str) -> bool:
    """Whether this socket's curator may edit story `slug` (no query for an anonymous viewer)."""
    curator = connection.curator()
    if curator is None:
        return False
    db = database()
    story = get_header(db, slug)
    return story is not None and can_edit(db, story, curator)


def _room_for(connection: Connection, data: Any) -> tuple[str | None, str | None]:
    """The room a join/leave asks for, or an error message."""
    if not isinstance(data, dict):
        return None, JOIN_SHAPE
    edge = current_app.extensions.get("tagstory.directory")  # an edge node: the rooms the primary mirrors
    if isinstance(data.get("feed"), str):
        if not (edge.has_feed(data["feed"]) if edge else feed_exists(database(), data["feed"])):
            return None, f"no feed named '{data['feed']}'"
        if data.get("desk") is True:
            if edge or connection.curator() is None:
                return None, "only curators can follow a feed's moderation desk"
            return eventlog.desk_room(data["feed"]), None
        return eventlog.feed_room(data["feed"]), None
    if isinstance(data.get("story"), str):
        slug = data["story"]
        status = edge.story_status(slug) if edge else status_and_log_end(database(), slug)[0]
        if status is None:
            return None, f"no story '{data['story']}'"
        if status == "draft" and not _edits_story(connection, data["story"]):
            return None, DRAFT
        return eventlog.story_room(data["story"]), None
    return None, JOIN_SHAPE


@socketio.on_error_default
def on_error(error: Exception) -> dict[str, Any]:
    """Any handler that failed: log why, and answer the client instead of leaving its ack unanswered."""
    log.error("socket event failed", exc_info=error)
    return {"ok": False, "error": "something went wrong on our side; try again"}


def _on_socket_event(event: str) -> Callable[[Callable[[Connection, Any], Any]], Callable[..., Any]]:
    """Register `handler(connection, data)` for `event` on python-socketio itself, app context only.

    Flask-SocketIO builds a Flask request context for every event (a URL adapter bound to
    the environ, the session attached): a third of a join's cost, paid a thousand times in
    a reconnect storm. A join needs the app, the sid and, only when it asks, the session's
    curator (`Connection.curator`, from the connect request's cookie, as Flask-SocketIO's
    session is). `SocketIO.handlers` is the list Flask-SocketIO registers on each new
    server (`init_app`), as `@socketio.on` does before one exists; failures are answered
    by `on_error`, as theirs are.
    """

    def register(handler: Callable[[Connection, Any], Any]) -> Callable[..., Any]:
        def run(sid: str, *args: Any) -> Any:
            wsgi_request = socketio.server.get_environ(sid, namespace="/")
            if not wsgi_request:  # not (or no longer) connected, as Flask-SocketIO answers it
                return None
            app = wsgi_request["flask.app"]
            with app.app_context():
                try:
                    return handler(Connection(sid, app, wsgi_request), args[0] if args else None)
                except Exception as error:
                    return on_error(error)

        socketio.handlers.append((event, run, "/"))
        if socketio.server:  # registered after `init_app`: on its server too, as `@socketio.on` does
            socketio.server.on(event, run, namespace="/")
        return run

    return register


def _ack(room: str, page: list[catch_up.Missed], after: int, more: bool) -> dict[str, Any]:
    encodings = current_app.extensions["tagstory.broadcaster"].pages.encodings
    ack = {
        "ok": True,
        "room": room,
        "events": encodings.get("events", page, lambda: catch_up.events_text(page)),
        "last_seq": page[-1].event["seq"] if page else after,
        "more": more,
    }
    if "tagstory.worker" in current_app.extensions:  # several web workers: the one serving this socket
        ack["worker"] = current_app.extensions["tagstory.worker"]
    return ack


def _after(data: dict[str, Any]) -> int | None:
    after = data.get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= eventlog.MAX_SEQ:
        return None
    return after


def _frames_form(connection: Connection, room: str, edits_story: bool) -> str:
    """What a frames client receives: the `full` form for curators (the desk, an editor), else the `view`."""
    if room.startswith(eventlog.story_room("")):
        return frames.FULL if edits_story else frames.VIEW
    # A desk admits only curators; a curator following a feed's viewers' room is its editor.
    return frames.FULL if connection.curator() is not None else frames.VIEW


def _targets(room: str) -> list[str]:
    """Every Socket.IO room a follower of `room` may be in: per event, or frames of a form."""
    return [room, *(frames.frames_room(room, form) for form in frames.FORMS)]


def _enter(connection: Connection, room: str, form: str | None) -> None:
    """Follow `room` per event (`form` None) or as frames of `form`, and nothing else of it."""
    target = room if form is None else frames.frames_room(room, form)
    for other in _targets(room):
        if other != target:
            connection.leave(other)
    connection.enter(target)


@_on_socket_event("join")
def on_join(connection: Connection, data: Any) -> dict[str, Any]:
    """Sent by any viewer: follow a feed or a story from `after` (the last seq it has).

    The answer holds at most `CATCH_UP_PAGE` events; with `more` the viewer is not in the
    room yet and joins again from `last_seq`. With `"frames": true` the socket receives the
    room's live events as `frame`s, and the answer's events are in the frames' form; up to
    `FRAMED_REACH` behind it gets in at once, what the answer cannot hold sent as frames ahead of it.
    """
    broadcaster: Broadcaster = current_app.extensions["tagstory.broadcaster"]
    wait = broadcaster.throttle.take(connection.sid)
    if wait:
        return {"ok": False, "error": THROTTLED, "retry_after": round(wait, 3)}
    if not isinstance(data, dict):
        return {"ok": False, "error": JOIN_SHAPE}
    if problem := jsontext.text_problem(data):
        return {"ok": False, "error": problem}
    after = _after(data)
    if after is None:
        return {"ok": False, "error": "'after' must be an integer >= 0 (a seq)"}
    if not isinstance(data.get("frames", False), bool):
        return {"ok": False, "error": "'frames' must be true or false"}
    slug = data["story"] if isinstance(data.get("story"), str) else None
    with broadcaster.readers:  # a few joins read at a time: every other request keeps its turn
        room, error = _room_for(connection, data)
        if error:
            return {"ok": False, "error": error}
        curator = slug is not None and _edits_story(connection, slug)
        form = _frames_form(connection, room, curator) if data.get("frames") else None
        # Deliver what the status check saw (a publish included) before reading, and what
        # the viewer read on a page or from the API, or it would get those twice; on the
        # primary, what the log holds (another process's commits the broadcaster has not
        # polled yet), or a join just after a burst would find it all in its tail and page.
        edge = "tagstory.directory" in current_app.extensions  # an edge has no log to read a story's end from
        if edge:
            seen = after
        else:
            seen = status_and_log_end(database(), slug)[1] if slug else broadcaster.source.last_seq()
        if max(seen, after) > broadcaster.delivered:
            broadcaster.deliver_pending(max(seen, after))
        shape = form or frames.FULL  # per-event clients: the log's payloads, as always
        # A frames client gets in with one join when it is at most `FRAMED_REACH` behind: a
        # crowd 100 events behind while live events go on then does not chase the broadcaster
        # a page at a time. A per-event client pages at `CATCH_UP_PAGE`.
        reach = FRAMED_REACH if form else CATCH_UP_PAGE
        try:
            page = broadcaster.pages.read(
                broadcaster.source, room, after, broadcaster.delivered, reach + 1, shape
            )
        except catch_up.Unavailable as unavailable:  # an edge: not there yet, or no longer
            return unavailable.answer
    socketio.sleep(0)  # the page is sent in another turn: no join holds the process for long
    missed, withdrawn = _until_withdrawn(room, page)
    if withdrawn or len(missed) > reach:
        return _ack(room, missed[:CATCH_UP_PAGE], after, True)
    start = missed[-1].event["seq"] if missed else after
    # Under the lock only what was delivered since the read: a tick or two, at most a page.
    caught_up = min(CATCH_UP_PAGE, reach - len(missed))
    with broadcaster.lock:
        try:
            tail = broadcaster.pages.read(
                broadcaster.source, room, start, broadcaster.delivered, caught_up + 1, shape
            )
        except catch_up.Unavailable as unavailable:
            return unavailable.answer
        tail, withdrawn = _until_withdrawn(room, tail)
        missed = missed + tail  # a new list: the page is the cache's
        if withdrawn or len(tail) > caught_up:
            return _ack(room, missed[:CATCH_UP_PAGE], after, True)
        _send_ahead(connection, room, missed[CATCH_UP_PAGE:])
        _enter(connection, room, form)
        if curator:
            connection.enter(eventlog.story_curators_room(slug))
    return _ack(room, missed[:CATCH_UP_PAGE], after, False)


def _send_ahead(connection: Connection, room: str, rest: list[catch_up.Missed]) -> None:
    """What a frames join missed beyond its acknowledgement, as frames to this socket, ahead of it.

    Sent before the socket enters the room (lock held), so they come before every live frame;
    the client applies them after the acknowledgement's events, as any frame that comes early.
    Each holds at most `BATCH` events, as a live frame does, and is encoded once for every
    join of a crowd that is sent the same (`catch_up.Encodings`).
    """
    encodings: catch_up.Encodings = current_app.extensions["tagstory.broadcaster"].pages.encodings
    eio_sid = socketio.server.manager.eio_sid_from_sid(connection.sid, "/")
    for first in range(0, len(rest), BATCH):
        part = rest[first : first + BATCH]
        outgoing = encodings.get(
            "frame " + room, part, lambda part=part: wire.encode("frame", _frame(room, part))
        )
        if eio_sid is not None:  # None: the socket is gone meanwhile
            wire.send(eio_sid, outgoing)


def _frame(room: str, events: list[catch_up.Missed]) -> dict[str, Any]:
    return {"room": room, "events": catch_up.events_text(events)}


@_on_socket_event("leave")
def on_leave(connection: Connection, data: Any) -> dict[str, Any]:
    """Sent by any viewer: stop following a feed or a story."""
    room, error = _room_for(connection, data)
    if error:
        return {"ok": False, "error": error}
    for target in _targets(room):
        connection.leave(target)
    return {"ok": True}
