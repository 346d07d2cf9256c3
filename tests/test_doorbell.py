"""The Redis doorbell (web/doorbell.py) over a real redis-server: rings coalesce, none is lost."""

from __future__ import annotations

import time

import redis

from bench.support import wait_for
from web.doorbell import CHANNEL, Doorbell


class Listener:
    """A subscriber of the doorbell's channel, as a web worker's broadcaster is."""

    def __init__(self, url: str) -> None:
        self.pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(CHANNEL)
        wait_for(lambda: self.pubsub.get_message(timeout=0.05) is None and self.pubsub.subscribed)
        self.seqs: list[int] = []

    def heard(self) -> list[int]:
        while message := self.pubsub.get_message(timeout=0.05):
            self.seqs.append(int(message["data"]))
        return self.seqs


def test_commits_after_a_ring_are_carried_by_one_later_ring_with_the_last_seq(redis_url):
    listener = Listener(redis_url)
    ring = Doorbell(redis.Redis.from_url(redis_url), interval=0.5)
    ring.clock = lambda: 100.0  # time stands still: every commit after the first is within the interval
    for seq in range(1, 51):
        ring([{"seq": seq}])

    wait_for(lambda: listener.heard()[-1:] == [50], timeout=10)
    heard = listener.heard()
    assert heard[0] == 1, "the first commit after a quiet spell rings at once"
    assert heard == sorted(set(heard)), heard
    assert len(heard) < 50, "the commits within the interval share rings"


def test_a_commit_after_the_interval_rings_at_once(redis_url):
    listener = Listener(redis_url)
    now = [100.0]
    ring = Doorbell(redis.Redis.from_url(redis_url), interval=0.5)
    ring.clock = lambda: now[0]
    ring([{"seq": 7}])
    now[0] += 0.5  # a quiet interval: no ring waits
    ring([{"seq": 8}, {"seq": 9}])

    wait_for(lambda: listener.heard() == [7, 9], timeout=10)
    assert ring.due is None, "no ring was left waiting"


def test_a_steady_stream_of_commits_keeps_one_ringer_and_every_ring_in_order(redis_url):
    listener = Listener(redis_url)
    ring = Doorbell(redis.Redis.from_url(redis_url), interval=0.05)
    ringers = []
    ring_while_due = ring._ring_while_due
    ring._ring_while_due = lambda wait: ringers.append(wait) or ring_while_due(wait)
    for seq in range(1, 101):  # a commit every ~5 ms for half a second: ten intervals
        ring([{"seq": seq}])
        time.sleep(0.005)

    wait_for(lambda: listener.heard()[-1:] == [100], timeout=10)
    heard = listener.heard()
    assert heard == sorted(set(heard)), heard
    assert 2 <= len(heard) <= 20, "about one ring per interval"
    assert len(ringers) == 1, "one ringer carried every later ring"
    wait_for(lambda: not ring.ringing, timeout=10)  # it ends once nothing is due


def test_a_ring_redis_refuses_is_logged_not_raised(caplog):
    ring = Doorbell(redis.Redis(port=1, socket_connect_timeout=0.5))
    ring([{"seq": 1}])  # the commit is done: a doorbell that cannot ring must not fail it
    assert "could not ring the message queue" in caplog.text
