"""Edge nodes (`TAGSTORY_ROLE=edge`): Socket.IO for viewers, served from Redis, with no database.

An edge runs the primary's broadcaster, frames and catch-up code (web/realtime.py) over the
streams the primary mirrors (aggregator/stream_mirror.py, read by `StreamSource`), and
lets viewers join the rooms the primary lists there (`Directory`). It has no pages, no
API, no curators (its session key is its own, so no session names one) and no instance
folder; `GET /health` says how far it has delivered. nginx sends viewers' `/socket.io/`
here and everything else to the primary (docs/deploy.md).
"""

from __future__ import annotations

import secrets
import socket
from typing import Any

from flask import Flask, jsonify

from aggregator import eventlog
from aggregator.stream_mirror import ROOMS, redis_client
from web import realtime, settings
from web.edge.stream import HISTORY_GONE, StreamSource
from web.serving import ServingError
from web.sockets import socketio

ROLES = ("primary", "edge")


class Directory:
    """The rooms viewers may join, as the primary last mirrored them (feeds, and stories' statuses)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def has_feed(self, name: str) -> bool:
        return bool(self.client.hexists(ROOMS, eventlog.feed_room(name)))

    def story_status(self, slug: str) -> str | None:
        status = self.client.hget(ROOMS, eventlog.story_room(slug))
        return status.decode() if status else None


def check(config: dict[str, Any]) -> None:
    """Refuse a role that cannot serve: an unknown one, or an edge without Redis or with workers."""
    if config["ROLE"] not in ROLES:
        raise ServingError(f"TAGSTORY_ROLE must be one of {', '.join(ROLES)}, not {config['ROLE']!r}")
    if config["ROLE"] != "edge":
        return
    if not config["MESSAGE_QUEUE"]:
        raise ServingError(
            "TAGSTORY_ROLE=edge needs TAGSTORY_MESSAGE_QUEUE (the primary's Redis URL):"
            " edges read the stream there"
        )
    if config["WEB_WORKERS"] != 1:
        raise ServingError("an edge serves as one process: start more edges instead of TAGSTORY_WEB_WORKERS")


def tell_everyone_to_reload(broadcaster: realtime.Broadcaster) -> None:
    """This edge fell behind the retention, or the log started over: every viewer reloads its page
    rather than skip events, and no catch-up page read before is served again (after a start over
    the same seqs name other events)."""
    broadcaster.pages.clear()
    socketio.emit("reload", {"error": HISTORY_GONE}, ignore_queue=True)


def init_app(app: Flask) -> realtime.Broadcaster:
    """Make `app` an edge: its broadcaster reads the stream, joins the mirrored rooms; `/health`."""
    app.config["SECRET_KEY"] = secrets.token_hex(32)  # never the primary's: sessions name no curator here
    client = redis_client(app.config["MESSAGE_QUEUE"])
    source = StreamSource(client, lambda: tell_everyone_to_reload(app.extensions["tagstory.broadcaster"]))
    broadcaster = realtime.Broadcaster(
        source,
        app.config["POLL_SECONDS"],
        app.config["FRAME_TICK_MS"] / 1000,
        app.config["FRAME_TICK_MAX_MS"] / 1000,
    )
    app.extensions["tagstory.broadcaster"] = broadcaster
    app.extensions["tagstory.directory"] = Directory(client)
    app.extensions["tagstory.edge"] = source
    port = settings.server_address()[1]
    app.extensions["tagstory.worker"] = f"edge {socket.gethostname()}:{port}"  # acks say which edge served

    @app.get("/health")
    def health() -> Any:
        try:
            reachable = bool(client.ping())
        except Exception:
            reachable = False
        body = {"role": "edge", "delivered": broadcaster.delivered, "stream": reachable}
        return jsonify(body), 200 if reachable else 503

    return broadcaster


def start(app: Flask) -> None:
    """Deliver the stream to this edge's viewers, woken by XREAD."""
    broadcaster: realtime.Broadcaster = app.extensions["tagstory.broadcaster"]
    source: StreamSource = app.extensions["tagstory.edge"]
    socketio.start_background_task(broadcaster.run)
    socketio.start_background_task(
        source.listen, lambda: broadcaster.delivered, broadcaster.notify, broadcaster.stopped
    )
