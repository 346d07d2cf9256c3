"""Frames: every event of one broadcaster tick for one room, in seq order, in one packet.

A client that joins with `"frames": true` enters a frames room beside the room it follows
and receives `frame` `{"room": ROOM, "events": [{"event": NAME, "data": PAYLOAD}, …]}` (the
shape of the join acknowledgement's `events`) instead of one packet per event. A room's
frame is built and encoded once per tick and the same bytes go to each of its sockets.

Frames come in two forms. Viewers (anonymous, or not a curator of what they follow) get
the `view` form: what the feed page, the wall and the story page render, nothing twice
(no item `seq` beside the event's, no `item_id` beside the item, no plain `text` beside
its `html`, no audit fields). Curators get the `full` form, the log's payloads as the
per-event protocol carries them (the editor and the desk use `version`, `text`, `lang`…).
"""

from __future__ import annotations

from typing import Any

VIEW = "view"
FULL = "full"
FORMS = (VIEW, FULL)

# What the pages' renderers (static/js/live.js renderItem / renderElement) read of an item.
_ITEM_FIELDS = ("id", "source", "url", "html", "media", "created_at", "status")
_ITEM_FLAGS = ("synthetic", "deleted")  # sent only when true
_ELEMENT_FIELDS = {
    "item": ("annotation_html",),
    "text": ("text_html", "style"),
    "link": ("url", "title", "text"),
}


def frames_room(room: str, form: str) -> str:
    """The Socket.IO room of the sockets that receive `room` as frames of `form`."""
    return f"frames:{form}:{room}"


def view_item(item: dict[str, Any]) -> dict[str, Any]:
    """An item as a viewer's page renders it: its card, or the `{id, status}` that drops it."""
    shown = {key: item[key] for key in _ITEM_FIELDS if item.get(key) is not None}
    if not shown.get("media", True):
        del shown["media"]  # the renderer reads a missing list as an empty one
    shown.update({flag: True for flag in _ITEM_FLAGS if item.get(flag)})
    if isinstance(item.get("author"), dict):
        shown["author"] = {key: value for key, value in item["author"].items() if value is not None}
    return shown


def view_element(element: dict[str, Any]) -> dict[str, Any]:
    """A story element as the story page renders it (its item as a viewer's item)."""
    shown = {key: element[key] for key in ("id", "type", "position") if key in element}
    kind = element.get("type")
    for key in _ELEMENT_FIELDS.get(kind, ()):
        if element.get(key) is not None:
            shown[key] = element[key]
    if kind == "text" and element.get("style") == "heading":  # rendered from its plain text
        shown.pop("text_html", None)
        shown["text"] = element.get("text")
    if kind == "item" and element.get("item"):
        shown["item"] = view_item(element["item"])
    return shown


def view_payload(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An event's payload in the `view` form (events of other kinds pass unchanged)."""
    if name == "item" and isinstance(payload.get("item"), dict):
        return {**payload, "item": view_item(payload["item"])}
    if name == "story" and isinstance(payload.get("element"), dict):
        return {**payload, "element": view_element(payload["element"])}
    return payload


def frame_events(events: list[dict[str, Any]], form: str) -> list[dict[str, Any]]:
    """Log events as a frame's (and a frames client's acknowledgement's) `events`."""
    if form == VIEW:
        return [{"event": e["type"], "data": view_payload(e["type"], e["payload"])} for e in events]
    return [{"event": e["type"], "data": e["payload"]} for e in events]
