"""A Jetstream instance replaying the shared capture, and Jetstream post events."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request

JETSTREAM_FIXTURE = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "fixtures"
    / "bluesky-jetstream"
    / "jetstream-v1-2026-07-04.jsonl"
)


class FakeJetstream:
    """A Jetstream instance: replays its log from `cursor` (time_us), then streams what is published.

    Honors `wantedCollections` for commit events. `drop_after` closes a connection after
    that many messages (a network drop); `raw` lines are sent as they are (malformed input).
    """

    def __init__(self, lines: list[str] | None = None) -> None:
        self.user_agents: list[str] = []  # what each connection said it was
        self.log: list[str] = list(lines or [])
        self.connections: list[dict[str, str]] = []
        self.drop_after: int | None = None
        self.changed = threading.Condition()
        self.closed = False

    @classmethod
    def from_fixture(cls) -> FakeJetstream:
        return cls(JETSTREAM_FIXTURE.read_text(encoding="utf-8").splitlines())

    def publish(self, *events: dict[str, Any] | str) -> None:
        with self.changed:
            self.log.extend(e if isinstance(e, str) else json.dumps(e) for e in events)
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def _wanted(self, line: str, cursor: int, collections: list[str]) -> bool:
        try:
            event = json.loads(line)
        except ValueError:
            return True  # malformed lines are sent as they are
        if int(event.get("time_us", 0)) < cursor:
            return False
        collection = (event.get("commit") or {}).get("collection")
        return not (collections and event.get("kind") == "commit" and collection not in collections)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        from simple_websocket import ConnectionClosed, Server

        request = Request(environ)
        self.connections.append(dict(request.args))
        self.user_agents.append(request.headers.get("User-Agent", ""))
        cursor = int(request.args.get("cursor") or 0)
        collections = request.args.getlist("wantedCollections")
        ws = Server.accept(environ)
        sent = position = 0
        try:
            while True:
                with self.changed:
                    while position >= len(self.log) and not self.closed:
                        self.changed.wait(0.2)
                    if self.closed:
                        break
                    line = self.log[position]
                position += 1
                if not self._wanted(line, cursor, collections):
                    continue
                if self.drop_after is not None and sent >= self.drop_after:
                    self.drop_after = None
                    break
                ws.send(line)
                sent += 1
        except ConnectionClosed:
            pass
        with contextlib.suppress(ConnectionClosed):
            ws.close()
        raise ConnectionError("websocket finished")  # tells werkzeug the socket was taken over


def post_event(
    time_us: int,
    text: str,
    rkey: str,
    tags: tuple[str, ...] = (),
    facets: list[dict[str, Any]] | None = None,
    did: str = "did:plc:tagstorytest",
    operation: str = "create",
) -> dict[str, Any]:
    """A Jetstream commit event for a post (create/update) or its deletion."""
    commit: dict[str, Any] = {
        "rev": "3x",
        "operation": operation,
        "collection": "app.bsky.feed.post",
        "rkey": rkey,
    }
    if operation != "delete":
        record_facets = list(facets or [])
        for tag in tags:
            start = text.encode().find(f"#{tag}".encode())
            record_facets.append(
                {
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                    "index": {"byteStart": start, "byteEnd": start + len(tag.encode()) + 1},
                }
            )
        commit["record"] = {
            "$type": "app.bsky.feed.post",
            "createdAt": "2026-07-04T15:00:00.000Z",
            "langs": ["en"],
            "text": text,
            "facets": record_facets,
        }
        commit["cid"] = "bafyreitest"
    return {"did": did, "time_us": time_us, "kind": "commit", "commit": commit}
