"""Socket.IO events of the curator's desk: who is editing a story, and losing the right to.

A curator's editor emits `editing` `{story}` on the socket that follows the story; the
server checks the right on every such event, keeps the socket in `story:<slug>:editing`
and sends everyone there the `presence` list. When the owner removes an editor, their
open sockets on that story are told (`revoked`) and disconnected at once.
Presence is kept per process (several web processes each know their own sockets).
"""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app, request
from flask_socketio import join_room

from aggregator import eventlog
from stories.model import can_edit, get_header
from web.lookups import database
from web.security import session_curator
from web.sockets import socketio


class Presence:
    """Which socket edits which story as whom, in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sockets: dict[str, tuple[str, str]] = {}  # sid -> (slug, curator name)

    def enter(self, sid: str, slug: str, name: str) -> None:
        with self.lock:
            self.sockets[sid] = (slug, name)

    def leave(self, sid: str) -> tuple[str, str] | None:
        with self.lock:
            return self.sockets.pop(sid, None)

    def editors(self, slug: str) -> list[str]:
        """The names editing `slug` now, each once, sorted."""
        with self.lock:
            return sorted({name for s, name in self.sockets.values() if s == slug})

    def sids_of(self, slug: str, name: str) -> list[str]:
        with self.lock:
            return [sid for sid, found in self.sockets.items() if found == (slug, name)]


EDITING_ON_THE_PRIMARY = "stories are edited on the primary server, not on a viewers' edge node"


def _presence() -> Presence:
    return current_app.extensions["tagstory.presence"]


def announce(slug: str) -> None:
    """Send the current list of editors to everyone editing `slug`."""
    socketio.emit(
        "presence",
        {"story": slug, "editors": _presence().editors(slug)},
        to=eventlog.story_editing_room(slug),
    )


@socketio.on("editing")
def on_editing(data: Any) -> dict[str, Any]:
    """Sent by a curator's editor: I am editing this story (rights checked every time)."""
    if not isinstance(data, dict) or not isinstance(data.get("story"), str):
        return {"ok": False, "error": 'send {"story": SLUG}'}
    if not _editors_here():
        return {"ok": False, "error": EDITING_ON_THE_PRIMARY}
    db = database()
    story = get_header(db, data["story"])
    curator = session_curator()
    if story is None or not can_edit(db, story, curator):
        _drop(request.sid)
        return {"ok": False, "error": "you are not a curator of this story"}
    join_room(eventlog.story_editing_room(story["slug"]))
    _presence().enter(request.sid, story["slug"], curator["name"])
    announce(story["slug"])
    return {"ok": True, "editors": _presence().editors(story["slug"])}


@socketio.on("disconnect")
def on_disconnect(*_reason: Any) -> None:
    """A socket went away: it no longer counts as editing."""
    if _editors_here():
        _drop(request.sid)


def _editors_here() -> bool:
    """Whether this process keeps editors (an edge node serves viewers only: no desk, no database)."""
    return "tagstory.presence" in current_app.extensions


def _drop(sid: str) -> None:
    left = _presence().leave(sid)
    if left:
        socketio.server.leave_room(sid, eventlog.story_editing_room(left[0]), namespace="/")
        announce(left[0])


def revoke(slug: str, name: str) -> int:
    """Cut `name` off `slug` now: tell their editor sockets, and disconnect them."""
    sids = _presence().sids_of(slug, name)
    for sid in sids:
        socketio.emit("revoked", {"story": slug}, to=sid)
        _drop(sid)
        socketio.server.disconnect(sid, namespace="/")
    return len(sids)


def init_app(app: Any) -> None:
    """Give the app its presence registry."""
    app.extensions["tagstory.presence"] = Presence()
