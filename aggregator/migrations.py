"""Numbered schema migrations. Append new ones at the end; never edit an applied one."""

from __future__ import annotations

from collections import Counter

import sqlite_utils

from aggregator import insight_keys

migrations = sqlite_utils.Migrations("tagstory")


@migrations(name="0001_initial")
def initial(db: sqlite_utils.Database) -> None:
    """Feeds, sources, items, the event log, curators, tokens, stories and elements."""
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            query TEXT NOT NULL,
            moderation TEXT NOT NULL DEFAULT 'auto',
            created_at TEXT NOT NULL
        );
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            spec TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'idle',
            cursor TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            last_success TEXT,
            last_error TEXT,
            last_error_at TEXT,
            rate_limit_reset TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (feed_id, spec)
        );
        CREATE TABLE items (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            url TEXT,
            author_name TEXT NOT NULL DEFAULT '',
            author_handle TEXT,
            author_url TEXT,
            author_avatar TEXT,
            text TEXT NOT NULL DEFAULT '',
            html TEXT NOT NULL DEFAULT '',
            media TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            collected_at TEXT NOT NULL,
            reply_to TEXT,
            repost_of TEXT,
            lang TEXT,
            sensitive INTEGER NOT NULL DEFAULT 0,
            synthetic INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            raw TEXT NOT NULL,
            UNIQUE (source, source_id)
        );
        CREATE TABLE feed_items (
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            item_id TEXT NOT NULL REFERENCES items(id),
            added_seq INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'approved',
            PRIMARY KEY (feed_id, item_id)
        );
        CREATE INDEX feed_items_by_seq ON feed_items (feed_id, seq);
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            room TEXT NOT NULL,
            type TEXT NOT NULL,
            op TEXT NOT NULL,
            actor TEXT,
            payload TEXT NOT NULL
        );
        CREATE INDEX events_by_room ON events (room, seq);
        CREATE TABLE curators (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            curator_id INTEGER NOT NULL REFERENCES curators(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            cover TEXT,
            status TEXT NOT NULL DEFAULT 'draft',
            feed_id INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
            owner_id INTEGER REFERENCES curators(id) ON DELETE SET NULL,
            byline TEXT NOT NULL DEFAULT '',
            open_to_curators INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE story_editors (
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            curator_id INTEGER NOT NULL REFERENCES curators(id) ON DELETE CASCADE,
            PRIMARY KEY (story_id, curator_id)
        );
        CREATE TABLE elements (
            id TEXT PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            type TEXT NOT NULL,
            item_id TEXT REFERENCES items(id),
            annotation TEXT NOT NULL DEFAULT '',
            annotation_html TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            text_html TEXT NOT NULL DEFAULT '',
            style TEXT,
            url TEXT,
            title TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX elements_by_position ON elements (story_id, position);
        """
    )
    db["items"].enable_fts(["text", "author_name", "author_handle"], fts_version="FTS5", create_triggers=True)


@migrations(name="0002_desk")
def desk(db: sqlite_utils.Database) -> None:
    """Moderation rules per feed, the rule that hid an item, and element versions for conflicts."""
    db.executescript(
        """
        ALTER TABLE feeds ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE feed_items ADD COLUMN reason TEXT;
        ALTER TABLE elements ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX feed_items_by_status ON feed_items (feed_id, status, seq);
        """
    )


@migrations(name="0003_web_security")
def web_security(db: sqlite_utils.Database) -> None:
    """Revocable sessions, failed logins for throttling, and pinned items' events by item."""
    db.executescript(
        """
        ALTER TABLE curators ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE login_failures (
            key TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX login_failures_by_key ON login_failures (key, at);
        CREATE INDEX feed_items_by_item ON feed_items (item_id);
        """
    )


@migrations(name="0004_source_ids_never_reused")
def source_ids_never_reused(db: sqlite_utils.Database) -> None:
    """Sources get AUTOINCREMENT ids: a removed source's id never names a new one.

    Without it SQLite hands the highest free id out again, and the collector's loop of a
    removed source went on under the new source's id while the new one stayed idle.
    """
    columns = (
        "id, feed_id, spec, state, cursor, items, skipped, last_success, last_error,"
        " last_error_at, rate_limit_reset, created_at"
    )
    db.executescript(
        f"""
        CREATE TABLE sources_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            spec TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'idle',
            cursor TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            last_success TEXT,
            last_error TEXT,
            last_error_at TEXT,
            rate_limit_reset TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (feed_id, spec)
        );
        INSERT INTO sources_new ({columns}) SELECT {columns} FROM sources;
        DROP TABLE sources;
        ALTER TABLE sources_new RENAME TO sources;
        """
    )


@migrations(name="0005_consent")
def consent(db: sqlite_utils.Database) -> None:
    """Forgotten authors (digests of their keys, never their names), the log of each forget, pins by item."""
    db.executescript(
        """
        CREATE TABLE forgotten_authors (
            key TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );
        CREATE TABLE forget_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            network TEXT NOT NULL,
            items INTEGER NOT NULL,
            feeds INTEGER NOT NULL,
            stories INTEGER NOT NULL
        );
        CREATE INDEX elements_by_item ON elements (item_id);
        """
    )


@migrations(name="0006_featured_items")
def featured_items(db: sqlite_utils.Database) -> None:
    """A curator can feature a feed's item: the wall shows featured items first (issue 9)."""
    db.executescript("ALTER TABLE feed_items ADD COLUMN featured INTEGER NOT NULL DEFAULT 0;")


@migrations(name="0007_insight_buckets")
def insight_buckets(db: sqlite_utils.Database) -> None:
    """A feed's insight from per-minute buckets kept at ingest, not from a scan of its posts (issue 11).

    `insight_buckets` holds, per feed, minute (`*`: all time), figure and key, how many of the
    feed's posts count there; aggregator/membership.py keeps it from now on, and it is filled
    here for the posts stored before (what a post counts in is aggregator/insight_keys.py).
    Posts get indexes by time and by author: a window's partial edge minutes and a
    contributor's latest name are read from the posts themselves.
    """
    db.executescript(
        """
        CREATE TABLE insight_buckets (
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            minute TEXT NOT NULL,
            figure TEXT NOT NULL,
            key TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (feed_id, figure, minute, key)
        ) WITHOUT ROWID;
        CREATE INDEX insight_buckets_top ON insight_buckets (feed_id, figure, n DESC, key) WHERE minute = '*';
        CREATE INDEX items_by_created_at ON items (created_at);
        CREATE INDEX items_by_author ON items (COALESCE(author_handle, author_name), created_at);
        """
    )
    found = db.execute(
        f"SELECT f.feed_id, f.status, f.reason, {insight_keys.post_columns()}"
        " FROM feed_items f JOIN items i ON i.id = f.item_id"
    )
    names = [column[0] for column in found.description]
    by_feed: dict[int, insight_keys.Buckets] = {}
    for values in found.fetchall():
        row = dict(zip(names, values, strict=True))
        by_feed.setdefault(row["feed_id"], Counter()).update(
            insight_keys.counted(row, row["status"], row["reason"])
        )
    db.conn.executemany(
        "INSERT INTO insight_buckets (feed_id, minute, figure, key, n) VALUES (?, ?, ?, ?, ?)",
        [
            (feed_id, *bucket, n)
            for feed_id, buckets in by_feed.items()
            for bucket, n in insight_keys.with_totals(buckets).items()
        ],
    )


@migrations(name="0008_web_posts")
def web_posts(db: sqlite_utils.Database) -> None:
    """A feed may take posts from people in the room through its wall's form (issue 9); off by default."""
    db.executescript("ALTER TABLE feeds ADD COLUMN web_posts INTEGER NOT NULL DEFAULT 0;")


@migrations(name="0009_feed_item_counts")
def feed_item_counts(db: sqlite_utils.Database) -> None:
    """A feed's item count kept on its row, by the schema, instead of counted on every read.

    Counting cost what a feed holds (2.8 ms at 20,000 posts) on every public page that shows a
    feed, its embed and its Atom feed, and `GET /api/feeds` counted every feed's posts: work an
    anonymous reader could multiply. The triggers keep `item_count` in the same transaction
    as each row of `feed_items` (aggregator/membership.py adds them; a feed's deletion
    cascades them away with it); the count of the posts stored before is filled here.
    """
    db.executescript(
        """
        ALTER TABLE feeds ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
        UPDATE feeds SET item_count = (SELECT count(*) FROM feed_items WHERE feed_id = feeds.id);
        CREATE TRIGGER feed_items_counted AFTER INSERT ON feed_items BEGIN
            UPDATE feeds SET item_count = item_count + 1 WHERE id = NEW.feed_id;
        END;
        CREATE TRIGGER feed_items_uncounted AFTER DELETE ON feed_items BEGIN
            UPDATE feeds SET item_count = item_count - 1 WHERE id = OLD.feed_id;
        END;
        """
    )
