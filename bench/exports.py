"""Anonymous exports of a big story vs. everyone else: `python -m bench.exports [--elements 10000]`.

Builds a story of --elements elements in a temporary database, serves it with
`python app.py` (gevent, as `make run` does) from --app-dir (default: this checkout;
point it at another checkout to compare), then, three times over, downloads
export.{md,json,html} three at a time in parallel while a fourth client times
`GET /api/feeds` every 50 ms. Prints each round's wall time and the worst and median
/api/feeds latency. The first round renders; later rounds show what caching gives.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.db import Database  # noqa: E402
from bench.support import free_port, wait_for  # noqa: E402
from bench.synthetic import synthetic_archive  # noqa: E402
from stories.archive import from_archive  # noqa: E402


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/api/feeds", timeout=1).ok
    except requests.ConnectionError:
        return False


def one_round(url: str, slug: str, fmt: str) -> dict[str, float]:
    """Three parallel downloads of one export while /api/feeds is timed; seconds."""
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            requests.get(url + "/api/feeds", timeout=60)
            latencies.append(time.perf_counter() - started)
            done.wait(0.05)

    def download() -> None:
        assert requests.get(f"{url}/stories/{slug}/export.{fmt}", timeout=120).ok

    prober = threading.Thread(target=probe)
    prober.start()
    started = time.perf_counter()
    downloads = [threading.Thread(target=download) for _ in range(3)]
    for thread in downloads:
        thread.start()
    for thread in downloads:
        thread.join()
    wall = time.perf_counter() - started
    done.set()
    prober.join()
    return {"wall": wall, "feeds_max": max(latencies), "feeds_median": statistics.median(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elements", type=int, default=10_000)
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite"
        db = Database(database)
        story = from_archive(db, synthetic_archive(options.elements, slug="bench"))
        db.close()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        environment = {
            **os.environ,
            "PORT": str(port),
            "TAGSTORY_DATABASE": str(database),
            "TAGSTORY_DEMO": "0",
            "TAGSTORY_SECRET_KEY": "bench",
        }
        server = subprocess.Popen(
            [sys.executable, str(options.app_dir / "app.py")],
            cwd=options.app_dir,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: _answers(url), timeout=60)
            for fmt in ("md", "json", "html"):
                results[fmt] = []
                for number in range(options.rounds):
                    figures = one_round(url, story["slug"], fmt)
                    results[fmt].append({k: round(v, 3) for k, v in figures.items()})
                    print(
                        f"export.{fmt} round {number + 1}: 3 parallel downloads {figures['wall']:6.2f} s;"
                        f" GET /api/feeds meanwhile: worst {figures['feeds_max']:6.3f} s,"
                        f" median {figures['feeds_median']:6.3f} s",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(10)
    print(json.dumps({"elements": options.elements, "app_dir": str(options.app_dir), "rounds": results}))


if __name__ == "__main__":
    main()
