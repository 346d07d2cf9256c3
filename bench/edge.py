"""The edge row of `make bench` (target `app-edge`): one primary and two edge nodes on this machine.

The primary (`python app.py` with the message queue) takes the posts and mirrors them to
Redis; the viewers are spread over two edges (`TAGSTORY_ROLE=edge`), half on each, connected
to them directly (nginx would only add its own cost). The row's server CPU, RSS and threads
are the two edges' (what grows with the crowd): its µs per delivery is what
docs/benchmarks.md turns into a number of edge nodes for a crowd (the primary's work grows
with the posts, not the viewers). Everything shares the machine's cores with the load
client, as the two-worker row does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.support import LiveServer

TARGET = "app-edge"
EDGES = 2


class EdgeCluster:
    """A primary (an `AppServer` with the queue) and `EDGES` edges reading its stream."""

    def __init__(self, folder: Path, redis_url: str, app_server: Any) -> None:
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # a stream left by an earlier row is not this log's
        self.primary = app_server(folder, None, 1, None, {"TAGSTORY_MESSAGE_QUEUE": redis_url})
        self.url, self.process, self.token = self.primary.url, self.primary.process, self.primary.token
        env = {"TAGSTORY_ROLE": "edge", "TAGSTORY_MESSAGE_QUEUE": redis_url}
        self.edges = [LiveServer(folder, env=env, probe="/health") for _ in range(EDGES)]

    def viewer_urls(self) -> list[str]:
        return [edge.url for edge in self.edges]

    def cpu_seconds(self) -> float:
        """The edges' CPU: the work that grows with the viewers."""
        from bench.fanout import server_cpu_seconds

        return sum(server_cpu_seconds(edge.process.pid) for edge in self.edges)

    def status(self) -> dict[str, int]:
        from bench.fanout import server_status

        each = [server_status(edge.process.pid) for edge in self.edges]
        return {key: sum(status[key] for status in each) for key in ("rss_mb", "threads")}

    def stop(self) -> None:
        for edge in self.edges:
            edge.stop()
        self.primary.stop()
