"""Limits that networks count over a rolling window, kept in a source's cursor like X's read budget.

Threads counts keyword-search queries per user over a rolling 24 hours; Instagram counts
distinct hashtags per account over a rolling 7 days. The counts are plain JSON in the
cursor, stored with the items in one transaction: a restarted (or killed) collector goes on
from the stored count. `shown` writes what the source's health displays (`quota`, read by
aggregator.feeds).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _window_name(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"


class RollingCount:
    """At most `limit` uses per rolling `window` seconds, counted in buckets of `bucket` seconds.

    A use counts until the end of its bucket plus the window, so the count is never below
    the network's own. The state keeps `spent`: [[bucket start, uses], …].
    """

    def __init__(self, limit: int, window: float, bucket: float = 900.0) -> None:
        self.limit = limit
        self.window = window
        self.bucket = bucket

    def _alive(self, state: dict[str, Any], now: float) -> list[list[float]]:
        spent = [
            entry
            for entry in state.get("spent") or []
            if isinstance(entry, list) and len(entry) == 2 and entry[0] + self.bucket + self.window > now
        ]
        state["spent"] = spent
        return spent

    def used(self, state: dict[str, Any], now: float | None = None) -> int:
        """Uses still counted now."""
        return int(sum(count for _, count in self._alive(state, now or time.time())))

    def left(self, state: dict[str, Any], now: float | None = None) -> int:
        """Uses still allowed now."""
        return max(0, self.limit - self.used(state, now))

    def spend(self, state: dict[str, Any], uses: int = 1, now: float | None = None) -> None:
        """Count `uses` (negative: give back uses counted in advance that the network did not count)."""
        now = now or time.time()
        spent = self._alive(state, now)
        start = math.floor(now / self.bucket) * self.bucket
        if spent and spent[-1][0] == start:
            spent[-1][1] = max(0, spent[-1][1] + uses)
        elif uses > 0:
            spent.append([start, uses])
        elif spent:  # a refund after the bucket turned: take it from the newest bucket
            spent[-1][1] = max(0, spent[-1][1] + uses)

    def frees_in(self, state: dict[str, Any], now: float | None = None) -> float:
        """Seconds until at least one use is allowed again (0: now)."""
        now = now or time.time()
        spent = self._alive(state, now)
        excess = self.used(state, now) - self.limit + 1
        for start, count in spent:  # oldest first: the uses that stop counting first
            excess -= count
            if excess <= 0:
                return max(1.0, start + self.bucket + self.window - now)
        return 0.0

    def shown(self, state: dict[str, Any], note: str | None = None, now: float | None = None) -> None:
        """Write the health's view of this count into the state (`quota`)."""
        now = now or time.time()
        wait = self.frees_in(state, now) if self.left(state, now) == 0 else 0.0
        state["quota"] = {
            "used": self.used(state, now),
            "limit": self.limit,
            "window": _window_name(self.window),
            "counted_at": _iso(now),
            "resumes_at": _iso(now + wait) if wait else None,
            **({"note": note} if note else {}),
        }


class DistinctKeys:
    """At most `limit` distinct keys (hashtags) per rolling `window` seconds.

    A key counts from its first use for `window` seconds; using it again within them costs
    nothing and does not restart its window. The state keeps `keys`: {key: {first, …}}.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window

    def _counted(self, state: dict[str, Any], now: float) -> dict[str, dict[str, Any]]:
        keys = state.setdefault("keys", {})
        return {
            key: entry
            for key, entry in keys.items()
            if isinstance(entry, dict) and isinstance(entry.get("first"), (int, float))
            and entry["first"] + self.window > now
        }  # fmt: skip

    def used(self, state: dict[str, Any], now: float | None = None) -> int:
        """Distinct keys counted now."""
        return len(self._counted(state, now or time.time()))

    def costs(self, state: dict[str, Any], key: str, now: float | None = None) -> bool:
        """Whether using `key` now counts as a new key."""
        return key not in self._counted(state, now or time.time())

    def take(self, state: dict[str, Any], key: str, now: float | None = None) -> bool:
        """Count `key` if it is not counted yet and the limit allows it; False when it does not."""
        now = now or time.time()
        if not self.costs(state, key, now):
            return True
        if self.used(state, now) >= self.limit:
            return False
        self.entry(state, key)["first"] = now
        return True

    def entry(self, state: dict[str, Any], key: str) -> dict[str, Any]:
        """What is kept for `key` besides its count (e.g. the network's id for it)."""
        return state.setdefault("keys", {}).setdefault(key, {})

    def frees_in(self, state: dict[str, Any], now: float | None = None) -> float:
        """Seconds until one more key may be counted (0: now)."""
        now = now or time.time()
        counted = self._counted(state, now)
        if len(counted) < self.limit:
            return 0.0
        return max(1.0, min(entry["first"] for entry in counted.values()) + self.window - now)

    def shown(self, state: dict[str, Any], note: str | None = None, now: float | None = None) -> None:
        """Write the health's view of this count into the state (`quota`)."""
        now = now or time.time()
        wait = self.frees_in(state, now)
        state["quota"] = {
            "used": self.used(state, now),
            "limit": self.limit,
            "window": _window_name(self.window),
            "counted_at": _iso(now),
            "resumes_at": _iso(now + wait) if wait else None,
            **({"note": note} if note else {}),
        }
