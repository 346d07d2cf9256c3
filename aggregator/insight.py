"""A feed's numbers over a time window, computed from its stored posts (read-only).

Every figure comes with `filter`: the items API's query arguments that list exactly the
posts it counts (`GET /api/feeds/<feed>/items?…`), so no number is a black box. The window
is on the posts' own time (`created_at`): `since` inclusive, `until` exclusive. Every post
of the feed in the window counts, whatever its moderation status (the figures are for
curators); deleted posts do not.

The numbers are read from the feed's per-minute buckets (aggregator/insight_buckets.py),
which aggregator/membership.py keeps in the same transaction as every change of a post, so
they are exact without a scan of the feed; only a window's partial edge minutes and a
story's pins are counted here post by post (docs/insight.md, "How fast").
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from aggregator import clock, insight_keys
from aggregator.db import Database
from aggregator.insight_buckets import MinuteSpan, largest_first

TOP = 10
ALL_STATUSES = "approved,pending,hidden"
MINUTE = insight_keys.MINUTE


class WindowError(ValueError):
    """`since` or `until` is not an ISO 8601 time, or the window is empty."""


def window(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """The window's bounds normalized to Tagstory's timestamps, or a WindowError."""
    bounds = []
    for name, value in (("since", since), ("until", until)):
        if value in (None, ""):
            bounds.append(None)
            continue
        normalized = clock.normalize(value)
        if normalized is None:
            raise WindowError(f"'{name}' must be an ISO 8601 time such as 2012-05-29T18:00:00Z")
        bounds.append(normalized)
    if bounds[0] and bounds[1] and bounds[0] >= bounds[1]:
        raise WindowError("'since' must be before 'until'")
    return bounds[0], bounds[1]


def _minute_bounds(minute: str, since: str | None, until: str | None) -> dict[str, str]:
    """The `since`/`until` filter of one minute, clipped to the window (no `until` after 9999)."""
    bounds = {"since": max(minute + ":00.000Z", since or "")}
    try:
        end = datetime.fromisoformat(minute + ":00+00:00") + timedelta(minutes=1)
    except OverflowError:  # the last minute of year 9999
        return {**bounds, "until": until} if until else bounds
    return {
        **bounds,
        "until": min(end.isoformat(timespec="milliseconds").replace("+00:00", "Z"), until or "~"),
    }


class _Counts:
    """The counts of a window: the buckets of its whole minutes (aggregator/insight_buckets.py)
    plus the posts counted here one by one (the window's partial edge minutes, or a story's
    pins, which read no bucket)."""

    def __init__(
        self, db: Database, feed_id: int, story_id: int | None, since: str | None, until: str | None
    ) -> None:
        self.db, self.feed_id, self.story_id = db, feed_id, story_id
        self.since, self.until = since, until
        self.posts: insight_keys.Buckets = Counter()
        self.times: list[str] = []  # the created_at of the posts counted here
        self.span: MinuteSpan | None = None
        first, last = (since or "")[:MINUTE], (until or "")[:MINUTE]
        if story_id is not None or (since and until and first == last):  # no whole minute to read
            self._count_posts(since, until)
            return
        low = high = None
        if since:
            aligned = since == first + ":00.000Z"
            low = (">=", first) if aligned else (">", first)
            if not aligned:
                self._count_posts(since, first + ";")  # the rest of its minute (';' follows ':')
        if until:
            high = last
            if until != last + ":00.000Z":
                self._count_posts(last + ":", until)
        self.span = MinuteSpan(db, feed_id, low, high)

    def _count_posts(self, since: str | None, until: str | None) -> None:
        """Count the feed's posts in [since, until) (a story's: its pins) one by one."""
        where, params = self.posts_where(since, until)
        for row in self.db.query(f"SELECT {insight_keys.post_columns()}, f.status, f.reason {where}", params):
            self.posts.update(insight_keys.counted(row, row["status"], row["reason"]))
            self.times.append(row["created_at"])

    def posts_where(self, since: str | None, until: str | None) -> tuple[str, list[Any]]:
        """FROM and WHERE over the feed's posts `i` (its memberships `f`) in [since, until) that
        count, read by time, by author or from the story's pins: never a scan of the whole feed."""
        params: list[Any] = []
        if self.story_id is not None:
            sql = (
                "FROM feed_items f CROSS JOIN items i WHERE f.feed_id = ? AND f.item_id IN"
                " (SELECT item_id FROM elements WHERE story_id = ? AND item_id IS NOT NULL)"
                " AND i.id = f.item_id"
            )
            params += [self.feed_id, self.story_id]
        else:
            sql = "FROM items i CROSS JOIN feed_items f WHERE f.feed_id = ? AND f.item_id = i.id"
            params.append(self.feed_id)
        sql += " AND i.deleted = 0"
        for condition, value in (("i.created_at >= ?", since), ("i.created_at < ?", until)):
            if value:
                sql += f" AND {condition}"
                params.append(value)
        return sql, params

    def _counted_here(self, figure: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for (_, counted_figure, key), n in self.posts.items():
            if counted_figure == figure:
                found[key] += n
        return found

    def volume(self) -> Counter[tuple[str, str]]:
        """Posts per (minute, network)."""
        found = Counter(self.span.per_minute) if self.span else Counter()
        for (minute, figure, key), n in self.posts.items():
            if figure == "network":
                found[(minute, key)] += n
        return found

    def by_key(self, figure: str) -> Counter[str]:
        """Every key of a (small) figure with its count."""
        found = self.span.by_key(figure) if self.span else Counter()
        found.update(self._counted_here(figure))
        return found

    def top(self, figure: str, limit: int = TOP) -> list[tuple[str, int]]:
        """A figure's `limit` largest keys, largest first (ties by key), exact.

        The span's own top `limit` and every key counted here are the only candidates: any
        other key has at most the span's count of its last one, and ranks after it.
        """
        here = self._counted_here(figure)
        found: Counter[str] = Counter()
        if self.span:
            found.update(dict(self.span.top(figure, limit)))
            found.update(self.span.counts_of(figure, [key for key in here if key not in found]))
        found.update(here)
        return largest_first(found)[:limit]

    def first_and_last(self) -> tuple[str | None, str | None]:
        """The time of the first and the last post counted."""
        times = list(self.times)
        edges = self.span.first_and_last_minute() if self.span else (None, None)
        for minute, pick in zip(edges, ("min", "max"), strict=True):
            if minute is not None:
                sql, params = self.posts_where(minute + ":", minute + ";")  # that whole minute
                found = self.db.query_one(f"SELECT {pick}(i.created_at) AS at {sql}", params)
                times += [found["at"]] if found["at"] else []
        return (min(times), max(times)) if times else (None, None)

    def latest_name(self, author: str) -> str | None:
        """The name on the author's latest post counted (read by the index of posts by author)."""
        sql, params = self.posts_where(self.since, self.until)
        found = self.db.query_one(
            f"SELECT i.author_name AS name {sql} AND COALESCE(i.author_handle, i.author_name) = ?"
            " ORDER BY i.created_at DESC, i.author_name DESC LIMIT 1",
            [*params, author],
        )
        return found["name"] if found else None


def feed_insight(
    db: Database,
    feed: dict[str, Any],
    since: str | None = None,
    until: str | None = None,
    story: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The feed's figures in [since, until): volume per minute and network, top contributors,
    hashtags, links and media types, replies and reposts, languages and moderation.

    With `story` (one over this feed), only the posts it pins count, and the links say so.
    The feed's figures come from its per-minute buckets, exact because they change in the
    same transaction as its posts; the partial minutes at the window's edges, and a story's
    pins, are counted from the posts themselves.
    """
    since, until = window(since, until)
    base: dict[str, str] = {"status": ALL_STATUSES, "deleted": "0"}
    if story:
        base["pinned_in"] = story["slug"]
    if since:
        base["since"] = since
    if until:
        base["until"] = until
    counts = _Counts(db, feed["id"], story["id"] if story else None, since, until)

    def figure(count: int, **extra: str) -> dict[str, Any]:
        return {"count": count, "filter": {**base, **extra}}

    per_minute = counts.volume()
    total = sum(per_minute.values())
    first, last = counts.first_and_last()
    bounds = {minute: _minute_bounds(minute, since, until) for minute, _ in per_minute}
    volume = [
        {"minute": minute + ":00Z", "network": network, **figure(n, network=network, **bounds[minute])}
        for (minute, network), n in sorted(per_minute.items())
        if n
    ]
    replies, reposts = counts.by_key("reply")[""], counts.by_key("repost")[""]
    statuses = counts.by_key("status")
    return {
        "feed": feed["name"],
        "story": story["slug"] if story else None,
        "window": {"since": since, "until": until, "first": first, "last": last},
        "total": figure(total),
        "volume": volume,
        "networks": sorted({row["network"] for row in volume}),
        "contributors": [
            {"author": author, "name": counts.latest_name(author), **figure(n, author=author)}
            for author, n in counts.top("author")
        ],
        "hashtags": [{"hashtag": tag, **figure(n, hashtag=tag)} for tag, n in counts.top("hashtag")],
        "links": [{"link": link, **figure(n, link=link)} for link, n in counts.top("link")],
        "media": [
            {"type": kind, **figure(n, media_type=kind)} for kind, n in largest_first(counts.by_key("media"))
        ],
        "replies": {**figure(replies, replies="1"), "share": _share(replies, total)},
        "reposts": {**figure(reposts, reposts="1"), "share": _share(reposts, total)},
        "languages": [
            {"lang": lang or None, **(figure(n, lang=lang) if lang else {"count": n})}
            for lang, n in largest_first(counts.by_key("lang"))
        ],
        "moderation": {
            status: figure(statuses[status], status=status) for status in ("approved", "pending", "hidden")
        }
        | {
            "rules": [
                {"reason": reason, **figure(n, status="hidden", reason=reason)}
                for reason, n in largest_first(counts.by_key("rule"))
            ]
        },
    }


def _share(part: int | None, total: int) -> float:
    """`part` of `total` as a fraction rounded to 4 places (0 when there is nothing)."""
    return round((part or 0) / total, 4) if total else 0.0
