"""Several web workers on one port (`TAGSTORY_WEB_WORKERS`): real `python app.py`, real Redis.

Viewers land on both workers (the kernel spreads connections); every viewer gets every
event once and in order, whichever worker the curator's request reached.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import pytest
import requests
import socketio

from bench.support import ROOT, wait_for
from web.serving import WORKER_HEADER

FEED = "keynote"
VIEWERS_PER_WORKER = 3
MOST_CONNECTIONS = 60  # bound on connections tried until both workers hold enough viewers


class Viewer:
    """A python-socketio client following the feed; remembers which worker served it."""

    def __init__(self, url: str) -> None:
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("item", self._item)
        self.client.connect(url, transports=["websocket"])
        ack = self.client.call("join", {"feed": FEED, "after": 0}, timeout=20)
        assert ack["ok"], ack
        self.worker = ack["worker"]

    def _item(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(data)

    def seqs(self) -> list[int]:
        with self.lock:
            return [event["seq"] for event in self.events]


def workers_answering(url: str) -> set[str]:
    """Ask until both workers have answered an HTTP request (each new connection is spread anew)."""
    seen: set[str] = set()

    def both() -> bool:
        response = requests.get(f"{url}/api/feeds", headers={"Connection": "close"}, timeout=5)
        seen.add(response.headers[WORKER_HEADER])
        return len(seen) == 2

    wait_for(both, timeout=60)
    return seen


def post_item(url: str, feed: str, text: str, headers: dict[str, str]) -> requests.Response:
    """A curator's post through the API (whichever worker the kernel gives the connection)."""
    response = requests.post(
        f"{url}/api/feeds/{feed}/items",
        json={"text": text, "author": {"name": "Ada", "handle": "ada"}},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response


def test_viewers_of_two_workers_get_every_event_once_in_order_from_either_worker(live_server, redis_url):
    # Each worker polls the log only every 60 s: what reaches the other worker's viewers
    # sooner came through the Redis doorbell.
    server = live_server(
        env={
            "TAGSTORY_WEB_WORKERS": "2",
            "TAGSTORY_MESSAGE_QUEUE": redis_url,
            "TAGSTORY_COLLECT": "0",
            "TAGSTORY_POLL_SECONDS": "60",
        }
    )
    assert workers_answering(server.url) == {"0", "1"}
    server.cli("create-curator", "ada")
    token = server.cli("create-token", "ada").strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}", "Connection": "close"}
    created = requests.post(
        f"{server.url}/api/feeds",
        json={"name": FEED, "query": "#keynote", "sources": []},
        headers=auth,
        timeout=10,
    )
    assert created.status_code == 201, created.text

    viewers: list[Viewer] = []
    try:
        for _ in range(MOST_CONNECTIONS):
            if all(sum(v.worker == w for v in viewers) >= VIEWERS_PER_WORKER for w in (0, 1)):
                break
            viewers.append(Viewer(server.url))
        assert {v.worker for v in viewers} == {0, 1}, [v.worker for v in viewers]

        # Curators' changes through either worker: posts until each worker took some.
        through: dict[str, list[int]] = {"0": [], "1": []}
        for n in range(40):
            if n >= 10 and all(through.values()):
                break
            response = post_item(server.url, FEED, f"post {n}", auth)
            through[response.headers[WORKER_HEADER]].append(response.json()["seq"])
        assert all(through.values()), through
        posted = sorted(through["0"] + through["1"])
        first = requests.get(f"{server.url}/api/feeds/{FEED}/items", timeout=10).json()["items"][0]
        hidden = requests.patch(
            f"{server.url}/api/feeds/{FEED}/items/{first['id']}",
            json={"status": "hidden"},
            headers=auth,
            timeout=10,
        )
        assert hidden.status_code == 200, hidden.text

        def hid(viewer: Viewer) -> bool:
            with viewer.lock:
                return any(
                    e["item"]["id"] == first["id"] and e["item"]["status"] == "hidden" for e in viewer.events
                )

        wait_for(lambda: all(hid(v) for v in viewers), timeout=30)
        expected = viewers[0].seqs()
        assert expected[: len(posted)] == posted
        assert expected == sorted(set(expected)) and len(expected) == len(posted) + 1, "in order, each once"
        for viewer in viewers:
            assert viewer.seqs() == expected, f"worker {viewer.worker}"
    finally:
        for viewer in viewers:
            viewer.client.disconnect()


def test_two_workers_accept_websockets_only(live_server, redis_url):
    server = live_server(
        env={"TAGSTORY_WEB_WORKERS": "2", "TAGSTORY_MESSAGE_QUEUE": redis_url, "TAGSTORY_COLLECT": "0"}
    )
    polling = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert polling.status_code == 400


@pytest.mark.process  # starts `python app.py`
def test_two_workers_without_a_message_queue_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "TAGSTORY_WEB_WORKERS": "2",
            "TAGSTORY_DATABASE": str(tmp_path / "w.sqlite"),
            "TAGSTORY_DEMO": "0",
            "TAGSTORY_SECRET_KEY": "x",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TAGSTORY_WEB_WORKERS > 1 needs TAGSTORY_MESSAGE_QUEUE" in result.stderr
    assert "Traceback" not in result.stderr
