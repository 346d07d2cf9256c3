"""A primary of two web workers: what worker 1 commits reaches the stream and the edges at once.

Worker 0 alone runs the mirror. The workers poll the log only every 60 s here, so what an
edge's viewer gets sooner from worker 1 was mirrored because the doorbell rang.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from bench.support import LiveServer, RedisServer, wait_for
from tests.edge.conftest import Viewer
from tests.test_workers import post_item, workers_answering
from web.serving import WORKER_HEADER

pytestmark = pytest.mark.process

MOST_POSTS = 40  # posts tried until the kernel gave one to each worker


def test_what_worker_1_commits_reaches_an_edge_without_waiting_for_a_poll(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path)
    queue = {"TAGSTORY_MESSAGE_QUEUE": redis_server.url, "TAGSTORY_POLL_SECONDS": "60"}
    started: list[LiveServer] = []
    try:
        primary = LiveServer(tmp_path, {**queue, "TAGSTORY_WEB_WORKERS": "2", "TAGSTORY_COLLECT": "0"})
        started.append(primary)
        edge_env = {**queue, "TAGSTORY_ROLE": "edge", "TAGSTORY_DATABASE": str(tmp_path / "absent" / "x")}
        started.append(edge := LiveServer(tmp_path, edge_env, probe="/health"))
        assert workers_answering(primary.url) == {"0", "1"}
        primary.cli("create-curator", "ada")
        token = primary.cli("create-token", "ada").strip().splitlines()[-1]
        auth = {"Authorization": f"Bearer {token}", "Connection": "close"}  # each request spread anew
        created = requests.post(
            f"{primary.url}/api/feeds",
            json={"name": "hall", "query": "#hall", "sources": []},
            headers=auth,
            timeout=10,
        )
        assert created.status_code == 201, created.text

        def post_until(worker: str) -> list[int]:
            """Post until one post was answered by `worker`; return every seq posted."""
            seqs = []
            for n in range(MOST_POSTS):
                response = post_item(primary.url, "hall", f"post {n}", auth)
                seqs.append(response.json()["seq"])
                if response.headers[WORKER_HEADER] == worker:
                    return seqs
            raise AssertionError(f"no post was answered by worker {worker}")

        after = post_until("0")[-1]  # worker 0's own commit: the mirror lists the feed for the edges
        viewer = Viewer(edge.url, {"feed": "hall"}, after)
        try:
            posted = post_until("1")  # the last of them committed by worker 1
            wait_for(lambda: viewer.has(posted))
            assert viewer.seqs == posted
        finally:
            viewer.close()
    finally:
        for server in started:
            server.stop()
        redis_server.stop()
