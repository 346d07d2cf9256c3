"""The bench's verdict on the two-worker target (bench/fanout.py), from rows of known figures."""

from __future__ import annotations

from bench.fanout import print_targets


def _row(target: str, deliveries: float, us: float, cpu: float, workers: list[float]) -> dict:
    return {
        "scenario": "sat@500",
        "kind": "sat",
        "target": target,
        "deliveries_per_s": deliveries,
        "server_us_per_delivery": us,
        "server_cpu_pct": cpu,
        "worker_cpu_pct": workers,
    }


def test_two_workers_are_judged_per_core_with_the_busier_workers_share(capsys) -> None:
    one = _row("app-1w", 80_000, 10.0, 80, [])
    even = _row("app-2w", 70_000, 12.0, 84, [42, 42])  # 2 x 10 / 12 = 1.67
    print_targets([one, even])
    out = capsys.readouterr().out
    assert "2 workers 0.88× app-1w's deliveries/s as measured" in out
    assert "2 workers on 2 cores 1.67× 1 worker on 1" in out and "(≥ 1.6): met" in out
    uneven = _row("app-2w", 70_000, 12.0, 84, [56, 28])  # the busier does 2/3: 10 / (2/3 x 12) = 1.25
    print_targets([one, uneven])
    assert "2 workers on 2 cores 1.25× 1 worker on 1" in capsys.readouterr().out
