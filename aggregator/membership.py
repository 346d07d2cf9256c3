"""Feed membership: the one writer of `feed_items` and of the `item` events that go with it.

An item joins a feed with a status (moderation decides which), and every later change of
it in that feed (its status, an edit or a deletion at its source) gives it a new seq and
appends its one event. Viewers follow `feed:<name>` and see only what they may: approved
items, and a bare `{id, status}` when an approved item leaves. Pending and hidden items
(with the rule that hid them) go to the desk room `feed:<name>:desk`, which only curators
may join; the desk follows both rooms. Every change is one event in the one log, so
catch-up is exact for each room.

It also keeps a feed's insight buckets (`insight_buckets`: per feed, minute, figure and key,
how many of its posts count there; minute `*` holds the totals over all time) in the same
transaction as each change that moves a count: a post joining, a new status, and an edit,
deletion or unnaming of a stored post (`recounted`). What a post counts in is
aggregator/insight_keys.py; aggregator/insight.py reads the buckets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from aggregator import eventlog, insight_keys, item_watchers
from aggregator.db import Database
from aggregator.item_rows import item_columns, public_item, stored_item
from aggregator.moderation import MODERATION_STATUSES


def viewer_item(item: dict[str, Any]) -> dict[str, Any]:
    """What a viewer may see of an item: without the moderation reason."""
    return {key: value for key, value in item.items() if key != "reason"}


def _record(
    db: Database,
    tx: sqlite_utils.Database,
    feed_name: str,
    item: dict[str, Any],
    op: str,
    previous: str | None,
    actor: str | None = None,
) -> int:
    """Append an item's one event, to the room that may see it; return the item's new seq.

    `item` carries its new `status` (and `reason`); `previous` is its status before (None
    when new). Approved items go to the viewers' room; an approved item that leaves goes
    there bare (`{id, status}`: viewers drop it, the desk has its content already); every
    other item, with the rule that hid it, goes to the curators' desk room only.
    """
    item["seq"] = eventlog.next_seq(tx)
    if item["status"] == "approved":
        room, shown = eventlog.feed_room(feed_name), viewer_item(item)
    elif previous == "approved":
        room, shown = eventlog.feed_room(feed_name), {"id": item["id"], "status": item["status"]}
    else:
        room, shown = eventlog.desk_room(feed_name), item
    if previous == "approved" and (item["status"] != "approved" or item.get("deleted")):
        _redact_viewers_copies(tx, feed_name, item)
    eventlog.append(db, tx, room, "item", op, {"feed": feed_name, "item": shown}, actor)
    if op not in ("update", "delete") and (previous == "approved") != (item["status"] == "approved"):
        item_watchers.changed(db, tx, item["id"], feed_name, item["status"])  # its feed's stories pinning it
    return item["seq"]


def _redact_viewers_copies(tx: sqlite_utils.Database, feed_name: str, item: dict[str, Any]) -> None:
    """An item leaves the viewers: the earlier events that showed it to them show it no more.

    The event appended next (the bare `{id, status}`, or the emptied deleted item) still
    tells the viewers who follow now to drop it; approving it again appends a new event
    that carries it, so a later catch-up shows it again.
    """
    added = tx.execute(
        "SELECT m.added_seq FROM feed_items m JOIN feeds f ON f.id = m.feed_id"
        " WHERE f.name = ? AND m.item_id = ?",
        [feed_name, item["id"]],
    ).fetchone()
    tombstone = {"id": item["id"], "status": item["status"], "redacted": True}
    if item.get("deleted"):
        tombstone["deleted"] = True
    eventlog.redact_item(tx, eventlog.feed_room(feed_name), item["id"], added[0] if added else 0, tombstone)


def is_member(tx: sqlite_utils.Database, feed_id: int, item_id: str) -> bool:
    """Whether the feed holds the item already."""
    found = tx.execute("SELECT 1 FROM feed_items WHERE feed_id = ? AND item_id = ?", [feed_id, item_id])
    return found.fetchone() is not None


def join(
    db: Database,
    tx: sqlite_utils.Database,
    feed: dict[str, Any],
    item: dict[str, Any],
    row: Mapping[str, Any] | None = None,
) -> int:
    """Add `item` (its public form, with its `status` and `reason`) to `feed`; return its seq.

    A deleted post joins the feed as deleted: its one event says so, with no content.
    It joins not featured. `row`: the item's stored columns, when the caller has just
    written them (else they are read).
    """
    item["featured"] = False
    seq = _record(db, tx, feed["name"], item, "delete" if item["deleted"] else "add", None)
    tx.execute(
        "INSERT INTO feed_items (feed_id, item_id, added_seq, seq, status, reason) VALUES (?, ?, ?, ?, ?, ?)",
        [feed["id"], item["id"], seq, seq, item["status"], item["reason"]],
    )
    post = row if row is not None else _post(tx, item["id"])
    _add_to_buckets(tx, feed["id"], insight_keys.counted(post, item["status"], item["reason"]))
    return seq


def announce_change(db: Database, tx: sqlite_utils.Database, item_id: str, op: str) -> int:
    """An item changed at its source (`op` update or delete): a new seq and event in every feed holding it.

    The event goes where the item's status allows: an edit of a pending or hidden item
    reaches the curators' desk, never the viewers. Returns how many feeds hold it.
    """
    memberships = tx.execute(
        "SELECT f.id, f.name, m.status, m.reason FROM feed_items m JOIN feeds f ON f.id = m.feed_id"
        " WHERE m.item_id = ?",
        [item_id],
    ).fetchall()
    stored = stored_item(tx, item_id)
    for feed_id, feed_name, status, reason in memberships:
        item = {**stored, "status": status, "reason": reason}
        seq = _record(db, tx, feed_name, item, op, status)
        tx.execute("UPDATE feed_items SET seq = ? WHERE feed_id = ? AND item_id = ?", [seq, feed_id, item_id])
    return len(memberships)


def member_items(tx: sqlite_utils.Database, feed_id: int, where: str = "", params: tuple = ()) -> list[dict]:
    """The public form (with seq and status) of a feed's items, optionally narrowed by `where` over `f`."""
    rows = tx.execute(
        f"SELECT {item_columns()}, f.seq, f.status, f.featured"
        " FROM feed_items f JOIN items i ON i.id = f.item_id"
        f" WHERE f.feed_id = ?{where}",
        [feed_id, *params],
    ).fetchall()
    return [public_item(row) for row in rows]


def set_status(
    db: Database,
    tx: sqlite_utils.Database,
    feed: dict[str, Any],
    item: dict[str, Any],
    status: str,
    reason: str | None,
    actor: str | None,
) -> dict[str, Any]:
    """Give a feed's item (its public form, with its current status) a new status; viewers follow."""
    previous = item["status"]
    previous_reason = tx.execute(
        "SELECT reason FROM feed_items WHERE feed_id = ? AND item_id = ?", [feed["id"], item["id"]]
    ).fetchone()[0]
    post = _post(tx, item["id"])
    change = _difference(
        insight_keys.counted(post, status, reason, content=False),
        insight_keys.counted(post, previous, previous_reason, content=False),
    )
    _add_to_buckets(tx, feed["id"], change)
    item.update(status=status, reason=reason)
    seq = _record(db, tx, feed["name"], item, "status", previous, actor)
    tx.execute(
        "UPDATE feed_items SET seq = ?, status = ?, reason = ? WHERE feed_id = ? AND item_id = ?",
        [seq, status, reason, feed["id"], item["id"]],
    )
    return item


def set_featured(
    db: Database,
    tx: sqlite_utils.Database,
    feed: dict[str, Any],
    item: dict[str, Any],
    featured: bool,
    actor: str | None,
) -> dict[str, Any]:
    """Feature a feed's item (its public form) or stop featuring it; the wall follows its event."""
    item["featured"] = featured
    seq = _record(db, tx, feed["name"], item, "featured", item["status"], actor)
    tx.execute(
        "UPDATE feed_items SET seq = ?, featured = ? WHERE feed_id = ? AND item_id = ?",
        [seq, int(featured), feed["id"], item["id"]],
    )
    return item


def _post(tx: sqlite_utils.Database, item_id: str) -> dict[str, Any] | None:
    """The stored columns a post's insight keys are read from (aggregator/insight_keys.py)."""
    found = tx.execute(f"SELECT {insight_keys.post_columns()} FROM items i WHERE i.id = ?", [item_id])
    row = found.fetchone()
    return dict(zip(insight_keys.POST_COLUMNS, row, strict=True)) if row else None


def _add_to_buckets(tx: sqlite_utils.Database, feed_id: int, change: insight_keys.Buckets) -> None:
    """Add `change` and the totals it makes to a feed's buckets (a count may be negative); a
    bucket that reaches 0 goes."""
    rows = [
        (feed_id, minute, figure, key, n)
        for (minute, figure, key), n in insight_keys.with_totals(change).items()
        if n
    ]
    tx.conn.executemany(
        "INSERT INTO insight_buckets (feed_id, minute, figure, key, n) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (feed_id, figure, minute, key) DO UPDATE SET n = n + excluded.n",
        rows,
    )
    tx.conn.executemany(
        "DELETE FROM insight_buckets WHERE feed_id = ? AND minute = ? AND figure = ? AND key = ? AND n = 0",
        [row[:4] for row in rows if row[4] < 0],
    )


def _difference(after: insight_keys.Buckets, before: insight_keys.Buckets) -> insight_keys.Buckets:
    """`after` minus `before`, keeping the negative counts (Counter's `-` drops them)."""
    change = Counter(after)
    change.subtract(before)
    return change


@contextmanager
def recounted(tx: sqlite_utils.Database, item_id: str) -> Iterator[None]:
    """Around a change of a stored post (an edit, a deletion, its author unnamed): every feed
    holding it counts it as it is after, instead of as it was before."""
    holding = tx.execute(
        "SELECT feed_id, status, reason FROM feed_items WHERE item_id = ?", [item_id]
    ).fetchall()
    before = _post(tx, item_id)
    yield
    after = _post(tx, item_id)
    if before is None or after is None or before == after:
        return
    for feed_id, status, reason in holding:
        change = _difference(
            insight_keys.counted(after, status, reason), insight_keys.counted(before, status, reason)
        )
        _add_to_buckets(tx, feed_id, change)


def counts(db: Database, feed_id: int) -> dict[str, int]:
    """How many items of a feed are approved, pending and hidden."""
    rows = db.query(
        "SELECT status, count(*) AS n FROM feed_items WHERE feed_id = ? GROUP BY status", [feed_id]
    )
    found = {row["status"]: row["n"] for row in rows}
    return {status: found.get(status, 0) for status in MODERATION_STATUSES}
