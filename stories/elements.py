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
from stories.element_rows import element_with_item, public_element
from stories.model import StoryError, touch

TYPES = ("item", "text", "link")
STYLES = ("heading", "paragraph")
MAX_TEXT = 20_000


def list_elements(db: Database, story: dict[str, Any], for_curators: bool = False) -> list[dict[str, Any]]:
    """Every element of a story in story order, pinned items included as viewers may see them.

    A pin withheld from viewers carries a placeholder (stories.pins); `for_curators` (the
    story's own curators) keeps the post they hid in the story's feed.
    """
    rows = db.query("SELECT * FROM elements WHERE story_id = ? ORDER BY position", [story["id"]])
    found = pins.load(db, story["id"], [r["item_id"] for r in rows if r["item_id"]])
    return [public_element(r, found.get(r["item_id"]), for_curators) for r in rows]


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


def element_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check and sanitize a new element's fields (the editor's and the importer's one validator).

    `data` has a `type` (item, text or link) and that type's fields; an item's `item_id`
    must be a string (that it names a stored item is checked where it is inserted).
    Raises StoryError naming the field at fault.
    """
    kind = data.get("type")
    if kind == "item":
        if not isinstance(data.get("item_id"), str):
            raise StoryError("'item_id' must name an existing item")
        annotation = _markup(data.get("annotation"), "annotation")
        return {
            "item_id": data["item_id"],
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


def insert_element(
    tx: sqlite_utils.Database,
    story_id: int,
    position: int,
    kind: str,
    fields: dict[str, Any],
    created_at: str | None = None,
    updated_at: str | None = None,
) -> str:
    """Store a checked element (`element_fields`) at `position`, inside `tx`; return its id.

    The caller makes room at `position` first; an archive keeps its elements' own times.
    """
    now = clock.now()
    row = {
        "id": secrets.token_hex(8),
        "story_id": story_id,
        "position": position,
        "type": kind,
        "created_at": created_at or now,
        "updated_at": updated_at or now,
        **fields,
    }
    tx.execute(
        f"INSERT INTO elements ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )
    return row["id"]


def _announce_row(
    db: Database,
    tx: sqlite_utils.Database,
    story: dict[str, Any],
    op: str,
    element_id: str,
    actor: str | None,
) -> dict[str, Any]:
    """Announce the element `element_id` as it is now stored (op add, update or move)."""
    row = tx.execute("SELECT * FROM elements WHERE id = ?", [element_id]).fetchone()
    return _announce(db, tx, story, op, element_with_item(tx, row), actor)


def _announce(
    db: Database,
    tx: sqlite_utils.Database,
    story: dict[str, Any],
    op: str,
    element: dict[str, Any],
    actor: str | None,
) -> dict[str, Any]:
    """Mark the story updated and append the element's event to its room."""
    touch(tx, story["id"])
    eventlog.story_event(db, tx, story["slug"], op, element, actor)
    return element


def add_element(
    db: Database, story: dict[str, Any], data: dict[str, Any], actor: str | None = None
) -> dict[str, Any]:
    """Insert an item, text or link element at `position` (default: the end).

    A post is pinned once per story: a second pin raises `pins.AlreadyPinned` (a 409 that
    names the element pinning it), and nothing is written.
    """
    if not isinstance(data, dict):
        raise StoryError("an element must be a JSON object")
    fields = element_fields(data)
    with db.write() as tx:
        if "item_id" in fields:
            if not tx.execute("SELECT 1 FROM items WHERE id = ?", [fields["item_id"]]).fetchone():
                raise StoryError("'item_id' must name an existing item")
            twin = pins.pinned_row(tx, story["id"], fields["item_id"])
            if twin is not None:
                raise pins.already_pinned(element_with_item(tx, twin))
        position = _position(data.get("position"), _count(tx, story["id"]))
        tx.execute(
            "UPDATE elements SET position = position + 1 WHERE story_id = ? AND position >= ?",
            [story["id"], position],
        )
        element_id = insert_element(tx, story["id"], position, data["type"], fields)
        return _announce_row(db, tx, story, "add", element_id, actor)


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
            element = _announce_row(db, tx, story, "update", element_id, actor)
        if moving:
            target = _position(data["position"], _count(tx, story["id"]) - 1)
            if target != row["position"]:
                _shift_for_move(tx, story["id"], row["position"], target)
                tx.execute(
                    "UPDATE elements SET position = ?, version = version + 1 WHERE id = ?",
                    [target, element_id],
                )
                element = _announce_row(db, tx, story, "move", element_id, actor)
        return element or _announce_row(db, tx, story, "update", element_id, actor)


def _check_version(data: dict[str, Any], row: Any, tx: sqlite_utils.Database) -> None:
    """Refuse an edit based on a version someone else has changed since: never overwrite silently."""
    if "version" not in data:
        return
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise StoryError("'version' must be an integer (the element's version you edited)")
    if version != row["version"]:
        current = element_with_item(tx, row)
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
        element = public_element(row, None)
        tx.execute("DELETE FROM elements WHERE id = ?", [element_id])
        tx.execute(
            "UPDATE elements SET position = position - 1 WHERE story_id = ? AND position > ?",
            [story["id"], row["position"]],
        )
        _announce(db, tx, story, "remove", element, actor)
