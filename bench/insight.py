"""How long a feed's insight takes, server side, for a feed of N posts (default 100,000).

    .venv/bin/python -m bench.insight [--posts 100000] [--runs 9]

Builds the feed in a temporary database through the ingest pipeline (bench/synthetic.py's
posts, spread over minutes and four networks, a tenth of them hidden by a blocked word),
then times `feed_insight` over the whole feed and over a one-hour window, and prints the
medians. The issue's bound is 200 ms for 100,000 posts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aggregator.curation import update_settings
from aggregator.db import Database
from aggregator.feeds import create_feed
from aggregator.insight import feed_insight
from aggregator.items import item_from_dict, store_items
from bench.synthetic import synthetic_item

BATCH = 1000


def build(db: Database, posts: int) -> dict[str, Any]:
    """A feed `bench` with `posts` posts; every tenth one carries a blocked word."""
    feed = create_feed(db, "bench", "#summit", [])
    update_settings(db, feed, {"rules": {"blocked_words": ["blocked"]}}, None)
    for start in range(0, posts, BATCH):
        batch = []
        for number in range(start, min(start + BATCH, posts)):
            data = synthetic_item(number)
            if number % 10 == 0:
                data["text"] += " blocked"
            if number % 7 == 0:
                data["reply_to"] = f"parent-{number}"
            batch.append(item_from_dict(data, source=data["source"]))
        store_items(db, feed, batch)
    return feed


def median_ms(run: Callable[[], Any], runs: int) -> float:
    """The median wall time of `run`, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        started = time.perf_counter()
        feed = build(db, args.posts)
        print(f"built {args.posts} posts in {time.perf_counter() - started:.1f} s")
        whole = median_ms(lambda: feed_insight(db, feed), args.runs)
        hour = median_ms(
            lambda: feed_insight(db, feed, "2026-07-04T10:00:00Z", "2026-07-04T11:00:00Z"), args.runs
        )
        print(f"insight, whole feed: median {whole:.1f} ms over {args.runs} runs")
        print(f"insight, one hour:   median {hour:.1f} ms over {args.runs} runs")
        db.close()


if __name__ == "__main__":
    main()
