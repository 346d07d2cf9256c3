"""A feed's numbers over a time window, computed from its stored posts (read-only).

Every figure comes with `filter`: the items API's query arguments that list exactly the
posts it counts (`GET /api/feeds/<feed>/items?…`), so no number is a black box. The window
is on the posts' own time (`created_at`): `since` inclusive, `until` exclusive. Every post
of the feed in the window counts, whatever its moderation status (the figures are for
curators); deleted posts do not.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from aggregator import clock, post_terms
from aggregator.db import Database

TOP = 10
ALL_STATUSES = "approved,pending,hidden"
MINUTE = 16  # len("2012-05-29T18:00")


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


def _lang_key() -> str:
    """A post's language as the stream's `lang` filter matches it: the primary subtag, lower."""
    return "lower(substr(i.lang, 1, instr(i.lang || '-', '-') - 1))"


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
    """
    since, until = window(since, until)
    base: dict[str, str] = {"status": ALL_STATUSES}
    where, params = "f.feed_id = ? AND i.deleted = 0", [feed["id"]]
    if story:
        where += " AND i.id IN (SELECT item_id FROM elements WHERE story_id = ? AND item_id IS NOT NULL)"
        params.append(story["id"])
        base["pinned_in"] = story["slug"]
    if since:
        where += " AND i.created_at >= ?"
        params.append(since)
        base["since"] = since
    if until:
        where += " AND i.created_at < ?"
        params.append(until)
        base["until"] = until
    source = f"FROM feed_items f JOIN items i ON i.id = f.item_id WHERE {where}"

    def figure(count: int, **extra: str) -> dict[str, Any]:
        return {"count": count, "filter": {**base, **extra}}

    total_row = db.query_one(
        "SELECT count(*) AS n, min(i.created_at) AS first, max(i.created_at) AS last,"
        " sum(i.reply_to IS NOT NULL) AS replies, sum(i.repost_of IS NOT NULL) AS reposts " + source,
        params,
    )
    total = total_row["n"]

    volume = [
        {
            "minute": row["minute"] + ":00Z",
            "network": row["source"],
            **figure(
                row["n"],
                network=row["source"],
                **_minute_bounds(row["minute"], since, until),
            ),
        }
        for row in db.query(
            f"SELECT substr(i.created_at, 1, {MINUTE}) AS minute, i.source, count(*) AS n {source}"
            " GROUP BY minute, i.source ORDER BY minute, i.source",
            params,
        )
    ]
    contributors = [
        {"author": row["author"], "name": row["name"], **figure(row["n"], author=row["author"])}
        for row in db.query(
            "SELECT COALESCE(i.author_handle, i.author_name) AS author, max(i.author_name) AS name,"
            f" count(*) AS n {source} GROUP BY author ORDER BY n DESC, author LIMIT {TOP}",
            params,
        )
    ]
    tags: Counter[str] = Counter()
    links: Counter[str] = Counter()
    for row in db.query(f"SELECT i.text {source} AND (i.text LIKE '%#%' OR i.text LIKE '%http%')", params):
        tags.update(post_terms.hashtags(row["text"]))
        links.update(post_terms.links(row["text"]))
    media = [
        {"type": row["type"], **figure(row["n"], media_type=row["type"])}
        for row in db.query(
            "SELECT t.type, count(*) AS n FROM (SELECT DISTINCT i.id, json_extract(m.value, '$.type') AS type"
            f" FROM feed_items f JOIN items i ON i.id = f.item_id, json_each(i.media) m WHERE {where}"
            " AND i.media != '[]') t WHERE t.type IS NOT NULL GROUP BY t.type ORDER BY n DESC, t.type",
            params,
        )
    ]
    languages = [
        {
            "lang": row["lang_key"] or None,
            **(figure(row["n"], lang=row["lang_key"]) if row["lang_key"] else {"count": row["n"]}),
        }
        for row in db.query(
            f"SELECT {_lang_key()} AS lang_key, count(*) AS n {source}"
            " GROUP BY lang_key ORDER BY n DESC, lang_key",
            params,
        )
    ]
    statuses = {
        row["status"]: row["n"]
        for row in db.query(f"SELECT f.status, count(*) AS n {source} GROUP BY f.status", params)
    }
    rules = [
        {"reason": row["reason"], **figure(row["n"], status="hidden", reason=row["reason"])}
        for row in db.query(
            f"SELECT f.reason, count(*) AS n {source} AND f.status = 'hidden' AND f.reason IS NOT NULL"
            " GROUP BY f.reason ORDER BY n DESC, f.reason",
            params,
        )
    ]
    return {
        "feed": feed["name"],
        "story": story["slug"] if story else None,
        "window": {"since": since, "until": until, "first": total_row["first"], "last": total_row["last"]},
        "total": figure(total),
        "volume": volume,
        "networks": sorted({row["network"] for row in volume}),
        "contributors": contributors,
        "hashtags": [
            {"hashtag": tag, **figure(n, hashtag=tag)}
            for tag, n in sorted(tags.items(), key=lambda t: (-t[1], t[0]))[:TOP]
        ],
        "links": [
            {"link": link, **figure(n, link=link)}
            for link, n in sorted(links.items(), key=lambda t: (-t[1], t[0]))[:TOP]
        ],
        "media": media,
        "replies": {
            **figure(total_row["replies"] or 0, replies="1"),
            "share": _share(total_row["replies"], total),
        },
        "reposts": {
            **figure(total_row["reposts"] or 0, reposts="1"),
            "share": _share(total_row["reposts"], total),
        },
        "languages": languages,
        "moderation": {
            status: figure(statuses.get(status, 0), status=status)
            for status in ("approved", "pending", "hidden")
        }
        | {"rules": rules},
    }


def _share(part: int | None, total: int) -> float:
    """`part` of `total` as a fraction rounded to 4 places (0 when there is nothing)."""
    return round((part or 0) / total, 4) if total else 0.0
