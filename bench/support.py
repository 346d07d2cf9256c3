"""What the tests and the bench share: a live `python app.py` or redis-server on a free port, condition waits.

It lives in bench/ because the bench runs without the tests (bench/ never imports tests/),
while the tests may use the bench (tests/conftest.py builds its fixtures on this module).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {condition}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


START_SECONDS = 60  # to answer its first request: on a loaded machine the imports alone take 10-30 s


class LiveServer:
    """`python app.py` in its own process, as `make run` starts it, on a free port."""

    def __init__(
        self,
        tmp: Path,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        probe: str = "/api/feeds",  # an edge node answers /health only
    ) -> None:
        self.probe = probe
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = str(tmp / "live.sqlite")
        self.log = tmp / f"server-{self.port}.log"
        environment = {
            **os.environ,
            "PORT": str(self.port),
            "TAGSTORY_DATABASE": self.database,
            "TAGSTORY_SECRET_KEY": "live-test",
            "TAGSTORY_DEMO": "0",
            "TAGSTORY_REPLAY_SPEED": "0",
            **(env or {}),
        }
        self.command = [sys.executable, str(ROOT / "app.py"), *(args or [])]
        self.environment = environment
        self._start()

    def _start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for(self._answers, timeout=START_SECONDS)
        except BaseException:  # not answering: never leave it running behind the error
            self.stop()
            raise

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"server exited: {self.log.read_text()}")
        try:
            return requests.get(self.url + self.probe, timeout=1).ok
        except requests.ConnectionError:
            return False

    def cli(self, *args: str) -> str:
        """Run `flask --app app ARGS` against this server's database; return its output."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env={**os.environ, "TAGSTORY_DATABASE": self.database, "TAGSTORY_DEMO": "0"},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def stop(self) -> None:
        stop_process(self.process)

    def restart(self) -> None:
        """Stop the process and start a new one on the same port and database (cuts every socket)."""
        self.stop()
        self._start()


def stop_process(process: subprocess.Popen) -> None:
    """Terminate `process`, killing it if it has not exited within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    """A private redis-server on a free port, without persistence (a restart comes back empty)."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is missing: run `make test`, which installs it")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_for(lambda: _pong(client))

    def empty(self) -> None:
        """Drop every key (FLUSHALL): the next server starts on a Redis as fresh as its database."""
        redis.Redis(port=self.port).flushall()

    def stop(self) -> None:
        stop_process(self.process)


def _pong(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
