"""The stream mirror's pace (aggregator/stream_mirror.py): what commits during a pause goes in one pass,
and every event still reaches the stream once, in order, over a real redis-server."""

from __future__ import annotations

import threading
from pathlib import Path

import redis

from aggregator import stream_mirror
from aggregator.db import Database
from bench.support import wait_for
from stories.visibility import ViewerRooms
from tests.factories import feed, post


class CountedMirror(stream_mirror.StreamMirror):
    """The mirror, counting the passes that appended events."""

    passes = 0

    def mirror_pending(self) -> int:
        read = super().mirror_pending()
        self.passes += bool(read)
        return read


def stream_seqs(client: redis.Redis) -> list[int]:
    """The seqs of the stream's content entries (position entries have no room)."""
    entries = client.xrange(stream_mirror.STREAM)
    return [stream_mirror.entry_seq(key) for key, fields in entries if fields[b"room"]]


def test_commits_during_the_pause_are_mirrored_together_each_once_in_order(tmp_path: Path, redis_url: str):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    db = Database(tmp_path / "mirror.sqlite")
    mirror = CountedMirror(db, client, ViewerRooms(db), retention=1000, poll_seconds=60, pace_seconds=0.5)
    db.publish = mirror.notify
    hall = feed(db, "hall")
    runner = threading.Thread(target=mirror.run, daemon=True)
    runner.start()
    try:
        first = post(db, hall, 0)["seq"]
        wait_for(lambda: stream_seqs(client) == [first], timeout=10)  # after a quiet spell: at once
        seqs = [first] + [post(db, hall, n)["seq"] for n in range(1, 21)]

        wait_for(lambda: stream_seqs(client) == seqs, timeout=10)
        assert mirror.passes < len(seqs), "the commits during the pause share passes"
    finally:
        mirror.stopped.set()
        mirror.wake.set()
        runner.join(10)
        db.close()
