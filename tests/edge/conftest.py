"""A primary, two edge nodes and nginx in front, on 127.0.0.1, over a private redis-server.

The nginx configuration is the one docs/deploy.md gives, with the addresses replaced.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio

from bench.support import ROOT, LiveServer, RedisServer, free_port, wait_for
from tests.browser.conftest import new_context  # noqa: F401 (a fixture of the page test)

RETENTION = 60  # log seqs the stream keeps: small, so that a test can outrun it


def nginx_config(primary: int, edges: list[int], port: int, folder: Path) -> str:
    """docs/deploy.md's nginx block, on these ports, inside a minimal nginx.conf of its own."""
    doc = (ROOT / "docs" / "deploy.md").read_text()
    block = doc.split("(it replaces the addresses and the port):", 1)[1].split("```nginx\n", 1)[1]
    block = block.split("```", 1)[0]
    block = block.replace("127.0.0.1:5000", f"127.0.0.1:{primary}")
    for documented, actual in zip((5001, 5002), edges, strict=True):
        block = block.replace(f"127.0.0.1:{documented}", f"127.0.0.1:{actual}")
    block = re.sub(r"listen 80;", f"listen 127.0.0.1:{port};", block)
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;" if os.getuid() == 0 else ""
    return (
        f"{user} worker_processes 1; daemon off; pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'};\n"
        f"events {{ worker_connections 1024; }}\nhttp {{ access_log off; {temp}\n{block}}}\n"
    )


class Nginx:
    def __init__(self, primary: int, edges: list[int], folder: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is missing: run `make test`, which installs it"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = folder / "nginx.conf"
        config.write_text(nginx_config(primary, edges, self.port, folder))
        with (folder / "nginx.out").open("w") as output:
            self.process = subprocess.Popen([binary, "-c", str(config), "-p", str(folder)], stderr=output)
        wait_for(lambda: self._answers(), timeout=10)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError("nginx exited")
        try:
            return requests.get(self.url + "/api/feeds", timeout=1).ok
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Viewer:
    """A real Socket.IO client as the pages are: joins with frames, rejoins from its last seq on reconnect."""

    def __init__(
        self, url: str, room: dict[str, str], after: int, reconnect: bool = False, frames: bool = True
    ) -> None:
        self.room, self.last, self.frames = room, after, frames
        self.seqs: list[int] = []
        self.events: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self.reloads: list[dict[str, Any]] = []
        self.joined = threading.Event()
        self.following, self.early = False, []
        self.lock = threading.Lock()
        self.client = socketio.Client(
            reconnection=reconnect, reconnection_delay=0.2, reconnection_delay_max=0.5
        )
        self.client.on("frame", self._frame)
        for name in ("item", "story"):  # the per-event protocol, for a client that asks for no frames
            self.client.on(
                name, lambda data, name=name: self._frame({"events": [{"event": name, "data": data}]})
            )
        self.client.on("reload", self.reloads.append)
        self.client.on("connect", lambda: self.client.start_background_task(self.join))
        self.client.connect(url, transports=["websocket"], wait_timeout=10)
        wait_for(self.joined.is_set, timeout=20)

    def join(self) -> None:
        with self.lock:
            self.following = False  # frames that come before the acknowledgement wait for it
        while True:
            ack = self.client.call(
                "join", {**self.room, "after": self.last, "frames": self.frames}, timeout=20
            )
            self.acks.append(ack)
            if ack.get("retry_after"):
                self.client.sleep(ack["retry_after"])
                continue
            if not ack["ok"]:
                self.joined.set()
                return
            self._apply(ack["events"])
            if not ack["more"]:
                with self.lock:
                    self.following = True
                    early, self.early = self.early, []
                for events in early:
                    self._apply(events)
                self.joined.set()
                return

    def _frame(self, frame: dict[str, Any]) -> None:
        with self.lock:
            if not self.following:
                self.early.append(frame["events"])
                return
        self._apply(frame["events"])

    def _apply(self, events: list[dict[str, Any]]) -> None:
        with self.lock:
            for entry in events:
                seq = entry["data"]["seq"]
                self.seqs.append(seq)
                self.events.append(entry)
                self.last = max(self.last, seq)

    @property
    def worker(self) -> str:
        return next(ack["worker"] for ack in self.acks if ack.get("ok"))

    def has(self, seqs: list[int]) -> bool:
        with self.lock:
            return set(seqs) <= set(self.seqs)

    def close(self) -> None:
        self.client.disconnect()


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.redis = RedisServer(folder)
        queue = {"TAGSTORY_MESSAGE_QUEUE": self.redis.url}
        primary_env = {**queue, "TAGSTORY_COLLECT": "0", "TAGSTORY_STREAM_RETENTION": str(RETENTION)}
        edge_env = {
            **queue,
            "TAGSTORY_ROLE": "edge",
            "TAGSTORY_DATABASE": str(folder / "absent" / "x.sqlite"),
        }
        started: dict[str, Any] = {}

        def primary() -> None:
            started["primary"] = LiveServer(folder, primary_env)
            started["primary"].cli("create-curator", "ada")
            started["token"] = started["primary"].cli("create-token", "ada").strip().splitlines()[-1]

        def edge(index: int) -> None:
            started[f"edge{index}"] = LiveServer(folder, edge_env, probe="/health")

        # Started side by side: on a loaded machine each Python process takes seconds to start.
        threads = [threading.Thread(target=primary)] + [
            threading.Thread(target=edge, args=(i,)) for i in (0, 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert {"primary", "token", "edge0", "edge1"} <= set(started), "a process failed to start"
        self.primary, self.edges = started["primary"], [started["edge0"], started["edge1"]]
        self.nginx = Nginx(self.primary.port, [edge.port for edge in self.edges], folder)
        self.auth = {"Authorization": f"Bearer {started['token']}"}

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, f"{self.nginx.url}/api{path}", headers=self.auth, timeout=10, **kwargs
        )
        assert response.ok, response.text
        return response.json()

    def feed(self, name: str) -> int:
        """Create feed `name`; return the log's seq after it (what its page would hand a viewer)."""
        self.api("POST", "/feeds", json={"name": name, "query": f"#{name}", "sources": []})
        return self.post(name, "first")

    def post(self, feed: str, text: str) -> int:
        return self.api(
            "POST", f"/feeds/{feed}/items", json={"text": text, "author": {"name": "Ada", "handle": "ada"}}
        )["seq"]

    def redis_text(self) -> str:
        """Everything Redis holds, as text."""
        client = redis.Redis.from_url(self.redis.url)
        parts = []
        for key in client.scan_iter():
            kind = client.type(key).decode()
            if kind == "stream":
                parts += [repr(fields) for _id, fields in client.xrange(key)]
            elif kind == "zset":
                parts += [member.decode() for member in client.zrange(key, 0, -1)]
            elif kind == "hash":
                parts += [repr(client.hgetall(key))]
            else:
                parts.append(repr(client.get(key)))
        return "\n".join(parts)

    def stop(self) -> None:
        for part in (self.nginx, *self.edges, self.primary, self.redis):
            part.stop()


@dataclass
class Feed:
    """A feed of one test's own, created on the cluster with one post."""

    name: str
    after: int  # the log's seq after its first post: what its page would hand a viewer

    @property
    def room(self) -> dict[str, str]:
        return {"feed": self.name}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The processes, shared by a module's tests for speed; each test makes its own feed (`feed`)."""
    running = Cluster(tmp_path_factory.mktemp("edge"))
    yield running
    running.stop()


@pytest.fixture
def feed(cluster: Cluster, request: pytest.FixtureRequest) -> Feed:
    """A feed named after the test, so that a test depends on no other (any order, any xdist split)."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower())[:64].strip("-")
    return Feed(name, cluster.feed(name))
