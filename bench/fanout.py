"""`make bench`: Tagstory beside bare references, viewers of one feed, items posted at a fixed rate.

Each row starts one server in its own process — Tagstory (`python app.py`, the tests'
LiveServer), the bare Flask-SocketIO gevent broadcast server (bench/reference.py) or,
when Node and `npm install --prefix bench/node` are there, a Node socket.io one
(bench/node/reference.js) — pins it to core 0 and the load client (raw websocket viewers
in a few bench.viewers processes, and the poster) to core 1 where the machine has two,
posts ~1 KB items through the API (bench.ingest) and prints, per scenario and server:
p50/p99 ingest->viewer latency, lost deliveries, deliveries/s, the server's CPU µs per
delivery, its RSS, bytes per delivery, and the ratio to the reference in the same run.

Scenarios: `V@R` (V viewers, R items/s), `sat@V` (V viewers, items as fast as the
server takes them), `storm@V` (V viewers 100 items behind come back at once on new sockets,
a Wi-Fi drop in a hall, while 200 live viewers receive 50 items/s), `rejoin@V` (the same,
joining on sockets that stayed open). Targets: `app` (the default websocket server),
`app+simple-websocket`, `app+gevent-websocket`, `app-edge` (a primary and two edge nodes,
bench/edge.py), `app-2w` (two web workers and Redis,
sharing both cores with the client), `app-1w` (one worker sharing them the same way: what
`app-2w` is compared with), `reference`, `node`.

    python -m bench.fanout                    # the whole matrix (docs/benchmarks.md), ~30 min
    python -m bench.fanout --quick            # a smoke run of every kind of scenario, ~2 min
    python -m bench.fanout --scenarios 500@50,sat@500 --targets app,reference --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench import edge
from bench.ingest import IngestResult, ingest
from bench.support import ROOT, LiveServer, RedisServer, free_port, stop_process, wait_for
from bench.viewers import MAX_ITEMS

FEED = "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NODE_REFERENCE = ROOT / "bench" / "node" / "reference.js"
CLIENTS = {  # the load client: the same protocol, command line and results in either language
    "node": ["node", str(ROOT / "bench" / "node" / "viewers.js")],
    "python": [sys.executable, "-m", "bench.viewers"],
}
STORM_BEHIND = 100  # items each storm viewer missed
STORM_LIVE_VIEWERS = 200
STORM_RATE = 50.0
SATURATION_RATE = 1500.0  # asked for, more than any server here takes: it accepts what it can
# The poster's keep-alive connections: 16, but 64 in a saturated row that shares both cores
# (the one worker against two). Each carries its share of the ingest for the whole row, and
# SO_REUSEPORT hashes connections, not posts, to the workers: with 16 the busier of two
# workers took 50.4-56.3 % of their CPU (9 against 7 connections is 56 % of the posts), with
# 64 50.1-53.6 %, at the same items/s. A server pinned to one core keeps 16: there 64 threads
# on the client's one core took the app from 373-428k to 341-346k deliveries/s.
POSTERS = 16
SHARED_SATURATION_POSTERS = 64
REFERENCE = "reference"
# storm@V: V viewers back from a Wi-Fi drop on new sockets; rejoin@V: on sockets that stayed open
STORMS = {"storm": "--reconnect", "rejoin": "--hold"}
FULL_PLAN = (
    ("500@50", "app,reference,node"),
    ("1000@50", "app,reference,node"),
    ("2000@50", "app,reference,node"),
    ("4000@5", "app,reference,node"),
    ("10000@5", "app,reference,node"),
    ("sat@500", "app,app+simple-websocket,reference,node"),  # app: gevent-websocket, the default
    ("storm@1000", "app,reference,node"),
    ("rejoin@1000", "app,reference,node"),
    ("sat@500", "app-1w,app-2w"),  # 1 vs 2 workers, both sharing the cores with the client
    ("1000@5", "app,app-edge"),  # one process against a primary and two edges, in the same run
    ("sat@500", "app,app-edge"),
)
QUICK_PLAN = (
    ("50@10", "app,reference"),
    ("sat@50", "app,reference"),
    ("storm@100", "app,reference"),
)


@dataclass(frozen=True)
class Scenario:
    kind: str  # live, sat, storm (new sockets) or rejoin (sockets that stayed)
    viewers: int
    rate: float

    @classmethod
    def parse(cls, spec: str) -> Scenario:
        head, _, tail = spec.partition("@")
        if head == "sat":
            return cls("sat", int(tail), SATURATION_RATE)
        if head in STORMS:
            return cls(head, int(tail), STORM_RATE)
        return cls("live", int(head), float(tail))

    def __str__(self) -> str:
        if self.kind == "live":
            return f"{self.viewers}@{self.rate:g}"
        return f"{self.kind}@{self.viewers}"


# -- servers -------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a supervisor's workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return found


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants so far."""
    total = 0.0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def server_status(pid: int) -> dict[str, int]:
    """Resident memory (MB) and OS threads of a process and its descendants."""
    rss_kb = threads = 0
    for each in process_tree(pid):
        try:
            text = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        lines = dict(line.split(":", 1) for line in text.splitlines())
        rss_kb += int(lines["VmRSS"].split()[0])
        threads += int(lines["Threads"])
    return {"rss_mb": rss_kb // 1024, "threads": threads}


class Server:
    """A running server under test: its URL, its process, a token for the API."""

    url: str
    process: Any
    token: str = "bench"
    helpers: tuple[int, ...] = ()  # processes it needs besides its own, counted in its CPU (Redis)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes and its helpers so far."""
        return sum(server_cpu_seconds(pid) for pid in (self.process.pid, *self.helpers))

    def status(self) -> dict[str, int]:
        """RSS and threads of the server's processes."""
        return server_status(self.process.pid)

    def viewer_urls(self) -> list[str]:
        """Where the viewers connect (each viewer process to one of these in turn)."""
        return [self.url]

    def stop(self) -> None:
        raise NotImplementedError


class AppServer(Server):
    """`python app.py` (gevent), one or several workers, with a curator's token and the feed."""

    def __init__(
        self,
        folder: Path,
        websocket: str | None,
        workers: int,
        redis: RedisServer | None,
        more_env: dict[str, str] | None = None,
    ) -> None:
        env = {"TAGSTORY_COLLECT": "0", "TAGSTORY_WEB_WORKERS": str(workers), **(more_env or {})}
        if websocket:
            env["TAGSTORY_WEBSOCKET_SERVER"] = websocket
        if workers > 1:
            env["TAGSTORY_MESSAGE_QUEUE"] = redis.url if redis else ""
            self.helpers = (redis.process.pid,) if redis else ()  # the workers wake each other through it
        self.live = LiveServer(folder, env=env)
        self.url, self.process = self.live.url, self.live.process
        if workers > 1:  # both workers listening before viewers connect
            seen: set[str] = set()
            wait_for(lambda: seen.add(_worker_of(self.url)) or len(seen) == workers, timeout=60)
        self.live.cli("create-curator", "bench")
        self.token = self.live.cli("create-token", "bench").strip().splitlines()[-1]
        create_feed(self.url, self.token)

    def stop(self) -> None:
        self.live.stop()


def _worker_of(url: str) -> str:
    response = requests.get(f"{url}/api/feeds", headers={"Connection": "close"}, timeout=5)
    return response.headers.get("X-Tagstory-Worker", "0")


class ProcessServer(Server):
    """A reference server: a command given a free port, answering GET /api/feeds."""

    def __init__(self, folder: Path, command: list[str]) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = folder / f"reference-{port}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*command, str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(self._answers, timeout=30)
        create_feed(self.url, self.token)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"reference exited: {self.log.read_text()}")
        try:
            return requests.get(f"{self.url}/api/feeds", timeout=5).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        stop_process(self.process)


def create_feed(url: str, token: str) -> None:
    response = requests.post(
        f"{url}/api/feeds",
        json={"name": FEED, "query": "#bench", "sources": []},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()


def node_available() -> bool:
    return bool(shutil.which("node")) and (ROOT / "bench" / "node" / "node_modules" / "socket.io").exists()


def start_server(target: str, folder: Path, redis: RedisServer | None) -> Server:
    if target == REFERENCE:
        return ProcessServer(folder, [sys.executable, "-m", "bench.reference"])
    if target == "node":
        return ProcessServer(folder, ["node", str(NODE_REFERENCE)])
    if target == "app-2w":
        return AppServer(folder, None, 2, redis)
    if target == "app-1w":
        return AppServer(folder, None, 1, None)
    if target == edge.TARGET and redis:
        return edge.EdgeCluster(folder, redis.url, AppServer)  # type: ignore[return-value]
    if target.startswith("app"):
        return AppServer(folder, target.partition("+")[2] or None, 1, None)
    raise ValueError(f"unknown target {target!r}")


def shares_cores(target: str) -> bool:
    """Several workers use every core, with the client; a single process gets core 0 alone
    (but `app-1w`, the one worker that two are compared with, shares them as they do)."""
    return target in ("app-1w", "app-2w", edge.TARGET)


@contextmanager
def affinity(cores: set[int] | None) -> Iterator[None]:
    """Processes started inside inherit `cores` (None: leave as it is)."""
    if not cores or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pin(pid: int, cores: set[int] | None) -> None:
    """Every thread of `pid` and its descendants to `cores` (threads they start later inherit it)."""
    if not cores:
        return
    for each in process_tree(pid):
        for task in Path(f"/proc/{each}/task").iterdir():
            try:
                os.sched_setaffinity(int(task.name), cores)
            except OSError:  # a thread that just ended
                continue


def core_split(pin: bool, target: str) -> tuple[set[int] | None, set[int] | None]:
    """(server cores, client cores): one each on a machine of two or more, else no pinning."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or len(cores) < 2 or shares_cores(target):
        return None, None
    return {cores[0]}, set(cores[1:])


@contextmanager
def redis_server() -> Iterator[RedisServer | None]:
    """A private redis-server for the two-worker and edge rows (None when it is not installed)."""
    if not shutil.which("redis-server"):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="tagstory-bench-redis-") as folder:
        server = RedisServer(Path(folder))
        try:
            yield server
        finally:
            server.stop()


# -- viewers -------------------------------------------------------------------------------


def percentile(values: array, fraction: float) -> float:
    """The value below which `fraction` of sorted `values` lie (nearest rank)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(fraction * len(values)))]


def start_viewers(
    urls: list[str],
    count: int,
    processes: int,
    folder: Path,
    args: argparse.Namespace,
    tag: str,
    storm: str = "",
) -> list[tuple[Any, str]]:
    """Spread `count` viewers over `processes` bench.viewers processes, each on one of `urls` in turn.

    `storm`: "--hold" (connected, joining when told) or "--reconnect" (connecting when told).
    """
    started = []
    processes = max(processes, len(urls))
    flags = (["--frames"] if args.frames else []) + ([storm] if storm else [])
    # New sockets at the storm: the Python client, which records when each one's Socket.IO connect
    # came back and how many joins it sent (storm_* in --json); bench/node/viewers.js --reconnect
    # records neither, and was slower (storm@1000, quiet: all in 1.22 / 1.23 s; Python 0.90 s median)
    client = "python" if storm == "--reconnect" else args.client
    for n in range(processes):
        share = count // processes + (n < count % processes)
        if share:
            out = str(folder / f"viewers-{tag}-{n}.json")
            process = subprocess.Popen(
                [
                    *CLIENTS[client],
                    urls[n % len(urls)],
                    FEED,
                    str(share),
                    out,
                    str(join_seconds(args, count)),
                    *flags,
                ],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            started.append((process, out))
    return started


def join_seconds(args: argparse.Namespace, viewers: int) -> float:
    """How long `viewers` may take to connect and join: 10,000 take minutes on a loaded core."""
    return args.join_seconds or max(60.0, viewers / 50)


def wait_joined(workers: list[tuple[Any, str]], timeout: float) -> int:
    """Wait for every process's "joined J failed F" line; return the viewers that joined."""
    deadline = time.monotonic() + timeout
    joined = 0
    for process, _ in workers:
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = process.stdout.readline().split() if ready else []
        joined += int(line[1]) if len(line) > 1 else 0
    return joined


def tell(workers: list[tuple[Any, str]], command: str) -> None:
    for process, _ in workers:
        process.stdin.write(command + "\n")
        process.stdin.flush()


def collect(workers: list[tuple[Any, str]], posted: int, drain_seconds: float) -> dict[str, Any]:
    """Tell processes to drain, wait for them, merge their results."""
    tell(workers, f"drain {posted} {drain_seconds}")
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


def end(workers: list[tuple[Any, str]]) -> None:
    for process, _ in workers:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdin.close()
        process.stdout.close()


def feed_last_seq(server: Server) -> int:
    feeds = requests.get(f"{server.url}/api/feeds", timeout=10).json()
    return next(feed["last_seq"] for feed in feeds if feed["name"] == FEED)


class CpuClock:
    """The server's CPU seconds sampled every 20 ms, to tell how much CPU a stretch of wall time took.

    On a loaded machine a storm's wall time says how much of the core the server was given;
    the CPU it spent catching the crowd up is what it would take on a core of its own.
    """

    def __init__(self, server: Server) -> None:
        self.server, self.samples = server, [(time.time(), server.cpu_seconds())]
        self.stopped = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self.stopped.wait(0.02):
            self.samples.append((time.time(), self.server.cpu_seconds()))

    def at(self, when: float) -> float:
        """CPU seconds at wall time `when` (the nearest sample at or after it)."""
        return next((cpu for at, cpu in self.samples if at >= when), self.samples[-1][1])

    def between(self, start: float, end: float) -> float:
        if end == float("inf"):
            return float("inf")
        return self.at(end) - self.at(start)

    def stop(self) -> None:
        self.stopped.set()


# -- one row -------------------------------------------------------------------------------


def measure(
    scenario: Scenario, target: str, args: argparse.Namespace, redis: RedisServer | None
) -> dict[str, Any]:
    """One row: a fresh server, the scenario's viewers, items for `args.seconds`."""
    server_cores, client_cores = core_split(args.pin, target)
    with tempfile.TemporaryDirectory(prefix="tagstory-bench-") as tmp:
        folder = Path(tmp)
        if redis:  # the last row's stream would end past this row's new log: its mirror would wait for it
            redis.empty()
        server = start_server(target, folder, redis)
        pin(server.process.pid, server_cores)  # once started: a loaded core would slow the start
        groups: dict[str, list[tuple[Any, str]]] = {}
        try:
            with affinity(client_cores):
                row = _drive(scenario, server, folder, args, groups, _posters(scenario, target))
        finally:
            for group in groups.values():
                end(group)
            server.stop()
    return {
        "scenario": str(scenario),
        "kind": scenario.kind,
        "target": target,
        "pinned": bool(server_cores),
        **row,
    }


def _posters(scenario: Scenario, target: str) -> int:
    """The poster's connections for a row (`SHARED_SATURATION_POSTERS`)."""
    return SHARED_SATURATION_POSTERS if scenario.kind == "sat" and shares_cores(target) else POSTERS


def _drive(
    scenario: Scenario,
    server: Server,
    folder: Path,
    args: argparse.Namespace,
    groups: dict[str, Any],
    posters: int = POSTERS,
) -> dict[str, Any]:
    """Connect, post, collect: the figures of one row."""
    storm = scenario.kind in STORMS
    live_count = STORM_LIVE_VIEWERS if storm and not args.quick else (20 if storm else scenario.viewers)
    groups["live"] = start_viewers(server.viewer_urls(), live_count, args.processes, folder, args, "live")
    if storm:
        groups["storm"] = start_viewers(
            server.viewer_urls(),
            scenario.viewers,
            args.processes,
            folder,
            args,
            "storm",
            STORMS[scenario.kind],
        )
    joined = wait_joined(groups["live"], join_seconds(args, live_count) + 30)
    held = wait_joined(groups.get("storm", []), join_seconds(args, scenario.viewers) + 30)
    pid = server.process.pid
    idle = server.status()
    load = os.getloadavg()[0]
    cpu_before = server.cpu_seconds()
    workers_before = {child: server_cpu_seconds(child) for child in process_tree(pid)[1:]}
    seconds = args.seconds
    backlog = IngestResult()
    cpu_clock = CpuClock(server) if storm else None
    if storm:  # the items the storm's viewers missed, then the storm during live delivery
        after = feed_last_seq(server)
        backlog = ingest(server.url, server.token, FEED, STORM_BEHIND / 2, 2.0, args.size)
        while 0 < backlog.posted < STORM_BEHIND:  # a loaded server accepts fewer: every viewer is 100 behind
            rest = STORM_BEHIND - backlog.posted
            more = ingest(
                server.url, server.token, FEED, STORM_BEHIND / 2, rest / 50, args.size, first=backlog.posted
            )
            backlog.posted += more.posted
            if not more.posted:
                break
        storm_at = threading.Timer(1.0, tell, (groups["storm"], f"storm {after}"))
        storm_at.start()
    pushed = ingest(
        server.url, server.token, FEED, scenario.rate, seconds, args.size, posters, first=backlog.posted
    )
    status = server.status()
    posted = backlog.posted + pushed.posted
    drain = args.drain * (3 if scenario.kind == "sat" else 1)
    got = {name: collect(group, posted, drain) for name, group in groups.items()}
    server_cpu = server.cpu_seconds() - cpu_before
    workers_cpu = [server_cpu_seconds(child) - cpu for child, cpu in workers_before.items()]
    everyone = [v for g in got.values() for v in g["viewers"] if v["joined"]]
    deliveries = sum(v["count"] for v in everyone)
    messages = sum(v["messages"] for v in everyone)
    started = backlog.started if storm else pushed.started
    last = max((v["last_receive"] for v in everyone), default=pushed.finished)
    window = max(last, pushed.finished) - started
    live = got["live"]
    row = {
        "viewers": scenario.viewers,
        "joined": held if storm else joined,
        "rate": scenario.rate,
        "posted": posted,
        "items_per_s": pushed.rate,
        "deliveries_per_s": deliveries / window if window > 0 else 0.0,
        "p50_ms": 1000 * percentile(live["latencies"], 0.50),
        "p99_ms": 1000 * percentile(live["latencies"], 0.99),
        # a viewer process that never reported lost everything its joined viewers were due
        "lost": sum(max(0, posted - v["count"]) for v in everyone)
        + max(0, joined + held - len(everyone)) * posted,
        "duplicates": sum(v["duplicates"] for v in everyone),
        "server_cpu_pct": 100 * server_cpu / window if window > 0 else 0.0,
        "server_us_per_delivery": 1e6 * server_cpu / max(1, deliveries),
        "load": load,
        "client_cpu_pct": 100 * sum(g["client_cpu"] for g in got.values()) / window if window > 0 else 0.0,
        "rss_mb": status["rss_mb"],
        "rss_idle_mb": idle["rss_mb"],
        "threads": status["threads"],
        "deflate": any(v["deflate"] for v in everyone),
        "bytes_per_delivery": sum(v["bytes"] for v in everyone) / max(1, deliveries),
        "bytes_per_message": sum(v["message_bytes"] for v in everyone) / max(1, messages),
        "deliveries_per_message": deliveries / max(1, messages),
        "workers": sorted({v["worker"] for v in everyone if v.get("worker") is not None}),
        # each worker's CPU % of a core (a supervisor's children), and the viewers it held
        "worker_cpu_pct": [round(100 * cpu / window, 1) if window > 0 else 0.0 for cpu in workers_cpu],
        "worker_viewers": [sum(v.get("worker") == w for v in everyone) for w in range(len(workers_cpu))],
    }
    if storm:
        stormed = [v for v in got["storm"]["viewers"] if v["join_sent"]]
        caught = [v["caught_up"] - v["join_sent"] for v in stormed if v["caught_up"]]
        row["caught_up"] = len(caught)
        row["caught_up_s"] = max(caught) if caught and len(caught) == len(stormed) == held else float("inf")
        row["caught_up_p50_s"] = statistics.median(caught) if caught else float("nan")
        connected = [v["connected_at"] - v["join_sent"] for v in stormed if v.get("connected_at")]
        row["storm_connected_p50_s"] = statistics.median(connected) if connected else float("nan")
        row["storm_connected_max_s"] = max(connected, default=float("nan"))
        row["storm_joins_per_viewer"] = sum(v.get("joins", 0) for v in stormed) / max(1, len(stormed))
        came = min((v["join_sent"] for v in stormed), default=0.0)
        row["caught_up_cpu_s"] = cpu_clock.between(came, came + row["caught_up_s"]) if cpu_clock else 0.0
    if cpu_clock:
        cpu_clock.stop()
    return row


# -- the table -----------------------------------------------------------------------------

COLUMNS = (
    ("scenario", "{scenario}"),
    ("server", "{target}"),
    ("viewers", "{joined}/{viewers}"),
    ("items/s", "{items_per_s:.1f}"),
    ("deliv/s", "{deliveries_per_s:.0f}"),
    ("p50 ms", "{p50_ms:.0f}"),
    ("p99 ms", "{p99_ms:.0f}"),
    ("lost", "{lost}"),
    ("srv µs/deliv", "{server_us_per_delivery:.1f}"),
    ("srv CPU%", "{server_cpu_pct:.0f}"),
    ("RSS MB", "{rss_mb}"),
    ("B/deliv", "{bytes_per_delivery:.0f}"),
    ("frame B", "{bytes_per_message:.0f}"),
    ("items/frame", "{deliveries_per_message:.1f}"),
    ("deliv/s ×ref", "{ratio_deliveries}"),
    ("µs ×ref", "{ratio_us}"),
    ("p99 ×ref", "{ratio_p99}"),
    ("caught up", "{caught}"),
    ("catch-up CPU s", "{catch_up_cpu}"),
    ("load", "{load:.1f}"),
)


def _ratio(value: float, reference: float | None) -> str:
    if not reference or value != value or reference != reference:  # none, zero or NaN
        return "–"
    return f"{value / reference:.2f}"


def with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row beside the reference's row of the same scenario (and repetition)."""
    shown = []
    for row in rows:
        ref = next(
            (r for r in rows if r["target"] == REFERENCE and r["scenario"] == row["scenario"]),
            None,
        )
        caught = "–"
        if row["kind"] in STORMS and row["caught_up_s"] != float("inf"):
            caught = f"all {row['caught_up']:.0f} in {row['caught_up_s']:.2f} s"
        elif row["kind"] in STORMS:
            caught = f"{row['caught_up']:.0f} of {row['joined']:.0f}"
        shown.append(
            {
                **row,
                "ratio_deliveries": _ratio(row["deliveries_per_s"], ref and ref["deliveries_per_s"]),
                "ratio_us": _ratio(row["server_us_per_delivery"], ref and ref["server_us_per_delivery"]),
                "ratio_p99": _ratio(row["p99_ms"], ref and ref["p99_ms"]),
                "caught": caught,
                "catch_up_cpu": f"{row['caught_up_cpu_s']:.2f}" if row["kind"] in STORMS else "–",
            }
        )
    return shown


def print_table(rows: list[dict[str, Any]]) -> None:
    cells = [[fmt.format(**row) for _, fmt in COLUMNS] for row in with_ratios(rows)]
    widths = [max(len(name), *(len(c[i]) for c in cells)) for i, (name, _) in enumerate(COLUMNS)]
    print("| " + " | ".join(name.rjust(w) for (name, _), w in zip(COLUMNS, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for cell in cells:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(cell, widths, strict=True)) + " |", flush=True)


NUMERIC = (
    "joined",
    "posted",
    "items_per_s",
    "deliveries_per_s",
    "p50_ms",
    "p99_ms",
    "lost",
    "duplicates",
    "server_cpu_pct",
    "server_us_per_delivery",
    "load",
    "client_cpu_pct",
    "rss_mb",
    "rss_idle_mb",
    "threads",
    "bytes_per_delivery",
    "bytes_per_message",
    "deliveries_per_message",
    "caught_up",
    "caught_up_s",
    "caught_up_p50_s",
    "caught_up_cpu_s",
)


def _row(table: list[dict[str, Any]], scenario: str, target: str) -> dict[str, Any] | None:
    return next((r for r in table if r["scenario"] == scenario and r["target"] == target), None)


def print_targets(table: list[dict[str, Any]]) -> None:
    """The issue's targets (docs/benchmarks.md) against the rows of this run that measure them."""
    lines = []
    for scenario, p99_bound in (("2000@50", 250), ("10000@5", 500)):
        if row := _row(table, scenario, "app"):
            met = row["lost"] == 0 and row["p99_ms"] <= p99_bound
            if scenario == "10000@5":
                met = met and row["rss_mb"] <= 1536
            lines.append(
                f"{scenario}: lost {row['lost']}, p99 {row['p99_ms']:.0f} ms (≤ {p99_bound}), "
                f"RSS {row['rss_mb']:.0f} MB, {row['server_us_per_delivery']:.1f} µs/deliv: "
                f"{'met' if met else 'not met'}"
            )
    for scenario in sorted({r["scenario"] for r in table if r["kind"] == "sat"}):
        app, ref, two = (_row(table, scenario, t) for t in ("app", REFERENCE, "app-2w"))
        if app and ref and ref["deliveries_per_s"]:
            ratio = app["deliveries_per_s"] / ref["deliveries_per_s"]
            verdict = "met" if ratio >= 2 else "not met"
            lines.append(f"{scenario}: {ratio:.2f}× the reference's deliveries/s (≥ 2): {verdict}")
        one = _row(table, scenario, "app-1w") or app
        if one and two and one["deliveries_per_s"]:
            lines += two_workers(scenario, one, two)
    for scenario in sorted({r["scenario"] for r in table if r["kind"] == "live"}):
        one, two = _row(table, scenario, "app-1w"), _row(table, scenario, "app-2w")
        if one and two:  # the same posts for both: like frames, like work per delivery
            lines += two_workers(scenario, one, two)[1:]
    for row in (r for r in table if r["kind"] in STORMS and r["target"] == "app"):
        met = row["caught_up_s"] <= 2 and row["p99_ms"] <= 500
        lines.append(
            f"{row['scenario']}: {row['caught']}, live p99 {row['p99_ms']:.0f} ms (2 s, 500 ms): "
            f"{'met' if met else 'not met'}"
        )
    if lines:
        print("\nTargets (issue 10), this run:")
        for line in lines:
            print(f"  {line}")


def per_core_ratio(one: dict[str, Any], two: dict[str, Any]) -> float:
    """What two workers deliver on two cores of their own against one worker on one: each
    delivery's server CPU (Redis's included) beside one worker's, and the busier worker's
    share of the two (it fills its core first; 0.5 when the kernel spread the load evenly)."""
    shares = two["worker_cpu_pct"]
    busier = max(shares) / sum(shares) if len(shares) == 2 and sum(shares) else 0.5
    return one["server_us_per_delivery"] / (busier * two["server_us_per_delivery"])


def two_workers(scenario: str, one: dict[str, Any], two: dict[str, Any]) -> list[str]:
    """The two-worker target's lines: as measured, with the client on the same two cores (the
    workers get what it leaves them), and per core (docs/benchmarks.md says why)."""
    measured = two["deliveries_per_s"] / one["deliveries_per_s"]
    ratio = per_core_ratio(one, two)
    return [
        f"{scenario}: 2 workers {measured:.2f}× {one['target']}'s deliveries/s as measured, the client "
        f"on the same cores ({two['server_cpu_pct']:.0f} % against {one['server_cpu_pct']:.0f} % of a core)",
        f"{scenario}: 2 workers on 2 cores {ratio:.2f}× 1 worker on 1 (µs/deliv "
        f"{one['server_us_per_delivery']:.1f} against {two['server_us_per_delivery']:.1f}, workers' CPU % "
        f"{two['worker_cpu_pct']}) (≥ 1.6): {'met' if ratio >= 1.6 else 'not met'}",
    ]


def medians(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (scenario, target): the median of each figure over the repetitions."""
    merged: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        merged.setdefault((row["scenario"], row["target"]), []).append(row)
    out = []
    for runs in merged.values():
        row = dict(runs[0])
        for key in NUMERIC:
            if key in row:
                row[key] = statistics.median(r[key] for r in runs)
        row["lost"] = max(r["lost"] for r in runs)  # lost anywhere is lost
        if len({len(r["worker_cpu_pct"]) for r in runs}) == 1:  # each worker's share, worker by worker
            row["worker_cpu_pct"] = [
                statistics.median(cpu) for cpu in zip(*(r["worker_cpu_pct"] for r in runs), strict=True)
            ]
        row["repeats"] = len(runs)
        out.append(row)
    return out


# -- main ----------------------------------------------------------------------------------


def plan(args: argparse.Namespace) -> list[tuple[Scenario, list[str]]]:
    if args.scenarios or args.targets:
        pairs = [(spec, args.targets or "app,reference") for spec in (args.scenarios or "500@50").split(",")]
    else:
        pairs = list(QUICK_PLAN if args.quick else FULL_PLAN)
    steps = []
    for spec, targets in pairs:
        chosen = [t for t in targets.split(",") if t and (t != "node" or node_available())]
        steps.append((Scenario.parse(spec), chosen))
    return steps


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scenarios", help="comma-separated V@R, sat@V, storm@V, rejoin@V (default: the full matrix)"
    )
    parser.add_argument(
        "--targets", help="comma-separated app, app+simple-websocket, app-1w, app-2w, reference, node"
    )
    parser.add_argument("--quick", action="store_true", help="small scenarios, short windows: a smoke run")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved repetitions; medians are printed")
    parser.add_argument("--seconds", type=float, help="how long items are posted (default 10, quick 2)")
    parser.add_argument("--size", type=int, default=1000, help="characters of text per item")
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        help="the viewers' load client: node (bench/node/viewers.js, the default when Node is installed) "
        "or python (bench/viewers.py)",
    )
    parser.add_argument("--processes", type=int, help="viewer processes (default node 2, python 4; quick 1)")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for late deliveries")
    parser.add_argument(
        "--join-seconds", type=float, help="bound on connecting viewers (default 60, or 1 s per 50 viewers)"
    )
    parser.add_argument(
        "--no-frames", dest="frames", action="store_false", help="viewers join without asking for frames"
    )
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="no server/client core split")
    parser.add_argument("--json", help="also write every row to this JSON file")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (2.0 if args.quick else 10.0)
    args.client = args.client or ("node" if shutil.which("node") else "python")
    args.processes = args.processes or (1 if args.quick else {"node": 2, "python": 4}[args.client])
    if SATURATION_RATE * args.seconds + STORM_BEHIND >= MAX_ITEMS:
        parser.error(f"the saturation rate x --seconds must stay under {MAX_ITEMS} items")
    return args


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the plan `args.repeat` times, interleaved, and print the medians."""
    args = parse_args(argv)
    steps = plan(args)
    print(
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; {args.seconds:g} s of ~{args.size} B items; "
        f"server on one core, client ({args.client}, {args.processes} processes) on the other: "
        f"{args.pin and (os.cpu_count() or 1) >= 2}",
        flush=True,
    )
    rows = []
    with redis_server() as redis:
        for repeat in range(args.repeat):
            for scenario, targets in steps:
                for target in targets:
                    if target in ("app-2w", edge.TARGET) and not redis:
                        print(f"{target} skipped: no redis-server")
                        continue
                    try:
                        row = measure(scenario, target, args, redis)
                    except Exception as error:  # one row that could not run never loses the others
                        print(f"  {scenario} {target}: not measured ({type(error).__name__}: {error})")
                        continue
                    row["repeat"] = repeat
                    rows.append(row)
                    print(
                        f"  {scenario} {target}: {row['deliveries_per_s']:.0f} deliv/s, "
                        f"p99 {row['p99_ms']:.0f} ms, lost {row['lost']}, "
                        f"{row['server_us_per_delivery']:.1f} µs/delivery, "
                        f"server CPU {row['server_cpu_pct']:.0f}%"
                        + (f", workers' CPU % {row['worker_cpu_pct']}" if row["worker_cpu_pct"] else ""),
                        flush=True,
                    )
    table = medians(rows)
    print()
    print_table(table)
    print_targets(with_ratios(table))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": rows, "medians": table}, indent=1))
    return table


if __name__ == "__main__":
    main()
