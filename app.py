"""Tagstory's composition root: `create_app` wires storage, collectors, web and sockets.

Run as a script (`python app.py`, what `make run` does) it serves with Flask-SocketIO
on gevent, the async mode that held the most viewers here (docs/benchmarks.md).
"""

import os

if __name__ == "__main__" and os.environ.get("TAGSTORY_ASYNC_MODE", "gevent") == "gevent":
    from gevent import monkey  # patch before anything imports socket or threading

    monkey.patch_all()

import gc
import logging
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from aggregator import item_watchers, stream_mirror
from aggregator.collector import Collector
from aggregator.db import Database
from stories import pinned_events
from stories.visibility import ViewerRooms
from web import (
    accounts,
    archive,
    catch_up,
    desk,
    doorbell,
    edge,
    errors,
    feeds,
    home,
    participate,
    realtime,
    security,
    serving,
    settings,
    sharing,
    stories,
)
from web.sockets import socketio


def _secret_key(instance: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then TAGSTORY_* variables, then `config`."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(settings.from_environment())
    app.config.update(config or {})
    if app.config["ROLE"] != "primary":
        return _edge_app(app)  # refuses any other role, and an edge without its queue
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config["DATABASE"] = app.config["DATABASE"] or str(instance / "tagstory.sqlite")
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _secret_key(instance)
    app.config["REPLAY_ROOT"] = app.config["REPLAY_ROOT"] or app.root_path

    db = Database(app.config["DATABASE"])
    queue = app.config["MESSAGE_QUEUE"]
    ring = doorbell.redis_doorbell(queue, app.config["FRAME_TICK_MS"] / 1000) if queue else None
    mirror = (
        stream_mirror.StreamMirror(
            db,
            stream_mirror.redis_client(queue),
            ViewerRooms(db),
            app.config["STREAM_RETENTION"],
            app.config["POLL_SECONDS"],
        )
        if queue
        else None
    )
    log_source = catch_up.LogSource(db)
    broadcaster = realtime.Broadcaster(
        stream_mirror.WakingSource(log_source, mirror) if mirror else log_source,
        app.config["POLL_SECONDS"],
        app.config["FRAME_TICK_MS"] / 1000,
        app.config["FRAME_TICK_MAX_MS"] / 1000,
    )

    def publish(events: list[dict[str, Any]]) -> None:
        broadcaster.notify(events)
        if mirror:
            mirror.notify(events)
        if ring:
            ring(events)

    db.publish = publish
    item_watchers.subscribe(pinned_events.follow_item)  # a pinned post's changes reach its stories
    app.extensions["tagstory.db"] = db
    app.extensions["tagstory.broadcaster"] = broadcaster
    if mirror:
        app.extensions["tagstory.mirror"] = mirror

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=queue,
        logger=False,
        engineio_logger=False,
        **serving.socketio_options(app.config),
    )
    security.init_app(app)
    errors.init_app(app)
    home.init_app(app)
    for feature in (accounts, feeds, stories, desk, archive, sharing, participate):
        feature.init_app(app)
    return app


def _edge_app(app: Flask) -> Flask:
    """An edge node: viewers' Socket.IO from the Redis stream, no database, no instance folder."""
    edge.check(app.config)
    edge.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        logger=False,
        engineio_logger=False,
        transports=["websocket"],  # several edges behind one address: no long-polling session to pin
    )
    return app


def start_background_work(app: Flask, primary: bool = True) -> None:
    """Start the broadcaster and the doorbell listener; the `primary` process also the demo, collectors
    and the stream mirror (an edge: its stream reader)."""
    if app.config["ROLE"] == "edge":
        edge.start(app)
        return
    db = app.extensions["tagstory.db"]
    broadcaster = app.extensions["tagstory.broadcaster"]
    socketio.start_background_task(broadcaster.run)
    if app.config["MESSAGE_QUEUE"]:
        socketio.start_background_task(broadcaster.listen, app.config["MESSAGE_QUEUE"])
    if primary and app.config["DEMO"]:
        from stories.demo import install_demo

        install_demo(db)
    if primary and "tagstory.mirror" in app.extensions:
        socketio.start_background_task(app.extensions["tagstory.mirror"].run)
    if primary and app.config["COLLECT"]:
        collector = Collector(db, app.config)
        app.extensions["tagstory.collector"] = collector
        socketio.start_background_task(collector.run_forever)


def _worker_of(argv: list[str]) -> tuple[int | None, int]:
    """`--worker I:PID`: this process is worker I of the supervisor PID (web/serving.py)."""
    if "--worker" not in argv:
        return None, 0
    index, supervisor = argv[argv.index("--worker") + 1].split(":")
    return int(index), int(supervisor)


GC_THRESHOLDS = (700, 10, 2**31 - 1)  # young collections as Python's; no automatic full one
FULL_GC_SECONDS = 300.0  # a full collection this often instead (docs/benchmarks.md)


def _settle_gc() -> None:
    """Before serving: start-up's objects out of the cyclic GC's sight, full collections on a clock.

    Each open connection holds ~117 tracked objects (its greenlets' frames, queues, sockets),
    and a full collection walks them all: ~0.5 s of CPU at 4,000 viewers, ~1 s at 10,000,
    during which nothing is sent; Python starts one whenever a quarter more objects have
    survived, so a crowd joining set off one after another and one often fell among the
    live deliveries (p99 1.3-1.6 s at 10,000 viewers, 0.6 s without). Young collections go
    on as Python's (they never walk the old objects); full ones come every
    `FULL_GC_SECONDS`, so cyclic garbage that grew old (a closed connection's) waits at
    most that long. Start-up's objects (~75,000: modules, the app, its URL map) are frozen.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    socketio.start_background_task(_collect_fully_now_and_then)


def _collect_fully_now_and_then() -> None:
    while True:
        socketio.sleep(FULL_GC_SECONDS)
        gc.collect()


def main() -> None:
    """Serve on 127.0.0.1:$PORT (5000) with gevent; `--no-demo` skips the demo.

    With `WEB_WORKERS` > 1 this process supervises that many worker processes on the
    same port (web/serving.py); each is this script again with `--worker I:PID`.
    """
    import sys

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    argv = sys.argv[1:]
    config = {"ASYNC_MODE": os.environ.get("TAGSTORY_ASYNC_MODE", "gevent")}
    if "--no-demo" in argv:
        config["DEMO"] = False
    host, port = settings.server_address()
    try:
        app = create_app(config)  # the supervisor's migrates the database before any worker starts
        workers, (index, supervisor) = app.config["WEB_WORKERS"], _worker_of(argv)
        edge.check(app.config)
        serving.check(app.config)
        if workers > 1 and index is None:
            serving.check_port_free(host, port)
    except serving.ServingError as error:
        sys.exit(f"tagstory: {error}")
    if workers > 1 and index is None:
        app.extensions["tagstory.db"].close()
        print(f" * Tagstory on http://{host}:{port} ({workers} web workers)", flush=True)
        sys.exit(serving.supervise(workers, argv))
    if index is not None:
        serving.name_worker(app, index)
        socketio.start_background_task(serving.end_with_supervisor, supervisor)
    start_background_work(app, primary=not index)
    if index is None:
        role = " (edge)" if app.config["ROLE"] == "edge" else ""
        print(f" * Tagstory{role} on http://{host}:{port}", flush=True)
    _settle_gc()
    if config["ASYNC_MODE"] == "gevent":
        sock = serving.listener(host, port, reuse_port=workers > 1)
        serving.serve_gevent(app, sock, app.config["WEBSOCKET_SERVER"])
    else:  # threading (Werkzeug's server) is only for comparing async modes: make bench
        socketio.run(app, host=host, port=port, log_output=False, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
