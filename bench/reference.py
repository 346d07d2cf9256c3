"""The bench's reference: a bare Flask-SocketIO broadcast server on gevent, nothing of Tagstory.

It speaks what bench.viewers and bench.ingest speak: `join` {"feed", "after"} answers
{"ok": true, "events": [...]} with what the viewer missed (from an in-memory list, at most
100, like Tagstory's pages) and enters the room; `POST /api/feeds/<feed>/items` emits
`item` {"feed", "seq", "item"} to the room, one emit per post, as the library's docs
show. `POST /api/feeds` is accepted and ignored. gevent-websocket serves the websockets,
with TCP_NODELAY, as Flask-SocketIO's own runner does.

    python -m bench.reference PORT
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

PAGE = 100
app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", logger=False, engineio_logger=False)
log: list[dict[str, Any]] = []  # every item emitted, seq = index + 1


@app.post("/api/feeds")
def create_feed() -> Any:
    return jsonify({"name": request.get_json()["name"]}), 201


@app.get("/api/feeds")
def feeds() -> Any:
    return jsonify([{"name": "bench", "last_seq": len(log)}])


@app.post("/api/feeds/<feed>/items")
def post_item(feed: str) -> Any:
    body = request.get_json()
    item = {
        "id": len(log) + 1,
        "text": body["text"],
        "author": body.get("author", {}),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    event = {"feed": feed, "seq": len(log) + 1, "item": item}
    log.append(event)
    socketio.emit("item", event, to=f"feed:{feed}")
    return jsonify(item | {"seq": event["seq"]}), 201


@socketio.on("join")
def on_join(data: dict[str, Any]) -> dict[str, Any]:
    after = int(data.get("after", 0))
    missed = log[after : after + PAGE + 1]
    if len(missed) > PAGE:
        events = missed[:PAGE]
        return {"ok": True, "events": _events(events), "last_seq": after + PAGE, "more": True}
    join_room(f"feed:{data['feed']}")
    return {"ok": True, "events": _events(missed), "last_seq": after + len(missed), "more": False}


def _events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"event": "item", "data": e} for e in events]


def main() -> None:
    from gevent import pywsgi
    from geventwebsocket.handler import WebSocketHandler

    class NoDelayHandler(WebSocketHandler):
        def handle(self) -> None:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle()

    port = int(sys.argv[1])
    pywsgi.WSGIServer(("127.0.0.1", port), app, handler_class=NoDelayHandler, log=None).serve_forever()


if __name__ == "__main__":
    main()
