"""The one writer of the `sources` table: which sources a feed follows, and their health."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from aggregator import clock
from aggregator.db import Database


def add(tx: sqlite_utils.Database, feed_id: int, spec: str) -> None:
    """Follow the canonical `spec` in a feed (a no-op when the feed follows it already)."""
    tx.execute(
        "INSERT INTO sources (feed_id, spec, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (feed_id, spec) DO NOTHING",
        [feed_id, spec, clock.now()],
    )


def remove(db: Database, source_id: int) -> None:
    """Stop following a source; what it collected stays in the feed."""
    with db.write() as tx:
        tx.execute("DELETE FROM sources WHERE id = ?", [source_id])


def set_fields(db: Database, source_id: int, **fields: Any) -> None:
    """Set a source's state, errors or rate-limit reset (the collector's and the curators' changes)."""
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with db.write() as tx:
        tx.execute(f"UPDATE sources SET {assignments} WHERE id = ?", [*fields.values(), source_id])


def record_collected(
    tx: sqlite_utils.Database, source_id: int, cursor: str | None, added: int, at: str
) -> None:
    """A batch was stored: the source's new cursor, its item count and its last success, in `tx`."""
    tx.execute(
        "UPDATE sources SET cursor = coalesce(?, cursor), items = items + ?, last_success = ? WHERE id = ?",
        [cursor, added, at, source_id],
    )


def record_skipped(db: Database, source_id: int, reasons: list[str]) -> None:
    """Payloads a source could not read: counted, and the last reason kept as its last error."""
    with db.write() as tx:
        tx.execute(
            "UPDATE sources SET skipped = skipped + ?, last_error = ?, last_error_at = ? WHERE id = ?",
            [len(reasons), reasons[-1], clock.now(), source_id],
        )
