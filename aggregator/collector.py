"""Runs every source of every feed, each in its own thread, so one failing source never stalls another.

Under gevent (the web server) these threads are greenlets; in `flask collect` they
are OS threads. Each loop stores a batch and its cursor in one transaction, records
the source's health, and backs off with jitter when the network fails.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Any

from aggregator import clock, consent, feed_sources
from aggregator.db import Database
from aggregator.items import change_items, store_items
from aggregator.sources import SourceError, SourceState, open_source, parse_spec

log = logging.getLogger(__name__)

BACKOFF_START = 2.0
BACKOFF_MAX = 300.0


class Collector:
    """Keeps one loop running per active source; `refresh()` picks up new sources."""

    def __init__(self, db: Database, settings: dict[str, Any]) -> None:
        self.db = db
        self.settings = settings
        self.source_state = SourceState()  # what its sources share across reconnects
        self.stop_event = threading.Event()
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Start a loop for every source that is not paused and has none yet."""
        rows = self.db.query("SELECT s.id FROM sources s WHERE s.state NOT IN ('paused', 'finished')")
        with self._lock:
            for row in rows:
                thread = self._threads.get(row["id"])
                if thread is None or not thread.is_alive():
                    thread = threading.Thread(
                        target=self.run_source,
                        args=(row["id"],),
                        daemon=True,
                        name=f"source-{row['id']}",
                    )
                    self._threads[row["id"]] = thread
                    thread.start()

    def run_forever(self, refresh_every: float = 5.0) -> None:
        """Refresh the set of running sources until stopped (the `flask collect` loop)."""
        while not self.stop_event.is_set():
            self.refresh()
            self.stop_event.wait(refresh_every)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask every loop to stop and wait for them."""
        self.stop_event.set()
        for thread in list(self._threads.values()):
            thread.join(timeout)

    def _source_row(self, source_id: int) -> Any:
        return self.db.query_one(
            "SELECT s.*, f.name AS feed_name, f.query, f.moderation FROM sources s"
            " JOIN feeds f ON f.id = s.feed_id WHERE s.id = ?",
            [source_id],
        )

    def _set_state(self, source_id: int, **fields: Any) -> None:
        feed_sources.set_fields(self.db, source_id, **fields)

    def run_source(self, source_id: int) -> None:
        """Collect from one source until it ends, is paused or removed, or the collector stops."""
        backoff = BACKOFF_START
        while not self.stop_event.is_set():
            row = self._source_row(source_id)
            if row is None or row["state"] == "paused":
                return
            try:
                exhausted = self._consume(row)
            except SourceError as error:
                backoff = self._backoff_after(source_id, row, backoff)
                wait = error.retry_after or backoff
                self._record_error(source_id, row["spec"], str(error), wait, error.rate_limited)
                # a wait the network asked for is never shortened by the jitter, only a backoff is
                jitter = random.uniform(1.0, 1.2) if error.retry_after else random.uniform(0.8, 1.2)
            except Exception as error:  # a bug or an unexpected payload: log, back off, go on
                log.exception("source %s (%s) failed", source_id, row["spec"])
                wait = backoff = self._backoff_after(source_id, row, backoff)
                self._record_error(source_id, row["spec"], f"{type(error).__name__}: {error}", wait, False)
                jitter = random.uniform(0.8, 1.2)
            else:
                if exhausted and not self.stop_event.is_set():
                    self._set_state(source_id, state="finished")
                return
            backoff = min(backoff * 2, BACKOFF_MAX)
            self.stop_event.wait(wait * jitter)

    def _backoff_after(self, source_id: int, row: Any, backoff: float) -> float:
        """Start the backoff over when the failed attempt stored something (a stream that dropped)."""
        current = self._source_row(source_id)
        progressed = current is not None and current["last_success"] != row["last_success"]
        return BACKOFF_START if progressed else backoff

    def _consume(self, row: Any) -> bool:
        """Store batches until the source ends (True) or is paused (False)."""
        source = open_source(parse_spec(row["spec"]), row["query"], self.settings, self.source_state)
        feed = {"id": row["feed_id"], "name": row["feed_name"], "moderation": row["moderation"]}
        opt_out = consent.policy(self.settings)
        self._set_state(row["id"], state="running", rate_limit_reset=None)
        for batch in source.batches(row["cursor"], self.stop_event):
            items, opted_out = consent.screen(batch.items, opt_out)
            if opted_out:
                log.info("source %s (%s) skipped %d opted-out post(s)", row["id"], row["spec"], opted_out)
            with self.db.write():  # items, edits, deletions and the cursor: one transaction
                store_items(self.db, feed, items, row["id"], batch.cursor)
                change_items(self.db, batch.changed, batch.deleted)
            for reason in batch.skipped:
                log.warning("source %s (%s) skipped a payload: %s", row["id"], row["spec"], reason)
            if batch.skipped:
                feed_sources.record_skipped(self.db, row["id"], batch.skipped)
            current = self._source_row(row["id"])
            if current is None or current["state"] == "paused":
                return False
        return True

    def _record_error(self, source_id: int, spec: str, message: str, wait: float, limited: bool) -> None:
        log.warning("source %s (%s): %s; retrying in %.0f s", source_id, spec, message, wait)
        reset = clock.later(wait) if limited else None
        self._set_state(
            source_id, state="error", last_error=message, last_error_at=clock.now(), rate_limit_reset=reset
        )
