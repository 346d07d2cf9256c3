"""Anonymous joins cannot stall the server: GET /api/feeds answers within a second while
a few hundred real Socket.IO clients flood `join` with after=0 on a large feed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import requests

from aggregator.db import Database
from aggregator.feeds import create_feed
from aggregator.items import item_from_dict, store_items
from tests.conftest import ROOT

CLIENTS = int(os.environ.get("FLOOD_CLIENTS", "300"))
JOINS = int(os.environ.get("FLOOD_JOINS", "2"))
ITEMS = 5000


def _large_feed(path: str) -> None:
    db = Database(path)
    feed = create_feed(db, "big", "#big", [])
    posts = [
        {"source": "test", "source_id": str(n), "text": f"post {n} about #big " * 8, "author": {"name": "T"}}
        for n in range(ITEMS)
    ]
    store_items(db, feed, [item_from_dict(post) for post in posts])
    db.close()


def test_api_answers_within_a_second_while_hundreds_of_sockets_flood_joins(tmp_path, live_server):
    _large_feed(str(tmp_path / "live.sqlite"))
    server = live_server(env={"TAGSTORY_COLLECT": "0"})
    flood = subprocess.Popen(
        [sys.executable, "-m", "tests.join_flood", server.url, "big", str(CLIENTS), str(JOINS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert flood.stdout.readline().strip() == "flooding"
        latencies = []
        while flood.poll() is None:
            started = time.monotonic()
            response = requests.get(server.url + "/api/feeds", timeout=120)
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200
        summary = json.loads(flood.stdout.readline())
    finally:
        flood.kill()
        flood.wait()
        flood.stdout.close()
    print(f"\nGET /api/feeds during the flood: {len(latencies)} answers, slowest {max(latencies):.3f} s")
    print(f"flood: {summary}")
    assert summary["connected"] == CLIENTS
    assert summary["acks"] == CLIENTS * JOINS  # every join was answered, none dropped
    assert summary["other"] == 0
    assert len(latencies) >= 5
    assert max(latencies) < 1.0
