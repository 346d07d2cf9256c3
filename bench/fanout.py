"""`make bench`: N viewers of one feed on a real server, items posted at a fixed rate.

For each async mode and each N it starts `python app.py` in its own process (the
tests' LiveServer), spreads N raw websocket viewers over a few processes
(bench.viewers), posts ~1 KB items through the API for a fixed time (bench.ingest)
and prints items/s pushed, deliveries/s, ingest->viewer latency p50/p99, lost
deliveries, and the server's CPU and memory. See docs/benchmarks.md.

    python -m bench.fanout --viewers 100,500,1000 --rate 50 --seconds 10 --modes gevent,threading
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.ingest import ingest
from bench.support import ROOT, LiveServer
from bench.viewers import MAX_ITEMS

FEED = "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    mode: str
    viewers: int
    rate: float


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def server_status(pid: int) -> dict[str, int]:
    """Resident memory (MB) and OS threads of a process."""
    lines = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {"rss_mb": int(lines["VmRSS"].split()[0]) // 1024, "threads": int(lines["Threads"])}


def percentile(values: array, fraction: float) -> float:
    """The value below which `fraction` of sorted `values` lie (nearest rank)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(fraction * len(values)))]


def start_viewers(
    url: str, count: int, processes: int, folder: Path, join_seconds: float
) -> list[tuple[Any, str]]:
    """Spread `count` viewers over `processes` bench.viewers processes; return (process, out path)."""
    started = []
    for n in range(processes):
        share = count // processes + (n < count % processes)
        if share:
            out = str(folder / f"viewers-{n}.json")
            process = subprocess.Popen(
                [sys.executable, "-m", "bench.viewers", url, FEED, str(share), out, str(join_seconds)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            started.append((process, out))
    return started


def wait_joined(workers: list[tuple[Any, str]], timeout: float) -> int:
    """Wait for every worker's "joined J failed F" line; return the viewers that joined."""
    deadline = time.monotonic() + timeout
    joined = 0
    for process, _ in workers:
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = process.stdout.readline().split() if ready else []
        joined += int(line[1]) if len(line) > 1 else 0
    return joined


def collect(workers: list[tuple[Any, str]], posted: int, drain_seconds: float) -> dict[str, Any]:
    """Tell workers to drain, wait for them, merge their results."""
    for process, _ in workers:
        process.stdin.write(f"drain {posted} {drain_seconds}\n")
        process.stdin.flush()
    viewers, latencies, cpu = [], array("d"), 0.0
    deadline = time.monotonic() + drain_seconds + 30
    for process, out in workers:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            continue
        if not Path(out).exists():
            continue
        result = json.loads(Path(out).read_text())
        viewers += result["viewers"]
        cpu += result["cpu_seconds"]
        with open(out + ".lat", "rb") as file:
            latencies.frombytes(file.read())
    return {"viewers": viewers, "latencies": array("d", sorted(latencies)), "client_cpu": cpu}


def create_token_and_feed(server: LiveServer) -> str:
    """A curator's API token (from `flask create-token`) and the bench feed; return the token."""
    server.cli("create-curator", "bench")
    token = server.cli("create-token", "bench").strip().splitlines()[-1]
    response = requests.post(
        f"{server.url}/api/feeds",
        json={"name": FEED, "query": "#bench", "sources": []},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return token


def measure(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """One row of the table: a fresh server, N viewers, items for `args.seconds`."""
    with tempfile.TemporaryDirectory(prefix="tagstory-bench-") as tmp:
        folder = Path(tmp)
        server = LiveServer(folder, env={"TAGSTORY_ASYNC_MODE": run.mode, "TAGSTORY_COLLECT": "0"})
        workers: list[tuple[Any, str]] = []
        try:
            token = create_token_and_feed(server)
            workers = start_viewers(server.url, run.viewers, args.processes, folder, args.join_seconds)
            joined = wait_joined(workers, args.join_seconds + 30)
            status = server_status(server.process.pid)
            load = os.getloadavg()[0]
            cpu_before = server_cpu_seconds(server.process.pid)
            pushed = ingest(server.url, token, FEED, run.rate, args.seconds, args.size)
            status_after = server_status(server.process.pid)
            got = collect(workers, pushed.posted, args.drain)
            server_cpu = server_cpu_seconds(server.process.pid) - cpu_before
        finally:
            for process, _ in workers:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                process.stdin.close()
                process.stdout.close()
            server.stop()
    received = [v for v in got["viewers"] if v["joined"]]
    deliveries = sum(v["count"] for v in received)
    last = max((v["last_receive"] for v in received), default=pushed.finished)
    window = max(last, pushed.finished) - pushed.started
    post_seconds = array("d", sorted(pushed.post_seconds))
    return {
        "mode": run.mode,
        "viewers": run.viewers,
        "joined": joined,
        "rate": run.rate,
        "posted": pushed.posted,
        "items_per_s": pushed.rate,
        "deliveries_per_s": deliveries / window if window > 0 else 0.0,
        "p50_ms": 1000 * percentile(got["latencies"], 0.50),
        "p99_ms": 1000 * percentile(got["latencies"], 0.99),
        # a viewer process that never reported lost everything its joined viewers were due
        "lost": sum(max(0, pushed.posted - v["count"]) for v in received)
        + max(0, joined - len(received)) * pushed.posted,
        "duplicates": sum(v["duplicates"] for v in received),
        "post_p50_ms": 1000 * percentile(post_seconds, 0.50),
        "server_cpu_pct": 100 * server_cpu / window if window > 0 else 0.0,
        "server_us_per_delivery": 1e6 * server_cpu / max(1, deliveries),
        "load": load,
        "client_cpu_pct": 100 * got["client_cpu"] / window if window > 0 else 0.0,
        "rss_mb": status_after["rss_mb"],
        "rss_idle_mb": status["rss_mb"],
        "threads": status_after["threads"],
        "deflate": any(v["deflate"] for v in received),
        "frame_bytes": sum(v["bytes"] for v in received) / max(1, deliveries),
    }


def collapsed(row: dict[str, Any]) -> bool:
    """A run where the server fell far behind: larger ones would only load the machine longer."""
    return row["p50_ms"] > 5000 or row["items_per_s"] < row["rate"] / 2 or row["lost"] > row["posted"]


COLUMNS = (
    ("viewers", "{joined}/{viewers}"),
    ("rate", "{rate:g}"),
    ("items/s", "{items_per_s:.1f}"),
    ("deliv/s", "{deliveries_per_s:.0f}"),
    ("p50 ms", "{p50_ms:.0f}"),
    ("p99 ms", "{p99_ms:.0f}"),
    ("lost", "{lost}"),
    ("POST p50 ms", "{post_p50_ms:.0f}"),
    ("srv CPU%", "{server_cpu_pct:.0f}"),
    ("srv µs/deliv", "{server_us_per_delivery:.0f}"),
    ("clients CPU%", "{client_cpu_pct:.0f}"),
    ("RSS MB", "{rss_mb}"),
    ("threads", "{threads}"),
    ("load", "{load:.1f}"),
)


def print_table(mode: str, rows: list[dict[str, Any]]) -> None:
    """One Markdown table per async mode."""
    deflate = "accepted" if any(r["deflate"] for r in rows) else "declined"
    frame = max((r["frame_bytes"] for r in rows), default=0)
    print(f"\n### {mode} (permessage-deflate offered, {deflate} by the server; ~{frame:.0f} B per frame)\n")
    cells = [[fmt.format(**row) for _, fmt in COLUMNS] for row in rows]
    widths = [max(len(name), *(len(c[i]) for c in cells)) for i, (name, _) in enumerate(COLUMNS)]
    print("| " + " | ".join(name.rjust(w) for (name, _), w in zip(COLUMNS, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for cell in cells:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(cell, widths, strict=True)) + " |", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="100,500,1000", help="viewer counts, comma-separated")
    parser.add_argument("--rate", type=float, default=50.0, help="items posted per second")
    parser.add_argument("--also", default="1000@5", help="extra VIEWERS@RATE runs, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long items are posted")
    parser.add_argument("--size", type=int, default=1000, help="characters of text per item")
    parser.add_argument("--modes", default="gevent,threading", help="TAGSTORY_ASYNC_MODE values")
    parser.add_argument("--processes", type=int, default=4, help="viewer processes")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for late deliveries")
    parser.add_argument("--join-seconds", type=float, default=30.0, help="bound on connecting viewers")
    parser.add_argument("--json", help="also write every row to this JSON file")
    args = parser.parse_args(argv)
    rates = [args.rate] + [float(part.split("@")[1]) for part in args.also.split(",") if part]
    if max(rates) * args.seconds >= MAX_ITEMS:
        parser.error(f"--rate x --seconds must stay under {MAX_ITEMS} items")
    return args


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run every (mode, N) of the arguments and print one table per mode."""
    args = parse_args(argv)
    counts = [int(n) for n in args.viewers.split(",") if n]
    extra = [tuple(part.split("@")) for part in args.also.split(",") if part]
    rows = []
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; {args.seconds:g} s of ~{args.size} B items")
    for mode in args.modes.split(","):
        runs = [Run(mode, n, args.rate) for n in counts] + [Run(mode, int(n), float(r)) for n, r in extra]
        mode_rows: list[dict[str, Any]] = []
        for run in runs:
            if any(
                collapsed(row) and run.viewers >= row["viewers"] and run.rate >= row["rate"]
                for row in mode_rows
            ):
                print(f"{mode}: {run.viewers} viewers at {run.rate:g}/s skipped, a smaller run collapsed")
                continue
            mode_rows.append(measure(run, args))
        print_table(mode, mode_rows)
        rows += mode_rows
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
