"""A feed's moderation mode and rules as stored (read only: `aggregator.feeds` writes them)."""

from __future__ import annotations

import sqlite_utils

from aggregator.db import Database
from aggregator.moderation import Rules, parse_stored_rules


def rules_of(tx: sqlite_utils.Database | Database, feed_id: int) -> tuple[str, Rules]:
    """A feed's moderation mode and rules, read inside `tx` (or from a Database)."""
    read = tx.query_one if isinstance(tx, Database) else lambda sql, p: tx.execute(sql, p).fetchone()
    row = read("SELECT moderation, rules FROM feeds WHERE id = ?", [feed_id])
    return row["moderation"], parse_stored_rules(row["rules"])
