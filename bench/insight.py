"""How long a feed's insight takes, server side, for a feed of N posts (default 100,000).

    .venv/bin/python -m bench.insight [--posts 100000] [--runs 9] [--database PATH]

Builds the feed in a temporary database through the ingest pipeline (bench/synthetic.py's
posts, spread over ten hours and four networks, a tenth of them hidden by a blocked word, a
seventh of them replies; every post has its own link), which keeps the insight buckets as it
goes. Then `GET /api/feeds/bench/insight` through the app's Flask test client (the whole
request: routing, auth, the numbers, every figure's link, JSON) for the whole feed and for
windows, each `--runs` times, each after one new post (untimed: the answer a process keeps
for a window lasts until the next event, so every timed request computes the numbers), and
once more unchanged (the kept answer); it prints the median wall time and the median CPU time of the
process (the test client runs in it, so that is the server's CPU), beside a reference
measured in the same run: one plain exact `count(*)` of the feed's posts that are not
deleted (what any figure computed from the posts at request time must scan at least).
The issue's bound is 200 ms for 100,000 posts. With `--database PATH` the database is kept
there, and a later run on it times its feed `bench` again without building it.
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
from aggregator.feeds import create_feed, get_feed
from aggregator.items import item_from_dict, store_items
from app import create_app
from bench.synthetic import SOURCES, synthetic_item
from stories.curators import create_curator, create_token, get_curator

BATCH = 1000
# (label, since, until): the synthetic posts run from 10:00 to 20:00 on 2026-07-04 (ten hours)
WINDOWS = (
    ("whole feed", None, None),
    ("one hour", "2026-07-04T10:00:00Z", "2026-07-04T11:00:00Z"),
    ("nine hours, partial minutes", "2026-07-04T11:00:05Z", "2026-07-04T19:59:30.5Z"),
    ("since 11:00:05", "2026-07-04T11:00:05Z", None),
)
REFERENCE = (
    "SELECT count(*) AS n FROM feed_items f JOIN items i ON i.id = f.item_id"
    " WHERE f.feed_id = ? AND i.deleted = 0"
)


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


def medians(
    run: Callable[[], Any], runs: int, before: Callable[[], Any] = lambda: None
) -> tuple[float, float]:
    """The median wall time and the median CPU time of `run`, in milliseconds (`before` runs
    untimed before each run)."""
    walls, cpus = [], []
    for _ in range(runs):
        before()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--database", type=Path, help="keep the database here; reuse its feed when it has one"
    )
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = args.database or Path(tmp) / "bench.db"
        db = Database(path)
        feed = get_feed(db, "bench")
        if feed is None:
            started, cpu = time.perf_counter(), time.process_time()
            feed = build(db, args.posts)
            built, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"built {args.posts} posts through the ingest pipeline in {built:.1f} s ({cpu:.1f} s CPU)")
        args.posts = get_feed(db, "bench")["item_count"]
        if get_curator(db, "bench") is None:
            create_curator(db, "bench", None)
        headers = {"Authorization": f"Bearer {create_token(db, 'bench')}"}
        db.close()
        app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench", "DEMO": False, "COLLECT": False})
        client, served = app.test_client(), app.extensions["tagstory.db"]

        def insight(since: str | None, until: str | None) -> None:
            window = {key: value for key, value in (("since", since), ("until", until)) if value}
            response = client.get("/api/feeds/bench/insight", query_string=window, headers=headers)
            assert response.status_code == 200, response.text

        reference = medians(lambda: served.query_one(REFERENCE, [feed["id"]]), args.runs)
        rows.append(
            {"what": "reference: count(*) of the feed's posts", "wall": reference[0], "cpu": reference[1]}
        )
        posted = iter(range(args.posts + 1, args.posts + 1 + len(WINDOWS) * args.runs))

        def new_post() -> None:  # a new event: the answer kept for a window is stale, computed again
            number = next(posted)
            store_items(served, feed, [item_from_dict(synthetic_item(number), source=SOURCES[number % 4])])

        for label, since, until in WINDOWS:
            timed = medians(lambda since=since, until=until: insight(since, until), args.runs, new_post)
            rows.append({"what": f"GET insight after a new post, {label}", "wall": timed[0], "cpu": timed[1]})
        timed = medians(lambda: insight(None, None), args.runs)
        rows.append(
            {"what": "GET insight again, no change (the kept answer)", "wall": timed[0], "cpu": timed[1]}
        )
        served.close()
    print(f"\n{args.posts:,} posts, medians of {args.runs} runs\n")
    print("| what | wall ms | CPU ms | × reference (wall) |\n|---|--:|--:|--:|")
    for row in rows:
        print(f"| {row['what']} | {row['wall']:.1f} | {row['cpu']:.1f} | {row['wall'] / reference[0]:.2f} |")
    return rows


if __name__ == "__main__":
    main()
