"""A story's header (title, slug, status, curators) and who may change it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlite_utils

from aggregator import clock, eventlog, sanitize
from aggregator.db import Database
from stories.element_rows import element_with_item

# The statuses of a story (an item's statuses in a feed are aggregator.moderation.MODERATION_STATUSES).
STORY_STATUSES = ("draft", "live", "published")
META_FIELDS = ("title", "description", "cover", "status", "byline")


class StoryError(ValueError):
    """A story change that cannot be honoured; the message says why."""


def slugify(title: str) -> str:
    """A URL slug from a title: ascii, lowercase, words joined by '-'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].strip("-") or "story"


def _check_meta(fields: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in META_FIELDS:
            continue
        if not isinstance(value, str) and not (name == "cover" and value is None):
            raise StoryError(f"'{name}' must be a string")
        if name == "cover" and value and sanitize.clean_url(value) is None:
            raise StoryError("'cover' must be an absolute http(s) URL")
        if name == "title" and not (value or "").strip():
            raise StoryError("'title' must not be empty")
        if name == "status" and value not in STORY_STATUSES:
            raise StoryError(f"'status' must be one of {', '.join(STORY_STATUSES)}")
        if value is not None and len(value) > 20_000:
            raise StoryError(f"'{name}' is too long")
        clean[name] = value.strip() if isinstance(value, str) and name != "description" else value
    return clean


def create_story(
    db: Database, title: str, feed_id: int | None, owner: dict[str, Any] | None, **options: Any
) -> dict[str, Any]:
    """Create a story with a unique slug in its own transaction; return its header.

    `options` are `insert_story`'s (slug, description, status, byline, open_to_curators, ...).
    """
    with db.write() as tx:
        _, slug = insert_story(tx, title, feed_id, owner, **options)
    return get_header(db, slug)


def insert_story(
    tx: sqlite_utils.Database,
    title: str,
    feed_id: int | None,
    owner: dict[str, Any] | None,
    slug: str | None = None,
    description: str = "",
    status: str = "draft",
    byline: str | None = None,
    open_to_curators: bool = False,
    created_at: str | None = None,
    cover: str | None = None,
    updated_at: str | None = None,
) -> tuple[int, str]:
    """Store a new story inside `tx` (the API's and the importer's one way); return its id and slug.

    A `slug` asked for must be free; without one the title's slug gets a number when taken.
    """
    meta = _check_meta({"title": title, "description": description or "", "status": status, "cover": cover})
    if slug is not None and not (isinstance(slug, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug)):
        raise StoryError("slug must be lowercase letters, digits and '-'")
    base = slug or slugify(title)
    now = clock.now()
    candidate, number = base, 1
    while tx.execute("SELECT 1 FROM stories WHERE slug = ?", [candidate]).fetchone():
        if slug is not None:
            raise StoryError(f"a story with slug '{slug}' exists already")
        number += 1
        candidate = f"{base}-{number}"
    story_id = tx.execute(
        "INSERT INTO stories (slug, title, description, cover, status, feed_id, owner_id, byline,"
        " open_to_curators, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            candidate,
            meta["title"],
            meta["description"],
            meta["cover"],
            meta["status"],
            feed_id,
            owner["id"] if owner else None,
            byline or (owner["name"] if owner else ""),
            int(open_to_curators),
            created_at or now,
            updated_at or now,
        ],
    ).lastrowid
    return story_id, candidate


def get_header(db: Database, slug: str) -> dict[str, Any] | None:
    """A story's header (no elements), or None."""
    row = db.query_one(
        "SELECT s.*, f.name AS feed, c.name AS owner FROM stories s"
        " LEFT JOIN feeds f ON f.id = s.feed_id LEFT JOIN curators c ON c.id = s.owner_id"
        " WHERE s.slug = ?",
        [slug],
    )
    if row is None:
        return None
    editors = db.query(
        "SELECT c.name FROM story_editors e JOIN curators c ON c.id = e.curator_id"
        " WHERE e.story_id = ? ORDER BY c.name",
        [row["id"]],
    )
    last = db.query_one("SELECT max(seq) AS seq FROM events WHERE room = ?", [eventlog.story_room(slug)])
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "description": row["description"],
        "cover": row["cover"],
        "status": row["status"],
        "feed": row["feed"],
        "byline": row["byline"],
        "owner": row["owner"],
        "curators": ([row["owner"]] if row["owner"] else []) + [e["name"] for e in editors],
        "open_to_curators": bool(row["open_to_curators"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "last_seq": last["seq"] or 0,
    }


def list_stories(db: Database) -> list[dict[str, Any]]:
    """Every story's header, newest first."""
    rows = db.query("SELECT slug FROM stories ORDER BY created_at DESC, id DESC")
    return [get_header(db, row["slug"]) for row in rows]


def can_edit(db: Database, story: dict[str, Any], curator: dict[str, Any] | None) -> bool:
    """Whether `curator` may change `story`: its owner, an editor, or any curator when open."""
    if curator is None:
        return False
    if story["open_to_curators"] or story["owner"] == curator["name"]:
        return True
    return curator["name"] in story["curators"]


def _feed_id(db: Database, name: Any) -> int:
    """The id of the feed a story is moved to, by its name."""
    if not isinstance(name, str):
        raise StoryError("'feed' must be a feed name")
    row = db.query_one("SELECT id FROM feeds WHERE name = ?", [name])
    if row is None:
        raise StoryError(f"there is no feed '{name}'")
    return row["id"]


def update_meta(
    db: Database, story: dict[str, Any], fields: dict[str, Any], actor: str | None
) -> dict[str, Any]:
    """Change title, description, cover, status, byline or feed (by name); viewers get a `meta` event.

    A live or published story that changes feed is restated (`reset`): whether a pinned post
    is shown depends on its status in the story's feed.
    """
    changes = _check_meta(fields)
    columns = dict(changes)
    if "feed" in fields:
        columns["feed_id"] = _feed_id(db, fields["feed"])
        changes["feed"] = fields["feed"]
    if not changes:
        raise StoryError(f"nothing to change: send any of {', '.join((*META_FIELDS, 'feed'))}")
    assignments = ", ".join(f"{name} = ?" for name in columns)
    with db.write() as tx:
        was = tx.execute("SELECT status, feed_id FROM stories WHERE id = ?", [story["id"]]).fetchone()
        tx.execute(
            f"UPDATE stories SET {assignments}, updated_at = ? WHERE id = ?",
            [*columns.values(), clock.now(), story["id"]],
        )
        eventlog.story_event(db, tx, story["slug"], "meta", None, actor, meta=changes)
        status = changes.get("status", was["status"])
        published = was["status"] == "draft" and status != "draft"
        refeeded = status != "draft" and columns.get("feed_id", was["feed_id"]) != was["feed_id"]
        if published or refeeded:
            restate(db, tx, story, actor)
    return get_header(db, story["slug"])


def status_and_log_end(db: Database, slug: str) -> tuple[str | None, int]:
    """A story's status (None if there is none) and the log's last seq, read as one snapshot."""
    row = db.query_one(
        "SELECT (SELECT status FROM stories WHERE slug = ?) AS status,"
        " (SELECT coalesce(max(seq), 0) FROM events) AS seq",
        [slug],
    )
    return row["status"], row["seq"]


def restate(db: Database, tx: sqlite_utils.Database, story: dict[str, Any], actor: str | None) -> None:
    """A draft is published: a `reset` (its header) then one `add` per element, in story order.

    Every catch-up starts at the latest `reset`, so what was written while the story was a
    draft (elements added and removed, earlier texts) never reaches a viewer.
    """
    header = tx.execute(
        "SELECT title, description, cover, status, byline FROM stories WHERE id = ?", [story["id"]]
    ).fetchone()
    meta = {name: header[name] for name in META_FIELDS}
    eventlog.story_event(db, tx, story["slug"], "reset", None, actor, meta=meta)
    rows = tx.execute("SELECT * FROM elements WHERE story_id = ? ORDER BY position", [story["id"]]).fetchall()
    for row in rows:
        eventlog.story_event(db, tx, story["slug"], "add", element_with_item(tx, row), actor)


def touch(tx: sqlite_utils.Database, story_id: int) -> None:
    """Mark a story updated now (an element of it changed), inside `tx`."""
    tx.execute("UPDATE stories SET updated_at = ? WHERE id = ?", [clock.now(), story_id])
