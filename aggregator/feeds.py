"""Feeds: a name, a query (hashtags), the sources that fill it, and their items."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from aggregator import clock, eventlog, feed_sources, membership
from aggregator.db import Database
from aggregator.errors import NotFound
from aggregator.item_rows import item_columns, public_item
from aggregator.moderation import MODERATION_STATUSES, Rules
from aggregator.sources import parse_spec

FEED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# What anyone may see of a source; its spec, last error and usage are for curators only.
PUBLIC_SOURCE_FIELDS = ("id", "network", "state", "last_success", "items", "rate_limit_reset")


class FeedError(ValueError):
    """A request about feeds that cannot be honoured; the message says why."""


def create_feed(
    db: Database, name: str, query: str, specs: list[str], settings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Create a feed with its sources; raise FeedError on a bad name, query or spec.

    With the server's `settings` (every curator's request), a spec this server will not follow
    (a private address, a file outside the replay folder) is a SpecError too.
    """
    if not isinstance(name, str) or not FEED_NAME.match(name):
        raise FeedError("name must be 1-64 lowercase letters, digits, '-' or '_'")
    if not isinstance(query, str) or not query.strip() or len(query) > 500:
        raise FeedError("query must be a non-empty string of at most 500 characters")
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise FeedError("sources must be a list of source specs")
    parsed = [parse_spec(spec, settings) for spec in specs]
    now = clock.now()
    with db.write() as tx:
        if tx.execute("SELECT 1 FROM feeds WHERE name = ?", [name]).fetchone():
            raise FeedError(f"a feed named '{name}' exists already")
        feed_id = tx.execute(
            "INSERT INTO feeds (name, query, created_at) VALUES (?, ?, ?)",
            [name, query.strip(), now],
        ).lastrowid
        for spec in dict.fromkeys(s.spec for s in parsed):
            feed_sources.add(tx, feed_id, spec)
    return get_feed(db, name)


def add_source(
    db: Database, feed: dict[str, Any], spec: str, settings: Mapping[str, Any] | None = None
) -> None:
    """Add a source to a feed (a no-op when the feed has it already); `settings` as in create_feed."""
    parsed = parse_spec(spec, settings)
    with db.write() as tx:
        feed_sources.add(tx, feed["id"], parsed.spec)


def _feed_row(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "query": row["query"],
        "moderation": row["moderation"],
        "web_posts": bool(row["web_posts"]),
    }


def _feed_summary(db: Database, row: Any) -> dict[str, Any]:
    """A feed's row with its sources, item count (kept on the row: migration 0009) and last seq
    (the end of its seq index): no cost per item it holds."""
    last = db.query_one("SELECT max(seq) AS seq FROM feed_items WHERE feed_id = ?", [row["id"]])
    return {
        **_feed_row(row),
        "sources": [s["spec"] for s in sources_of(db, row["id"])],
        "item_count": row["item_count"],
        "last_seq": last["seq"] or 0,
    }


def list_feeds(db: Database) -> list[dict[str, Any]]:
    """Every feed, with its item count and last seq."""
    return [_feed_summary(db, row) for row in db.query("SELECT * FROM feeds ORDER BY name")]


def feed_exists(db: Database, name: str) -> bool:
    """Whether a feed named `name` exists (no counting: cheap enough for every socket join)."""
    return db.query_one("SELECT 1 FROM feeds WHERE name = ?", [name]) is not None


def get_feed(db: Database, name: str, counted: bool = True) -> dict[str, Any] | None:
    """One feed by name, or None. Without `counted`, its own row only (no item count, last
    seq or sources): what a write into it needs."""
    row = db.query_one("SELECT * FROM feeds WHERE name = ?", [name])
    if row is None:
        return None
    return _feed_summary(db, row) if counted else _feed_row(row)


def sources_of(db: Database, feed_id: int) -> list[dict[str, Any]]:
    """A feed's sources with their health."""
    rows = db.query("SELECT * FROM sources WHERE feed_id = ? ORDER BY id", [feed_id])
    return [
        {
            "id": r["id"],
            "network": r["spec"].partition(":")[0],
            "spec": r["spec"],
            "state": r["state"],
            "last_success": r["last_success"],
            "items": r["items"],
            "skipped": r["skipped"],
            "last_error": r["last_error"],
            "last_error_at": r["last_error_at"],
            "rate_limit_reset": r["rate_limit_reset"],
            **_usage(r["cursor"]),
        }
        for r in rows
    ]


def public_source(source: dict[str, Any]) -> dict[str, Any]:
    """A source's health as anyone may see it: its network and public state, no spec or error text."""
    return {name: source[name] for name in PUBLIC_SOURCE_FIELDS}


def public_feed(feed: dict[str, Any]) -> dict[str, Any]:
    """A feed summary as anyone may see it: `sources` names each source's network, not its spec."""
    return {**feed, "sources": [spec.partition(":")[0] for spec in feed["sources"]]}


@dataclass(frozen=True)
class StreamFilter:
    """The editor's stream filters; the defaults filter nothing."""

    source: str | None = None
    has_media: bool = False
    no_replies: bool = False
    no_reposts: bool = False
    lang: str | None = None
    not_pinned_in: int | None = None  # a story id
    # The insight page's figures link to their posts with these (aggregator/insight.py).
    author: str | None = None  # a handle, or the name when the post has no handle
    hashtag: str | None = None
    link: str | None = None
    reason: str | None = None  # the rule that hid the post
    since: str | None = None  # created_at >= since (ISO 8601 UTC)
    until: str | None = None  # created_at < until
    only_replies: bool = False
    only_reposts: bool = False
    media_type: str | None = None  # posts with at least one attachment of this type
    pinned_in: int | None = None  # a story id: only the posts it pins
    not_deleted: bool = False  # without the posts deleted at their source (insight counts none)

    def where(self) -> tuple[str, list[Any]]:
        """The SQL conditions (over `i` items, `f` feed_items) and their parameters."""
        sql, params = "", []
        for condition, value in (
            ("COALESCE(i.author_handle, i.author_name) = ?", self.author),
            ("has_hashtag(i.text, ?)", self.hashtag),
            ("has_link(i.text, ?)", self.link),
            ("f.reason = ?", self.reason),
            ("i.created_at >= ?", self.since),
            ("i.created_at < ?", self.until),
        ):
            if value is not None:
                sql += f" AND {condition}"
                params.append(value)
        if self.not_deleted:
            sql += " AND i.deleted = 0"
        if self.only_replies:
            sql += " AND i.reply_to IS NOT NULL"
        if self.only_reposts:
            sql += " AND i.repost_of IS NOT NULL"
        if self.pinned_in is not None:
            sql += " AND i.id IN (SELECT item_id FROM elements WHERE story_id = ? AND item_id IS NOT NULL)"
            params.append(self.pinned_in)
        if self.media_type is not None:
            sql += (
                " AND EXISTS (SELECT 1 FROM json_each(i.media) m WHERE json_extract(m.value, '$.type') = ?)"
            )
            params.append(self.media_type)
        if self.source:
            sql += " AND i.source = ?"
            params.append(self.source)
        if self.has_media:
            sql += " AND i.media != '[]'"
        if self.no_replies:
            sql += " AND i.reply_to IS NULL"
        if self.no_reposts:
            sql += " AND i.repost_of IS NULL"
        if self.lang:
            sql += " AND (lower(i.lang) = ? OR lower(i.lang) LIKE ? || '-%')"
            params += [self.lang.lower(), self.lang.lower()]
        if self.not_pinned_in is not None:
            sql += (
                " AND i.id NOT IN (SELECT item_id FROM elements WHERE story_id = ? AND item_id IS NOT NULL)"
            )
            params.append(self.not_pinned_in)
        return sql, params


def _usage(cursor: str | None) -> dict[str, Any]:
    """What a counted source spent, kept in its cursor: X's `reads_today`, a rolling `quota`
    (Threads' queries, Instagram's hashtags, see aggregator.sources.quota), or nothing."""
    try:
        state = json.loads(cursor) if cursor else None
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    if isinstance(state.get("quota"), dict):
        return {"quota": state["quota"]}
    if isinstance(state.get("reads"), int):
        return {"reads_today": state["reads"] if state.get("day") == clock.now()[:10] else 0}
    return {}


def list_items(
    db: Database,
    feed: dict[str, Any],
    after: int = 0,
    limit: int = 100,
    query: str | None = None,
    statuses: tuple[str, ...] = ("approved",),
    with_raw: bool = False,
    newest: bool = False,
    before: int | None = None,
    filters: StreamFilter | None = None,
) -> list[dict[str, Any]]:
    """A feed's items with after < seq (< before), in seq order; `query` is an FTS5 search.

    With `newest`, the last `limit` of them (still returned in seq order), else the first;
    `before` pages back to older items (the `limit` just below it, so `newest` is implied).
    """
    marks = ", ".join("?" * len(statuses))
    sql = (
        f"SELECT {item_columns()}, i.raw, f.seq, f.status, f.featured, f.reason"
        " FROM feed_items f JOIN items i ON i.id = f.item_id"
        f" WHERE f.feed_id = ? AND f.seq > ? AND f.status IN ({marks})"
    )
    params: list[Any] = [feed["id"], after, *statuses]
    if before is not None:
        sql += " AND f.seq < ?"
        params.append(before)
    if query:
        sql += " AND i.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)"
        params.append(fts_query(query))
    if filters:
        where, where_params = filters.where()
        sql += where
        params += where_params
    newest = newest or before is not None
    sql += " ORDER BY f.seq DESC LIMIT ?" if newest else " ORDER BY f.seq LIMIT ?"
    params.append(limit)
    rows = db.query(sql, params)
    if newest:
        rows.reverse()
    return [public_item(row, with_raw=with_raw) for row in rows]


def fts_query(text: str) -> str:
    """Turn what a person types into a safe FTS5 query: every word must match (as a prefix)."""
    words = re.findall(r"\w+", text)
    return " ".join(f'"{w}"*' for w in words) or '""'


def get_feed_item(db: Database, feed: dict[str, Any], item_id: str) -> dict[str, Any] | None:
    """One item of a feed, with its seq and status."""
    row = db.query_one(
        f"SELECT {item_columns()}, i.raw, f.seq, f.status, f.featured, f.reason"
        " FROM feed_items f JOIN items i ON i.id = f.item_id"
        " WHERE f.feed_id = ? AND f.item_id = ?",
        [feed["id"], item_id],
    )
    return public_item(row, with_raw=True) if row else None


def set_item_status(
    db: Database, feed: dict[str, Any], item_id: str, status: str, actor: str | None = None
) -> dict[str, Any]:
    """Moderate an item: approve, hold or hide it; viewers and the desk follow through its events."""
    if status not in MODERATION_STATUSES:
        raise FeedError(f"status must be one of {', '.join(MODERATION_STATUSES)}")
    with db.write() as tx:
        found = membership.member_items(tx, feed["id"], " AND f.item_id = ?", (item_id,))
        if not found:
            raise NotFound(f"no item {item_id} in feed {feed['name']}")
        return membership.set_status(db, tx, feed, found[0], status, None, actor)


def set_item_featured(
    db: Database, feed: dict[str, Any], item_id: str, featured: Any, actor: str | None = None
) -> dict[str, Any]:
    """Feature an item of a feed (the wall shows it first), or stop featuring it."""
    if not isinstance(featured, bool):
        raise FeedError("featured must be true or false")
    with db.write() as tx:
        found = membership.member_items(tx, feed["id"], " AND f.item_id = ?", (item_id,))
        if not found:
            raise NotFound(f"no item {item_id} in feed {feed['name']}")
        return membership.set_featured(db, tx, feed, found[0], featured, actor)


def find_source(db: Database, feed: dict[str, Any], source: Any) -> dict[str, Any]:
    """A feed's source by its id or its spec; NotFound when the feed has no such source."""
    for candidate in sources_of(db, feed["id"]):
        if str(source) in (str(candidate["id"]), candidate["spec"]):
            return candidate
    try:
        spec = parse_spec(source).spec
    except ValueError:
        spec = None
    for candidate in sources_of(db, feed["id"]):
        if candidate["spec"] == spec:
            return candidate
    raise NotFound(f"feed {feed['name']} has no source '{source}'")


def set_source_state(db: Database, feed: dict[str, Any], source: Any, state: Any) -> dict[str, Any]:
    """Pause a source, or resume it (the collector picks it up and marks it running)."""
    if state not in ("paused", "running"):
        raise FeedError("state must be 'paused' or 'running'")
    found = find_source(db, feed, source)
    feed_sources.set_fields(db, found["id"], state="paused" if state == "paused" else "idle")
    return find_source(db, feed, found["id"])


def remove_source(db: Database, feed: dict[str, Any], source: Any) -> dict[str, Any]:
    """Stop following a source; what it collected stays in the feed."""
    found = find_source(db, feed, source)
    feed_sources.remove(db, found["id"])
    return found


def save_rules(
    db: Database,
    tx: sqlite_utils.Database,
    feed: dict[str, Any],
    mode: str,
    rules: Rules,
    actor: str | None,
    web_posts: bool | None = None,
) -> None:
    """Store a feed's mode and rules (and whether its wall's form takes posts, when given);
    the desk gets a `feed` event (the audit trail)."""
    tx.execute(
        "UPDATE feeds SET moderation = ?, rules = ? WHERE id = ?",
        [mode, json.dumps(rules.as_dict(), ensure_ascii=False), feed["id"]],
    )
    payload = {"feed": feed["name"], "moderation": mode, "rules": rules.as_dict()}
    if web_posts is not None:
        tx.execute("UPDATE feeds SET web_posts = ? WHERE id = ?", [int(web_posts), feed["id"]])
        payload["web_posts"] = web_posts
    eventlog.append(db, tx, eventlog.desk_room(feed["name"]), "feed", "settings", payload, actor)
