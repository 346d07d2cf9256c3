"""A story's ordered elements: pinned items, text blocks and links.

Positions are 0-based and dense. Each change shifts its neighbours and appends one
event (add, update, move, remove) in the same transaction, so every viewer applies
the same changes in the same order: the event log decides.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlite_utils

from aggregator import clock, eventlog, sanitize
from aggregator.db import Database
from aggregator.errors import Conflict, NotFound
from stories import pins
from stories.model import StoryError
from stories.pins import Pin

TYPES = ("item", "text", "link")
STYLES = ("heading", "paragraph")
MAX_TEXT = 20_000


def _public(row: Any, pin: Pin | None, for_curators: bool = False) -> dict[str, Any]:
    element = {"id": row["id"], "type": row["type"], "position": row["position"], "version": row["version"]}
    if row["type"] == "item":
        item, removed = pin.shown(for_curators) if pin else (None, None)
        element.update(
            item_id=row["item_id"],
            item=item,
            removed=removed,
            annotation=row["annotation"],
            annotation_html=row["annotation_html"],
        )
    elif row["type"] == "text":
        element.update(text=row["text"], text_html=row["text_html"], style=row["style"])
    else:
        element.update(url=row["url"], title=row["title"], text=row["text"])
    return element


def list_elements(db: Database, story: dict[str, Any], for_curators: bool = False) -> list[dict[str, Any]]:
    """Every element of a story in story order, pinned items included as viewers may see them.

    A pin withheld from viewers carries a placeholder (stories.pins); `for_curators` (the
    story's own curators) keeps the post they hid in the story's feed.
    """
    rows = db.query("SELECT * FROM elements WHERE story_id = ? ORDER BY position", [story["id"]])
    found = pins.load(db, story["id"], [r["item_id"] for r in rows if r["item_id"]])
    return [_public(r, found.get(r["item_id"]), for_curators) for r in rows]


def _text(value: Any, name: str, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StoryError(f"'{name}' must be a string")
    if required and not value.strip():
        raise StoryError(f"'{name}' must not be empty")
    if len(value) > MAX_TEXT:
        raise StoryError(f"'{name}' is longer than {MAX_TEXT} characters")
    return value


def _markup(value: Any, name: str, required: bool = False) -> str:
    """A text a curator wrote, which may hold simple HTML: kept as written if harmless, else sanitized."""
    return sanitize.clean_markup(_text(value, name, required))


def _count(tx: sqlite_utils.Database, story_id: int) -> int:
    return tx.execute("SELECT count(*) FROM elements WHERE story_id = ?", [story_id]).fetchone()[0]


def _position(value: Any, count: int) -> int:
    if value is None:
        return count
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise StoryError("'position' must be an integer >= 0 (0 = top)")
    return min(value, count)


def _fields_for(data: dict[str, Any], tx: sqlite_utils.Database) -> dict[str, Any]:
    kind = data.get("type")
    if kind == "item":
        item_id = data.get("item_id")
        if (
            not isinstance(item_id, str)
            or not tx.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone()
        ):
            raise StoryError("'item_id' must name an existing item")
        annotation = _markup(data.get("annotation"), "annotation")
        return {
            "item_id": item_id,
            "annotation": annotation,
            "annotation_html": sanitize.clean_html(annotation),
        }
    if kind == "text":
        style = data.get("style", "paragraph")
        if style not in STYLES:
            raise StoryError(f"'style' must be one of {', '.join(STYLES)}")
        text = _markup(data.get("text"), "text", required=True)
        return {"text": text, "text_html": sanitize.clean_html(text), "style": style}
    if kind == "link":
        url = sanitize.clean_url(data.get("url"))
        if url is None:
            raise StoryError("'url' must be an absolute http(s) URL")
        return {
            "url": url,
            "title": _text(data.get("title"), "title") or url,
            "text": _markup(data.get("text"), "text"),
        }
    raise StoryError(f"'type' must be one of {', '.join(TYPES)}")


def _pin_of(tx: sqlite_utils.Database, row: Any) -> Pin | None:
    if not row["item_id"]:
        return None
    return pins.load(tx, row["story_id"], [row["item_id"]]).get(row["item_id"])


def viewer_element(tx: sqlite_utils.Database, row: Any, pin: Pin | None = None) -> dict[str, Any]:
    """An element row as its story's viewers see it now (a withheld pin as its placeholder)."""
    return _public(row, pin or _pin_of(tx, row))


def _emit(
    db: Database,
    tx: sqlite_utils.Database,
    story: dict[str, Any],
    op: str,
    element_id: str,
    actor: str | None,
) -> dict[str, Any]:
    row = tx.execute("SELECT * FROM elements WHERE id = ?", [element_id]).fetchone()
    return _announce(db, tx, story, op, viewer_element(tx, row), actor)


def _announce(
    db: Database,
    tx: sqlite_utils.Database,
    story: dict[str, Any],
    op: str,
    element: dict[str, Any],
    actor: str | None,
) -> dict[str, Any]:
    """Mark the story updated and append the element's event to its room."""
    tx.execute("UPDATE stories SET updated_at = ? WHERE id = ?", [clock.now(), story["id"]])
    eventlog.story_event(db, tx, story["slug"], op, element, actor)
    return element


def add_element(
    db: Database, story: dict[str, Any], data: dict[str, Any], actor: str | None = None
) -> dict[str, Any]:
    """Insert an item, text or link element at `position` (default: the end)."""
    if not isinstance(data, dict):
        raise StoryError("an element must be a JSON object")
    with db.write() as tx:
        fields = _fields_for(data, tx)
        position = _position(data.get("position"), _count(tx, story["id"]))
        tx.execute(
            "UPDATE elements SET position = position + 1 WHERE story_id = ? AND position >= ?",
            [story["id"], position],
        )
        element_id = secrets.token_hex(8)
        now = clock.now()
        row = {
            "id": element_id,
            "story_id": story["id"],
            "position": position,
            "type": data["type"],
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        tx.execute(
            f"INSERT INTO elements ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        return _emit(db, tx, story, "add", element_id, actor)


def _existing(tx: sqlite_utils.Database, story: dict[str, Any], element_id: str) -> Any:
    row = tx.execute(
        "SELECT * FROM elements WHERE id = ? AND story_id = ?", [element_id, story["id"]]
    ).fetchone()
    if row is None:
        raise NotFound(f"no element {element_id} in story {story['slug']}")
    return row


def update_element(
    db: Database,
    story: dict[str, Any],
    element_id: str,
    data: dict[str, Any],
    actor: str | None = None,
) -> dict[str, Any]:
    """Apply a PATCH: `position` moves the element; `annotation`, `text`, `style`, `title` edit it."""
    if not isinstance(data, dict) or not data:
        raise StoryError("send any of position, annotation, text, style, title (and the version you saw)")
    with db.write() as tx:
        row = _existing(tx, story, element_id)
        _check_version(data, row, tx)
        changes: dict[str, Any] = {}
        if "annotation" in data and row["type"] == "item":
            changes["annotation"] = _markup(data["annotation"], "annotation")
            changes["annotation_html"] = sanitize.clean_html(changes["annotation"])
        if "text" in data and row["type"] in ("text", "link"):
            changes["text"] = _markup(data["text"], "text", required=row["type"] == "text")
            if row["type"] == "text":
                changes["text_html"] = sanitize.clean_html(changes["text"])
        if "style" in data and row["type"] == "text":
            if data["style"] not in STYLES:
                raise StoryError(f"'style' must be one of {', '.join(STYLES)}")
            changes["style"] = data["style"]
        if "title" in data and row["type"] == "link":
            changes["title"] = _text(data["title"], "title")
        moving = "position" in data
        if moving and data["position"] is None:
            raise StoryError("'position' must be an integer >= 0 (0 = top)")
        if not changes and not moving:
            raise StoryError(f"nothing to change for a {row['type']} element")
        element = None
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            tx.execute(
                f"UPDATE elements SET {assignments}, version = version + 1, updated_at = ? WHERE id = ?",
                [*changes.values(), clock.now(), element_id],
            )
            element = _emit(db, tx, story, "update", element_id, actor)
        if moving:
            target = _position(data["position"], _count(tx, story["id"]) - 1)
            if target != row["position"]:
                _shift_for_move(tx, story["id"], row["position"], target)
                tx.execute(
                    "UPDATE elements SET position = ?, version = version + 1 WHERE id = ?",
                    [target, element_id],
                )
                element = _emit(db, tx, story, "move", element_id, actor)
        return element or _emit(db, tx, story, "update", element_id, actor)


def _check_version(data: dict[str, Any], row: Any, tx: sqlite_utils.Database) -> None:
    """Refuse an edit based on a version someone else has changed since: never overwrite silently."""
    if "version" not in data:
        return
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise StoryError("'version' must be an integer (the element's version you edited)")
    if version != row["version"]:
        current = viewer_element(tx, row)
        raise Conflict(
            f"this element changed since you opened it (version {version}, now {row['version']}):"
            " review the current text and apply your change again",
            current,
        )


def _shift_for_move(tx: sqlite_utils.Database, story_id: int, source: int, target: int) -> None:
    if target < source:
        tx.execute(
            "UPDATE elements SET position = position + 1"
            " WHERE story_id = ? AND position >= ? AND position < ?",
            [story_id, target, source],
        )
    else:
        tx.execute(
            "UPDATE elements SET position = position - 1"
            " WHERE story_id = ? AND position > ? AND position <= ?",
            [story_id, source, target],
        )


def remove_element(db: Database, story: dict[str, Any], element_id: str, actor: str | None = None) -> None:
    """Remove an element and close the gap it leaves."""
    with db.write() as tx:
        row = _existing(tx, story, element_id)
        element = _public(row, None)
        tx.execute("DELETE FROM elements WHERE id = ?", [element_id])
        tx.execute(
            "UPDATE elements SET position = position - 1 WHERE story_id = ? AND position > ?",
            [story["id"], row["position"]],
        )
        _announce(db, tx, story, "remove", element, actor)


def restate(db: Database, tx: sqlite_utils.Database, story: dict[str, Any], actor: str | None) -> None:
    """A draft is published: a `reset` (its header) then one `add` per element, in story order.

    Every catch-up starts at the latest `reset`, so what was written while the story was a
    draft (elements added and removed, earlier texts) never reaches a viewer.
    """
    header = tx.execute(
        "SELECT title, description, cover, status, byline FROM stories WHERE id = ?", [story["id"]]
    ).fetchone()
    meta = {name: header[name] for name in ("title", "description", "cover", "status", "byline")}
    eventlog.story_event(db, tx, story["slug"], "reset", None, actor, meta=meta)
    rows = tx.execute("SELECT * FROM elements WHERE story_id = ? ORDER BY position", [story["id"]]).fetchall()
    for row in rows:
        eventlog.story_event(db, tx, story["slug"], "add", viewer_element(tx, row), actor)
