"""The write path of an ingest (aggregator/db.py, items.py, membership.py): what it costs per
post, checked by what it executes, not by timing it."""

from __future__ import annotations

from pathlib import Path

from aggregator.db import Database
from tests.factories import feed, post


def test_a_write_keeps_the_connections_compiled_statements(tmp_path: Path) -> None:
    """A flag pragma (sqlite_utils runs `PRAGMA recursive_triggers` when it wraps a connection)
    expires every prepared statement: run in each write, it made every write compile its SQL
    and its triggers' again."""
    db = Database(tmp_path / "t.sqlite")
    into = feed(db)
    executed: list[str] = []
    db._writer.set_trace_callback(executed.append)
    post(db, into, 1)
    with db.write() as tx:
        tx.execute("SELECT 1")
    assert executed, "the trace saw the writes"
    settings = [sql for sql in executed if sql.lstrip().upper().startswith("PRAGMA") and "=" in sql]
    assert not settings  # (FTS5 reads `PRAGMA data_version`: a read, which expires nothing)
    db.close()
