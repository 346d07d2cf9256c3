"""Keep `make bench` from rotting: the fan-out bench at a tiny size (no timing asserts)."""

import pytest

from bench import fanout, mirror

pytestmark = pytest.mark.process  # the bench starts its own servers and viewer processes


def test_fanout_bench_delivers_every_item_once_to_every_viewer(capsys):
    tiny = "--scenarios 5@5 --targets app,reference --seconds 1 --processes 1 --drain 20 --no-pin"
    rows = fanout.main(tiny.split())
    assert [row["target"] for row in rows] == ["app", "reference"]
    for row in rows:
        assert (row["joined"], row["viewers"]) == (5, 5)
        assert row["posted"] > 0
        assert (row["lost"], row["duplicates"]) == (0, 0)
    assert "| scenario |" in capsys.readouterr().out


def test_reconnect_storm_catches_every_viewer_up_once():
    tiny = "--scenarios storm@10 --targets app --seconds 2 --processes 1 --drain 20 --no-pin --quick"
    [row] = fanout.main(tiny.split())
    assert (row["joined"], row["caught_up"]) == (10, 10)
    assert row["posted"] > 0
    assert (row["lost"], row["duplicates"]) == (0, 0)


def test_mirror_bench_mirrors_every_event_once_and_reports_each_pass_size(capsys):
    rows = mirror.main(["--events", "20", "--passes", "1,5"])
    assert [(row["size"], row["events"]) for row in rows] == [(1, 20), (5, 20)]
    assert [row["passes"] for row in rows] == [20, 4]
    assert "events per pass" in capsys.readouterr().out
