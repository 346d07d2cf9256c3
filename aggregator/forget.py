"""Taking an author down on request: every post of theirs removed from every feed, story and export.

`forget` empties the author's stored posts (text, media, raw, and who wrote them), tells every
feed holding one that it is deleted (viewers drop it, the log's earlier copies are redacted,
the curators' desk copies too), lets every story pinning one show its placeholder "removed
by its author" (through aggregator.item_watchers), puts the author on the forgotten list so
later posts are refused at arrival, and writes one audit entry: who did it, when, how many —
never whom or what.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from aggregator import clock, eventlog, forgotten
from aggregator.db import Database
from aggregator.items import change_items, unname_items


@dataclass(frozen=True)
class Takedown:
    """What forgetting an author removes (or removed): how many posts, in how many feeds and stories."""

    items: int
    feeds: int
    stories: int


def _matching(read: Any, person: forgotten.Person) -> list[Any]:
    rows = read(
        "SELECT id, source, source_id, deleted, author_handle, author_url, author_name"
        " FROM items WHERE source = ?",
        [person.network],
    )
    return [
        row
        for row in rows
        if forgotten.item_keys(row["source"], row["author_handle"], row["author_url"], row["author_name"])
        & person.keys
    ]


def _reach(read: Any, ids: list[str]) -> Takedown:
    if not ids:
        return Takedown(0, 0, 0)
    marks = ", ".join("?" * len(ids))
    feeds = read(f"SELECT count(DISTINCT feed_id) AS n FROM feed_items WHERE item_id IN ({marks})", ids)[0][
        "n"
    ]
    stories = read(f"SELECT count(DISTINCT story_id) AS n FROM elements WHERE item_id IN ({marks})", ids)[0][
        "n"
    ]
    return Takedown(len(ids), feeds, stories)


def preview(db: Database, person: forgotten.Person) -> Takedown:
    """What `forget` would remove now (for the confirmation)."""
    return _reach(db.query, [row["id"] for row in _matching(db.query, person)])


def forget(db: Database, person: forgotten.Person, actor: str) -> Takedown:
    """Remove every post of `person` everywhere and refuse their future posts; one audit entry."""
    with db.write() as tx:
        read = lambda sql, params: tx.execute(sql, params).fetchall()  # noqa: E731
        forgotten.remember(tx, person)
        rows = _matching(read, person)
        ids = [row["id"] for row in rows]
        reach = _reach(read, ids)
        unnamed = [(row, _unnamed_id(row["source_id"])) for row in rows]
        unname_items(tx, [(row["id"], source_id) for row, source_id in unnamed])
        change_items(
            db, deleted=[(row["source"], source_id) for row, source_id in unnamed if not row["deleted"]]
        )
        for item_id in ids:
            _redact_desk_copies(tx, item_id)
        tx.execute(
            "INSERT INTO forget_log (at, actor, network, items, feeds, stories) VALUES (?, ?, ?, ?, ?, ?)",
            [clock.now(), actor, person.network, reach.items, reach.feeds, reach.stories],
        )
    return reach


def _unnamed_id(source_id: str) -> str:
    """A forgotten post's source id: still unique, no longer the network's (which may hold a name)."""
    if source_id.startswith("forgotten:"):
        return source_id
    return "forgotten:" + hashlib.sha256(source_id.encode()).hexdigest()[:32]


def _redact_desk_copies(tx: Any, item_id: str) -> None:
    """The curators' desk kept the content of pending and hidden posts: it keeps it no more."""
    holding = tx.execute(
        "SELECT f.name, m.status FROM feed_items m JOIN feeds f ON f.id = m.feed_id WHERE m.item_id = ?",
        [item_id],
    ).fetchall()
    for name, status in holding:
        tombstone = {"id": item_id, "status": status, "redacted": True, "deleted": True}
        eventlog.redact_item(tx, eventlog.desk_room(name), item_id, 0, tombstone)


def log(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """The latest takedowns, newest first: when, by whom, on which network, how many."""
    rows = db.query("SELECT * FROM forget_log ORDER BY id DESC LIMIT ?", [limit])
    return [dict(row) for row in rows]
