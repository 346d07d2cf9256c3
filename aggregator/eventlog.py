"""The append-only event log: every change gets its `seq` here before anyone sees it.

Rooms are `feed:<name>`, `feed:<name>:desk` and `story:<slug>`, named only here. An
event's public form is its payload plus `seq`; it is published only after the transaction
that wrote it commits.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from aggregator import clock
from aggregator.db import Database

MAX_SEQ = 2**63 - 1  # SQLite's largest integer: a client's `after` above it is refused


def feed_room(name: str) -> str:
    """The room of a feed's live items."""
    return f"feed:{name}"


def desk_room(feed_name: str) -> str:
    """The curators' room of a feed: pending and hidden items, and settings changes."""
    return f"{feed_room(feed_name)}:desk"


def story_room(slug: str) -> str:
    """The room of a story's live changes."""
    return f"story:{slug}"


def story_editing_room(slug: str) -> str:
    """The socket room of the curators who have a story's editor open (presence, no log)."""
    return f"{story_room(slug)}:editing"


def story_curators_room(slug: str) -> str:
    """Marks the sockets in a story's room that may stay when it goes back to draft (no log)."""
    return f"{story_room(slug)}:curators"


def next_seq(tx: sqlite_utils.Database) -> int:
    """The seq the next event will get; valid while the write transaction `tx` is open."""
    return tx.execute("SELECT coalesce(max(seq), 0) + 1 FROM events").fetchone()[0]


def append(
    db: Database,
    tx: sqlite_utils.Database,
    room: str,
    type: str,
    op: str,
    payload: dict[str, Any],
    actor: str | None = None,
) -> int:
    """Append one event inside the open write transaction `tx`; return its seq.

    The event is published (with `seq` added to `payload`) once `tx` commits.
    """
    seq = next_seq(tx)
    tx.execute(
        "INSERT INTO events (seq, at, room, type, op, actor, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [seq, clock.now(), room, type, op, actor, json.dumps(payload, ensure_ascii=False)],
    )
    db.queue_publish({"seq": seq, "room": room, "type": type, "payload": {**payload, "seq": seq}})
    return seq


def story_event(
    db: Database,
    tx: sqlite_utils.Database,
    slug: str,
    op: str,
    element: dict[str, Any] | None,
    actor: str | None = None,
    **more: Any,
) -> int:
    """Append a `story` event (an element's add, update, move, remove, or meta) to a story's room."""
    payload = {"story": slug, "op": op, "element": element, **more}
    return append(db, tx, story_room(slug), "story", op, payload, actor)


def redact_item(
    tx: sqlite_utils.Database, room: str, item_id: str, since: int, tombstone: dict[str, Any]
) -> int:
    """Rewrite the earlier `item` events of `room` that carried `item_id` into `tombstone`.

    Their seqs stay (catch-up keeps its order, no gap) and each keeps, as `was`, the status
    it recorded (the audit's decision); their content is gone, so a viewer joining later
    cannot receive what moderation or the source took away. Runs inside the open write
    transaction `tx`, with the change that made the item leave. Returns how many.
    """
    rows = tx.execute(
        "SELECT seq, payload FROM events WHERE room = ? AND seq >= ? AND type = 'item'"
        " AND json_extract(payload, '$.item.id') = ?",
        [room, since, item_id],
    ).fetchall()
    for seq, payload in rows:
        event = json.loads(payload)
        redacted = {**event, "item": {**tombstone, "was": event["item"].get("status")}}
        tx.execute(
            "UPDATE events SET payload = ? WHERE seq = ?", [json.dumps(redacted, ensure_ascii=False), seq]
        )
    return len(rows)


def redact_pinned_item(tx: sqlite_utils.Database, room: str, item_id: str, fields: dict[str, Any]) -> int:
    """Rewrite every earlier element event of story `room` that pinned `item_id` with `fields`.

    `fields` (the placeholder item and why it is withheld) replace the element's own.
    """
    rows = tx.execute(
        "SELECT seq, payload FROM events WHERE room = ? AND type = 'story'"
        " AND json_extract(payload, '$.element.item.id') = ?",
        [room, item_id],
    ).fetchall()
    for seq, payload in rows:
        event = json.loads(payload)
        event["element"] = {**event["element"], **fields}
        tx.execute(
            "UPDATE events SET payload = ? WHERE seq = ?", [json.dumps(event, ensure_ascii=False), seq]
        )
    return len(rows)


def _public(row: Any) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "room": row["room"],
        "type": row["type"],
        "payload": {**json.loads(row["payload"]), "seq": row["seq"]},
    }


def events_after(
    db: Database, room: str, after: int, upto: int | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    """The events of one room with after < seq <= upto, in order (an index range scan)."""
    return [_public(row) for row in _rows_after(db, room, after, upto, limit)]


def _rows_after(db: Database, room: str, after: int, upto: int | None, limit: int) -> list[Any]:
    ceiling = upto if upto is not None else MAX_SEQ
    return db.query(
        "SELECT seq, room, type, payload FROM events"
        " WHERE room = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
        [room, after, ceiling, limit],
    )


def catch_up(db: Database, room: str, after: int, upto: int, limit: int) -> list[dict[str, Any]]:
    """What a client that has `after` is sent of `room` up to `upto`: from the latest `reset`.

    A `reset` (a story published after being a draft) restates the whole room; what came
    before it (the draft's edits, elements added and removed) is never replayed.
    """
    return [_public(row) for row in catch_up_rows(db, room, after, upto, limit)]


def catch_up_rows(db: Database, room: str, after: int, upto: int, limit: int) -> list[Any]:
    """The rows of `catch_up` (seq, room, type, payload), the payloads still JSON text.

    A cache of decoded events can tell by its text that a stored event is unchanged (a
    redaction rewrites it) without decoding it again; `event_of` decodes one.
    """
    reset = db.query_one(
        "SELECT max(seq) AS seq FROM events WHERE room = ? AND op = 'reset' AND seq > ? AND seq <= ?",
        [room, after, upto],
    )
    start = reset["seq"] - 1 if reset["seq"] else after
    return _rows_after(db, room, start, upto, limit)


def event_of(row: Any) -> dict[str, Any]:
    """One row of `catch_up_rows` as an event, as `catch_up` returns it."""
    return _public(row)


def carrying(
    db: Database, room: str, type: str, item_id: str, since: int, before: int
) -> list[dict[str, Any]]:
    """The `item` (or `story` element) events of `room` with since <= seq < before carrying `item_id`."""
    path = "$.item.id" if type == "item" else "$.element.item.id"
    rows = db.query(
        "SELECT seq, room, type, payload FROM events WHERE room = ? AND type = ? AND seq >= ? AND seq < ?"
        " AND json_extract(payload, ?) = ? ORDER BY seq",
        [room, type, since, before, path, item_id],
    )
    return [_public(row) for row in rows]


def all_after(db: Database, after: int, limit: int = 1000, upto: int = MAX_SEQ) -> list[dict[str, Any]]:
    """Every event with after < seq <= upto, in order: what a broadcaster tails."""
    return [_public(row) for row in all_after_rows(db, after, limit, upto)]


def all_after_rows(db: Database, after: int, limit: int = 1000, upto: int = MAX_SEQ) -> list[Any]:
    """`all_after`'s rows (seq, room, type, payload as its stored JSON text, without the seq):
    `event_of` decodes one."""
    return db.query(
        "SELECT seq, room, type, payload FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
        [after, upto, limit],
    )


def last_seq(db: Database) -> int:
    """The highest seq in the log (0 when empty)."""
    row = db.query_one("SELECT max(seq) AS seq FROM events")
    return row["seq"] or 0


def history(db: Database, room: str, limit: int = 200, with_payload: bool = False) -> list[dict[str, Any]]:
    """The latest events of a room, newest first, with who made them and when (and what, on request)."""
    rows = db.query(
        "SELECT seq, at, op, actor, payload FROM events WHERE room = ? ORDER BY seq DESC LIMIT ?",
        [room, limit],
    )
    entries = [{"seq": r["seq"], "at": r["at"], "op": r["op"], "actor": r["actor"]} for r in rows]
    if with_payload:
        for entry, row in zip(entries, rows, strict=True):
            entry["payload"] = json.loads(row["payload"])
    return entries
