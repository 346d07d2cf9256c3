"""Reading a feed's insight buckets over a span of whole minutes (read-only; aggregator/membership.py
writes them, aggregator/insight.py adds a window's partial edge minutes).

A span is read from whichever side is smaller: the buckets of its minutes, or the feed's
all-time totals less the buckets outside it. Either way the counts are exact; the cost
follows the buckets read, so a window of most of a feed costs what the rest of it does.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from aggregator.db import Database, in_chunks
from aggregator.insight_keys import ALL_TIME

AFTER_LAST = "~"  # sorts after any minute
# The SQL below writes ALL_TIME out as the literal '*': the partial index of the totals
# (insight_buckets_top, migration 0007) serves only a query that says `minute = '*'`.
OPPOSITE = {">": "<=", ">=": "<"}


def largest_first(found: Counter[str]) -> list[tuple[str, int]]:
    """Every key with a count, largest first, ties by key."""
    return sorted(((key, n) for key, n in found.items() if n), key=lambda kv: (-kv[1], kv[0]))


class MinuteSpan:
    """The buckets of a feed's minutes with `minute <low operator> low` and `minute < high`;
    with neither bound, the feed's whole history (its totals)."""

    def __init__(self, db: Database, feed_id: int, low: tuple[str, str] | None, high: str | None) -> None:
        self.db, self.feed_id = db, feed_id
        self.all_time = low is None and high is None
        self.low, self.high = low or (">", ALL_TIME), high or AFTER_LAST
        self.per_minute = self._volume()
        self.complement = False
        if not self.all_time:
            inside = sum(self.per_minute.values())
            self.complement = inside > sum(self._totals("network").values()) - inside

    def _rows(self, figure: str, inside: bool = True) -> tuple[str, list[Any]]:
        """SQL for a figure's buckets (key, n) in the span's minutes, or in the feed's minutes
        outside it (never the totals)."""
        operator, low = self.low
        base = "SELECT key, n FROM insight_buckets WHERE feed_id = ? AND figure = ?"
        if inside:
            return f"{base} AND minute {operator} ? AND minute < ?", [self.feed_id, figure, low, self.high]
        return (
            f"{base} AND minute > '*' AND minute {OPPOSITE[operator]} ? UNION ALL {base} AND minute >= ?",
            [self.feed_id, figure, low, self.feed_id, figure, self.high],
        )

    def _sum(self, figure: str, inside: bool, keys: list[str] | None = None) -> Counter[str]:
        """A figure's counts per key, summed over the span's minutes or those outside it (of
        `keys` only, when given)."""
        sql, params = self._rows(figure, inside)
        if keys is None:
            rows = self.db.query(f"SELECT key, sum(n) AS n FROM ({sql}) GROUP BY key", params)
            return Counter({row["key"]: row["n"] for row in rows})
        found: Counter[str] = Counter()
        for chunk, marks in in_chunks(keys):
            rows = self.db.query(
                f"SELECT key, sum(n) AS n FROM ({sql}) WHERE key IN ({marks}) GROUP BY key", [*params, *chunk]
            )
            found.update({row["key"]: row["n"] for row in rows})
        return found

    def _volume(self) -> Counter[tuple[str, str]]:
        operator, low = self.low
        rows = self.db.query(
            "SELECT minute, key, n FROM insight_buckets WHERE feed_id = ? AND figure = 'network'"
            f" AND minute {operator} ? AND minute < ?",
            [self.feed_id, low, self.high],
        )
        return Counter({(row["minute"], row["key"]): row["n"] for row in rows})

    def _totals(self, figure: str, keys: list[str] | None = None) -> Counter[str]:
        """The feed's all-time counts of a figure (of `keys` only, when given)."""
        sql = "SELECT key, n FROM insight_buckets WHERE feed_id = ? AND figure = ? AND minute = '*'"
        params = [self.feed_id, figure]
        if keys is None:
            return Counter({row["key"]: row["n"] for row in self.db.query(sql, params)})
        found: Counter[str] = Counter()
        for chunk, marks in in_chunks(keys):
            rows = self.db.query(f"{sql} AND key IN ({marks})", [*params, *chunk])
            found.update({row["key"]: row["n"] for row in rows})
        return found

    def by_key(self, figure: str) -> Counter[str]:
        """Every key of a (small) figure with its count in the span."""
        return self.counts_of(figure, None)

    def counts_of(self, figure: str, keys: list[str] | None) -> Counter[str]:
        """The span's counts of some keys of a figure (every key: None)."""
        if not (self.all_time or self.complement):
            return self._sum(figure, inside=True, keys=keys)
        found = self._totals(figure, keys)
        if self.complement:
            found.subtract(self._sum(figure, inside=False, keys=keys))
        return found

    def top(self, figure: str, limit: int) -> list[tuple[str, int]]:
        """A figure's `limit` largest keys in the span, exact.

        From the complement: a key never counted outside the span has its total in it, so the
        first `limit` of those in the totals' order, and every key counted outside, are the only
        candidates.
        """
        totals = "SELECT key, n FROM insight_buckets WHERE feed_id = ? AND figure = ? AND minute = '*'"
        if self.all_time:
            rows = self.db.query(f"{totals} ORDER BY n DESC, key LIMIT ?", [self.feed_id, figure, limit])
            return [(row["key"], row["n"]) for row in rows]
        if self.complement:
            outside, params = self._rows(figure, inside=False)
            rows = self.db.query(
                f"WITH outside AS (SELECT key, sum(n) AS n FROM ({outside}) GROUP BY key)"
                " SELECT key, n FROM ("
                " SELECT t.key, t.n - o.n AS n FROM outside o JOIN insight_buckets t ON t.feed_id = ?"
                " AND t.figure = ? AND t.minute = '*' AND t.key = o.key WHERE t.n > o.n"
                f" UNION ALL SELECT * FROM ({totals} AND key NOT IN (SELECT key FROM outside)"
                " ORDER BY n DESC, key LIMIT ?)"
                ") ORDER BY n DESC, key LIMIT ?",
                [*params, self.feed_id, figure, self.feed_id, figure, limit, limit],
            )
            return [(row["key"], row["n"]) for row in rows]
        inside, params = self._rows(figure)
        rows = self.db.query(
            f"SELECT key, sum(n) AS n FROM ({inside}) GROUP BY key ORDER BY n DESC, key LIMIT ?",
            [*params, limit],
        )
        return [(row["key"], row["n"]) for row in rows]

    def first_and_last_minute(self) -> tuple[str | None, str | None]:
        """The span's first and last minute with a post."""
        minutes = [minute for (minute, _), n in self.per_minute.items() if n]
        return (min(minutes), max(minutes)) if minutes else (None, None)
