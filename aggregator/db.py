"""The one owner of the SQLite database: connections, migrations and the writer path."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from aggregator import post_terms
from aggregator.migrations import migrations

Publish = Callable[[list[dict[str, Any]]], None]
# How many values one `IN (...)` query binds at most (SQLite's default limit is far above it).
IN_CHUNK = 500
BUSY_SECONDS = 30  # how long a write waits for another process's (another web worker's) to end
T = TypeVar("T")
Work = Callable[[sqlite_utils.Database], Any]


class _Job:
    """One caller's work in a group commit, and what came of it."""

    def __init__(self, work: Work) -> None:
        self.work = work
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


def _connect(path: str) -> sqlite3.Connection:
    # check_same_thread=False: each connection is only used under its own lock.
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.create_function("has_hashtag", 2, post_terms.has_hashtag, deterministic=True)
    conn.create_function("has_link", 2, post_terms.has_link, deterministic=True)
    return conn


class Database:
    """SQLite in WAL mode with one writer connection and one reader connection.

    Writes go through `write()`: a short `BEGIN IMMEDIATE` transaction. Events
    appended to the log inside it are handed to `publish` only after COMMIT, so
    nothing is ever pushed that is not durable.
    """

    def __init__(self, path: str | Path, publish: Publish | None = None) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.publish: Publish = publish or (lambda events: None)
        self._writer = _connect(self.path)
        self._reader = _connect(self.path)
        self._write_lock = threading.RLock()
        self._read_lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._depth = 0
        self._owner: int | None = None  # the thread (greenlet, under gevent) in the transaction
        self._group: list[_Job] | None = None  # the group commit gathering now
        self._group_lock = threading.Lock()
        # One wrapper for every write: building one runs `PRAGMA recursive_triggers`, and setting
        # a flag pragma expires every prepared statement of the connection (each write would
        # compile its SQL, and its triggers', again).
        self._tx = sqlite_utils.Database(self._writer)
        self._tx.enable_wal()
        self._writer.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(self._tx)
        # From now on a write waits for another process's in `_begin`, not in SQLite's busy
        # handler, which sleeps with the whole process (under gevent: every greenlet) stopped.
        self._writer.execute("PRAGMA busy_timeout = 0")

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """Run a block in one `BEGIN IMMEDIATE` transaction; publish its events after COMMIT."""
        with self._write_lock:
            if self._depth:  # nested: join the outer transaction
                self._depth += 1
                try:
                    yield self._tx
                finally:
                    self._depth -= 1
                return
            self._begin()
            self._depth, self._owner = 1, threading.get_ident()
            try:
                yield self._tx
                self._writer.execute("COMMIT")
            except BaseException:
                self._pending = []  # nothing of a transaction that did not commit is published
                if self._writer.in_transaction:  # a refused COMMIT leaves it open
                    self._writer.execute("ROLLBACK")
                raise
            finally:
                self._depth, self._owner = 0, None
            events, self._pending = self._pending, []
        if events:
            self.publish(events)

    def _begin(self) -> None:
        """BEGIN IMMEDIATE; while another process writes, sleep and try again (under gevent the
        other greenlets run meanwhile: viewers are served, and a group commit gathers)."""
        deadline, pause = time.monotonic() + BUSY_SECONDS, 0.0005
        while True:
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.01)

    def write_together(self, work: Callable[[sqlite_utils.Database], T]) -> T:
        """`work(tx)` in a write transaction shared with the writes ready at the same moment
        (group commit): one BEGIN and one COMMIT for all of them. Returns what `work` returned.

        The first caller leads: it yields (`time.sleep(0)`: under gevent every greenlet that is
        ready runs, and those that get here join its group) and waits for the writer; the
        group closes when its transaction begins. The works run in arrival order, each in a
        savepoint of its own when there are several: an exception in one undoes only that
        work (its rows and events) and is raised to its caller alone. The events are
        published after the one COMMIT, as in `write`. Called inside a transaction of its own
        thread, it joins that one.
        """
        if self._depth and self._owner == threading.get_ident():
            with self.write() as tx:
                return work(tx)
        job = _Job(work)
        with self._group_lock:
            leads = self._group is None
            if leads:
                self._group = []
            self._group.append(job)
        if leads:
            time.sleep(0)
            self._run_group()
        else:
            job.done.wait()
        return job.outcome()

    def _close_group(self) -> list[_Job]:
        with self._group_lock:
            group, self._group = self._group or [], None
        return group

    def _run_group(self) -> None:
        group: list[_Job] | None = None
        try:
            with self.write() as tx:
                group = self._close_group()
                if len(group) == 1:
                    group[0].result = group[0].work(tx)
                else:
                    for job in group:
                        self._run_in_savepoint(tx, job)
        except BaseException as error:  # the transaction failed: so did every work in it
            group = group if group is not None else self._close_group()
            for job in group:
                job.error = job.error or error
        finally:
            for job in group or ():
                job.done.set()

    def _run_in_savepoint(self, tx: sqlite_utils.Database, job: _Job) -> None:
        published = len(self._pending)
        self._writer.execute("SAVEPOINT work")
        try:
            job.result = job.work(tx)
        except Exception as error:
            self._writer.execute("ROLLBACK TO work")
            del self._pending[published:]
            job.error = error
        finally:
            self._writer.execute("RELEASE work")

    def queue_publish(self, event: dict[str, Any]) -> None:
        """Called by the event log inside `write()`: publish `event` once committed."""
        self._pending.append(event)

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """Run a read-only query on the reader connection and return every row."""
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        """Run a read-only query and return its first row, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        """Close both connections."""
        self._writer.close()
        self._reader.close()


def in_chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[tuple[list[Any], str]]:
    """`values` in chunks of at most `size`, each with its `?, ?, ...` placeholders for `IN (...)`."""
    for start in range(0, len(values), size):
        chunk = list(values[start : start + size])
        yield chunk, ", ".join("?" * len(chunk))
