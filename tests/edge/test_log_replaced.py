"""The primary's database restored from a backup while Redis kept the stream: the stream's seqs
past the backup name posts the restored log never had, and the same seqs will name new ones.

Its own module, so its own cluster (tests/edge/conftest.py: module-scoped): the restore
takes every other test's feeds away.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import requests

from bench.support import wait_for
from tests.edge.conftest import Viewer

pytestmark = pytest.mark.process


def _backup(database: str, copy: Path) -> None:
    """A consistent copy of the running primary's database (SQLite's online backup)."""
    source, target = sqlite3.connect(database), sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.close()


def test_a_restored_primary_starts_the_stream_over_and_edges_send_their_viewers_to_reload(
    cluster, feed, tmp_path
):
    kept = [cluster.post(feed.name, f"kept {n}") for n in range(3)]
    _backup(cluster.primary.database, tmp_path / "backup.sqlite")
    lost = [cluster.post(feed.name, f"lost {n}") for n in range(6)]  # only in the log the backup lacks
    watching = Viewer(cluster.edges[0].url, feed.room, feed.after)
    try:
        wait_for(lambda: watching.has(kept + lost))
        cluster.primary.stop()
        for suffix in ("", "-wal", "-shm"):
            Path(cluster.primary.database + suffix).unlink(missing_ok=True)
        shutil.copy(tmp_path / "backup.sqlite", cluster.primary.database)
        cluster.primary._start()  # the restored log ends at kept[-1]; the stream, at lost[-1]
        wait_for(lambda: watching.reloads, timeout=20)  # what it holds past kept[-1] is no longer so

        again = [cluster.post(feed.name, f"after the restore {n}") for n in range(3)]
        assert again[0] <= lost[-1], "the restored log reuses the seqs the lost posts had"
        for edge in cluster.edges:  # a page rendered by the restored primary, followed through either edge
            viewer = Viewer(edge.url, feed.room, feed.after)
            try:
                wait_for(lambda viewer=viewer: viewer.has(kept + again), timeout=20)
                texts = [entry["data"]["item"]["html"] for entry in viewer.events]
                assert viewer.seqs == kept + again, viewer.worker
                assert not [text for text in texts if "lost" in text], texts
            finally:
                viewer.close()
        assert "lost" not in cluster.redis_text()
        items = requests.get(f"{cluster.nginx.url}/api/feeds/{feed.name}/items", timeout=5).json()
        assert not [item for item in items["items"] if "lost" in item["text"]]
    finally:
        watching.close()
