"""`flask collect` in its own process: live through Redis to a web process, and killed mid-backfill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import socketio

from aggregator.db import Database
from aggregator.feeds import create_feed
from bench.support import stop_process
from tests.conftest import ROOT
from tests.sources.conftest import wait_for
from tests.sources.servers import status

pytestmark = pytest.mark.process  # each test starts `flask collect` (and a web server) by hand


@pytest.fixture(autouse=True)
def _allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every process these tests start (collector, web server, CLI) may reach the fakes on 127.0.0.1."""
    monkeypatch.setenv("TAGSTORY_FETCH_ALLOW_PRIVATE", "1")


def _collect(database: str, tmp_path: Path, name: str, **env: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "TAGSTORY_DATABASE": database,
        "TAGSTORY_DEMO": "0",
        "TAGSTORY_MASTODON_POLL_SECONDS": "0.1",
        "TAGSTORY_MASTODON_BACKFILL_PAGES": "0",
        **env,
    }
    with (tmp_path / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "collect"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def test_collector_process_publishes_through_redis_to_socket_viewers(
    live_server, redis_url, mastodon, tmp_path
):
    # The web process polls the log only every 60 s: what arrives sooner came through the doorbell.
    server = live_server(
        env={"TAGSTORY_COLLECT": "0", "TAGSTORY_MESSAGE_QUEUE": redis_url, "TAGSTORY_POLL_SECONDS": "60"}
    )
    server.cli("feed", "add", "kc", "#kredcrew", "--source", f"mastodon:{mastodon.url}")
    viewer = socketio.Client(reconnection=False)
    received: list[dict] = []
    viewer.on("item", received.append)
    viewer.connect(server.url, transports=["websocket"])
    collector = _collect(server.database, tmp_path, "collect", TAGSTORY_MESSAGE_QUEUE=redis_url)
    try:
        ack = viewer.call("join", {"feed": "kc", "after": 0}, timeout=10)
        assert ack["ok"]
        wait_for(lambda: mastodon.requests, timeout=20)  # the collector is polling
        mastodon.add(*(status(n) for n in range(3)))
        wait_for(lambda: len(received) == 3, timeout=20)
    finally:
        stop_process(collector)
        viewer.disconnect()
    assert [event["item"]["text"] for event in received] == [f"Post {n} #kredcrew" for n in range(3)]
    assert "redis://" in (tmp_path / "collect.log").read_text()


def test_a_collector_killed_mid_backfill_resumes_without_gap_or_duplicate(mastodon, tmp_path):
    total = 40 * 30
    mastodon.add(*(status(n) for n in range(total)))
    mastodon.delay = 0.05  # a slow server: the kill lands in the middle of the backfill
    database = str(tmp_path / "kill.sqlite")
    db = Database(database)
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])

    def stored() -> int:
        return db.query_one("SELECT count(*) AS n FROM feed_items")["n"]

    first = _collect(database, tmp_path, "first")
    try:
        wait_for(lambda: stored() >= 40 * 8, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop_process(first)
    at_kill = stored()
    requests_before = len(mastodon.requests)
    assert 0 < at_kill < total
    second = _collect(database, tmp_path, "second")
    try:
        wait_for(lambda: stored() == total, timeout=120)
        wait_for(lambda: any("min_id" in r for r in mastodon.requests[requests_before:]), timeout=20)
    finally:
        stop_process(second)
    resumed_with = mastodon.requests[requests_before]
    assert "max_id" in resumed_with  # it went on with the backfill instead of starting over
    texts = [r["text"] for r in db.query("SELECT i.text FROM feed_items m JOIN items i ON i.id = m.item_id")]
    assert sorted(texts) == sorted(f"Post {n} #kredcrew" for n in range(total))
    adds = db.query_one("SELECT count(*) AS n FROM events WHERE type = 'item' AND op = 'add'")["n"]
    assert adds == total
    db.close()
