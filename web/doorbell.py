"""The Redis doorbell: a process that commits tells the others sharing its Redis to read the log.

A ring is a `PUBLISH` on `CHANNEL` (the message is the last seq committed; listeners only
wake). Every ring costs its sender a Redis round trip and wakes every listening process
(its own included), yet a listener's broadcaster delivers at most once per frame tick
(`TAGSTORY_FRAME_TICK_MS`, 40 ms at least): what rings during a tick only says "deliver
when the tick ends". So a process rings at once after a quiet spell and then at most once
per shortest frame tick (app.py passes `FRAME_TICK_MS`): commits in between are carried by
one ring at the end of it. Two web workers taking 1,000 posts/s commit ~430 groups a
second between them, and each group rang both workers' listeners and Redis; now each
worker rings at most 25 times a second.

What another process commits reaches its viewers at most one tick later than at once,
and only when that process had rung within the last tick.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "tagstory:event-log"
RING_SECONDS = 0.04  # the shortest time between two rings of one process (app.py: the frame tick)


class Doorbell:
    """The `publish` of a process sharing the log with others: rings `CHANNEL`, at most once per `interval`.

    Called after each commit with its events. The first commit after `interval` without a
    ring rings at once; later ones leave their seq for the ringer, a thread that rings the
    last seq due when `interval` has passed since the last ring, and goes on ringing once per
    interval while commits keep coming (a busy process keeps one ringer, not one timer per
    ring: starting a thread per ring cost more than the ring). It ends after an interval
    with nothing due; it is not a daemon, so a process that ends meanwhile rings before it
    exits. Nothing committed is ever left unrung.
    """

    def __init__(self, client: Any, interval: float = RING_SECONDS) -> None:
        self.client, self.interval = client, interval
        self.clock = time.monotonic
        self.lock = threading.Lock()
        self.rang_at = float("-inf")
        self.due: int | None = None  # the last seq committed since the last ring, while a ring waits
        self.ringing = False  # a ringer runs

    def __call__(self, events: list[dict[str, Any]]) -> None:
        seq = events[-1]["seq"]
        with self.lock:
            if self.due is not None:  # the ring that waits will carry this commit too
                self.due = max(self.due, seq)
                return
            wait = self.rang_at + self.interval - self.clock()
            if wait > 0 or self.ringing:
                self.due = seq
                if not self.ringing:
                    self.ringing = True
                    threading.Thread(target=self._ring_while_due, args=(wait,), name="doorbell").start()
                return
            self.rang_at = self.clock()
        self._publish(seq)

    def _ring_while_due(self, wait: float) -> None:
        """The ringer: after `wait`, ring the seq due; then once per interval while one is due."""
        while True:
            time.sleep(wait)
            with self.lock:
                seq, self.due = self.due, None
                if seq is None:
                    self.ringing = False
                    return
                self.rang_at = self.clock()
            self._publish(seq)
            wait = self.interval

    def _publish(self, seq: int) -> None:
        try:
            self.client.publish(CHANNEL, str(seq))
        except Exception as error:  # the events are committed; pollers will still see them
            log.warning("could not ring the message queue: %s", error)


def redis_doorbell(redis_url: str, interval: float = RING_SECONDS) -> Doorbell:
    """A `publish` callable that tells every process sharing `redis_url` to deliver."""
    import redis

    return Doorbell(redis.Redis.from_url(redis_url), interval)
