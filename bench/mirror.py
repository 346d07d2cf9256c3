"""The stream mirror's cost: `python -m bench.mirror [--events 1000] [--passes 1,3,10,50]`.

Fills a fresh temporary database with ~1 KB posts, starts a private redis-server and runs
`StreamMirror.mirror_pending` (aggregator/stream_mirror.py) with passes of each size,
printing the mirror's own CPU per pass and per event, and redis-server's. A pass costs
about the same for one event as for fifty (docs/benchmarks.md, the fifth session), which is
why the mirror waits `PACE_SECONDS` after a pass: its figures say what that wait saves.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from aggregator import stream_mirror  # noqa: E402
from aggregator.db import Database  # noqa: E402
from aggregator.feeds import create_feed  # noqa: E402
from aggregator.items import item_from_dict, store_items  # noqa: E402
from bench.ingest import item_text  # noqa: E402
from bench.support import RedisServer  # noqa: E402
from stories.visibility import ViewerRooms  # noqa: E402


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Print and return one row per pass size: its µs per pass and per event, and redis-server's."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000, help="events mirrored per pass size")
    parser.add_argument("--passes", default="1,3,10,50", help="comma-separated events per pass")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.passes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="tagstory-bench-") as tmp:
        folder = Path(tmp)
        server = RedisServer(folder)
        db = Database(folder / "mirror.sqlite")
        batch = stream_mirror.BATCH
        try:
            feed = create_feed(db, "bench", "#bench", [])
            client = redis.Redis.from_url(server.url)
            mirror = stream_mirror.StreamMirror(db, client, ViewerRooms(db), retention=100_000)
            mirror.mirror_pending()  # the stream's end, and the script loaded
            for index in range(args.events * len(sizes) + max(sizes)):
                post = {"source": "api", "source_id": str(index), "text": item_text(index, 1000)}
                store_items(db, feed, [item_from_dict({**post, "author": {"name": "Bench"}})])
            print("events per pass  µs per pass  µs per event  redis µs per event (10 ms ticks)")
            for size in sizes:
                stream_mirror.BATCH = size  # a pass reads at most BATCH events
                start, passes = mirror.position, 0
                cpu, redis_cpu = time.process_time(), process_cpu(server.process.pid)
                while mirror.position < start + args.events:
                    mirror.mirror_pending()
                    passes += 1
                cpu, redis_cpu = time.process_time() - cpu, process_cpu(server.process.pid) - redis_cpu
                events = mirror.position - start
                row = {"size": size, "events": events, "passes": passes, "us_per_pass": 1e6 * cpu / passes}
                row |= {"us_per_event": 1e6 * cpu / events, "redis_us_per_event": 1e6 * redis_cpu / events}
                figures = (row["us_per_pass"], row["us_per_event"], row["redis_us_per_event"])
                print("{:>15} {:>12.0f} {:>13.1f} {:>19.1f}".format(size, *figures))
                rows.append(row)
            mirrored = [stream_mirror.entry_seq(key) for key, _ in client.xrange(stream_mirror.STREAM)]
            assert mirrored == sorted(set(mirrored)) and mirrored[-1] == mirror.position, (
                "every event once, in order"
            )
        finally:
            stream_mirror.BATCH = batch
            db.close()
            server.stop()
    return rows


if __name__ == "__main__":
    main()
