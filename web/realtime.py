"""Live updates over Socket.IO: rooms per feed and per story, fed from the event log.

Each server process runs one `Broadcaster` that tails the event log in seq order and
emits every event once to its room (one encode per broadcast, no read per viewer).
A `join` reads the missed events and enters the room under the broadcaster's lock,
so the acknowledgement and the live events that follow have no gap and no duplicate.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import current_app
from flask_socketio import SocketIO, join_room, leave_room

from aggregator import eventlog, jsontext
from aggregator.db import Database
from aggregator.feeds import feed_exists
from aggregator.moderation import desk_room
from stories.model import can_edit, get_header
from web.lookups import database
from web.security import session_curator

log = logging.getLogger(__name__)

socketio = SocketIO()

CATCH_UP_LIMIT = 5000  # events per acknowledgement; a longer gap is fetched in pages
DOORBELL_CHANNEL = "tagstory:event-log"


class Broadcaster:
    """Delivers every committed event, in seq order, to the rooms of this process."""

    def __init__(self, db: Database, poll_seconds: float = 1.0) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.delivered = eventlog.last_seq(db)
        self.stopped = threading.Event()

    def notify(self, events: list[dict[str, Any]] | None = None) -> None:
        """Something was committed: deliver it soon (the `publish` of this process)."""
        self.wake.set()

    def deliver_pending(self) -> int:
        """Emit every event after the last delivered one; return how many were sent."""
        sent = 0
        while True:
            with self.lock:
                events = eventlog.all_after(self.db, self.delivered, limit=500)
                for event in events:
                    socketio.emit(event["type"], event["payload"], to=event["room"], ignore_queue=True)
                if events:
                    self.delivered = events[-1]["seq"]
            sent += len(events)
            if len(events) < 500:
                return sent

    def run(self) -> None:
        """Deliver on every notification, and at least every `poll_seconds` (other writers)."""
        while not self.stopped.is_set():
            self.wake.wait(self.poll_seconds)
            self.wake.clear()
            try:
                self.deliver_pending()
            except Exception:  # never let one bad event stop live delivery
                log.exception("broadcast failed")
                self.stopped.wait(self.poll_seconds)

    def listen(self, redis_url: str) -> None:
        """Ring `notify` when another process (a collector, another web worker) commits."""
        import redis

        while not self.stopped.is_set():
            try:
                pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(DOORBELL_CHANNEL)
                self.notify()  # catch up with what was written while unsubscribed
                for _message in pubsub.listen():
                    self.notify()
            except Exception as error:
                log.warning("message queue unreachable (%s); retrying", error)
                self.stopped.wait(2)


def redis_doorbell(redis_url: str) -> Any:
    """A `publish` callable that tells every process sharing `redis_url` to deliver."""
    import redis

    client = redis.Redis.from_url(redis_url)

    def ring(events: list[dict[str, Any]]) -> None:
        try:
            client.publish(DOORBELL_CHANNEL, str(events[-1]["seq"]))
        except Exception as error:  # the events are committed; pollers will still see them
            log.warning("could not ring the message queue: %s", error)

    return ring


def _room_for(data: Any) -> tuple[str | None, str | None]:
    """The room a join/leave asks for, or an error message."""
    if not isinstance(data, dict):
        return None, 'send {"feed": NAME} or {"story": SLUG}'
    db = database()
    if isinstance(data.get("feed"), str):
        if not feed_exists(db, data["feed"]):
            return None, f"no feed named '{data['feed']}'"
        if data.get("desk") is True:
            if session_curator() is None:
                return None, "only curators can follow a feed's moderation desk"
            return desk_room(data["feed"]), None
        return eventlog.feed_room(data["feed"]), None
    if isinstance(data.get("story"), str):
        story = get_header(db, data["story"])
        if story is None:
            return None, f"no story '{data['story']}'"
        if story["status"] == "draft":
            curator = session_curator()
            if not can_edit(db, story, curator):
                return None, "this story is a draft: only its curators can follow it"
        return eventlog.story_room(data["story"]), None
    return None, 'send {"feed": NAME} or {"story": SLUG}'


@socketio.on_error_default
def on_error(error: Exception) -> dict[str, Any]:
    """Any handler that failed: log why, and answer the client instead of leaving its ack unanswered."""
    log.error("socket event failed", exc_info=error)
    return {"ok": False, "error": "something went wrong on our side; try again"}


@socketio.on("join")
def on_join(data: Any) -> dict[str, Any]:
    """Sent by any viewer: follow a feed or a story from `after` (the last seq it has)."""
    if problem := jsontext.text_problem(data):
        return {"ok": False, "error": problem}
    room, error = _room_for(data)
    if error:
        return {"ok": False, "error": error}
    after = data.get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= eventlog.MAX_SEQ:
        return {"ok": False, "error": "'after' must be an integer >= 0 (a seq)"}
    broadcaster: Broadcaster = current_app.extensions["tagstory.broadcaster"]
    if after > broadcaster.delivered:
        # The viewer read seqs (from a page or the API) that are committed but not yet
        # broadcast: push them before it enters the room, or it would get them twice.
        broadcaster.deliver_pending()
    with broadcaster.lock:
        upto = broadcaster.delivered
        missed = eventlog.events_after(database(), room, after, upto, CATCH_UP_LIMIT + 1)
        more = len(missed) > CATCH_UP_LIMIT
        if more:
            missed = missed[:CATCH_UP_LIMIT]
        else:
            join_room(room)
    return {
        "ok": True,
        "room": room,
        "events": [{"event": e["type"], "data": e["payload"]} for e in missed],
        "last_seq": missed[-1]["seq"] if missed else after,
        "more": more,
    }


@socketio.on("leave")
def on_leave(data: Any) -> dict[str, Any]:
    """Sent by any viewer: stop following a feed or a story."""
    room, error = _room_for(data)
    if error:
        return {"ok": False, "error": error}
    leave_room(room)
    return {"ok": True}
