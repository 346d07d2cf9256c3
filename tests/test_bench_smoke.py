"""Keep `make bench` from rotting: the whole fan-out bench at a tiny size (no timing asserts)."""

import pytest

from bench import fanout

pytestmark = pytest.mark.process  # the bench starts its own servers and viewer processes


def test_fanout_bench_delivers_every_item_once_to_every_viewer(capsys):
    tiny = "--viewers 5 --also= --rate 5 --seconds 1 --modes gevent --processes 1 --drain 20"
    rows = fanout.main(tiny.split())
    [row] = rows
    assert (row["joined"], row["viewers"]) == (5, 5)
    assert row["posted"] > 0
    assert (row["lost"], row["duplicates"]) == (0, 0)
    assert "| viewers |" in capsys.readouterr().out
