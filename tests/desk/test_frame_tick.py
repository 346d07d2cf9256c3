"""The frame tick grows with how long the last delivery took, from FRAME_TICK_MS to FRAME_TICK_MAX_MS.

A delivery to a big room takes long (one send per socket): waiting as long before the next
lets its frame carry more events for the same sends. The broadcaster's real loop runs here
with a clock that says how long each delivery took.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.desk.test_frames import follow, framed_seqs


class DeliveryClock:
    """A monotonic clock on which every delivery (two readings) lasts `step` seconds."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize(
    ("took", "tick"),
    [(0.005, 0.04), (0.1, 0.1), (0.3, 0.15), (2.0, 0.15)],
    ids=["quick: the tick", "long: as long", "longer: the bound", "far longer: the bound"],
)
def test_after_a_long_delivery_the_broadcaster_waits_as_long_within_the_bounds(
    app, post, socket_client, took, tick
):
    broadcaster = app.extensions["tagstory.broadcaster"]
    assert (broadcaster.tick_seconds, broadcaster.tick_max_seconds) == (0.04, 0.15)  # the defaults
    broadcaster.clock = DeliveryClock(took)
    viewer = socket_client()
    follow(viewer, feed="demo")
    runner = threading.Thread(target=broadcaster.run, daemon=True)
    runner.start()
    try:
        seq = post(1)["seq"]
        wait_for(lambda: broadcaster.delivered >= seq)
        wait_for(lambda: broadcaster.tick_now == pytest.approx(tick))
        written = [seq] + [post(n)["seq"] for n in range(2, 6)]
        wait_for(lambda: broadcaster.delivered >= written[-1])
    finally:
        broadcaster.stopped.set()
        broadcaster.wake.set()
        runner.join(10)
    assert [s for frame in framed_seqs(viewer) for s in frame] == written  # every post once, in order


@pytest.mark.parametrize(("setting", "bound"), [(1000, 1.0), (0, 0.04)])
def test_the_longest_tick_is_a_setting_and_never_shorter_than_the_tick(app_with, setting, bound):
    broadcaster: Any = app_with(FRAME_TICK_MAX_MS=setting).extensions["tagstory.broadcaster"]
    assert broadcaster.next_tick(5.0) == pytest.approx(bound)
    assert broadcaster.next_tick(0.001) == pytest.approx(0.04)
