"""A feed's insight: its numbers as JSON, as a page (chart and table) and as CSV.

Curators only: the numbers include moderation counts and the rules that hid posts. Each
figure links to the posts behind it, the items API filtered by the figure's `filter`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from aggregator.insight import WindowError, feed_insight
from web.lookups import database, feed_or_404
from web.security import curator_required, current_curator

api = Blueprint("feeds_insight_api", __name__, url_prefix="/api")
pages = Blueprint("feeds_insight", __name__)

POSTS_PER_LINK = 500  # the items API's largest page


def _insight(name: str) -> dict[str, Any]:
    """The feed's insight for the request's window, each figure with `posts`: the link to them."""
    feed = feed_or_404(name)
    try:
        numbers = feed_insight(database(), feed, request.args.get("since"), request.args.get("until"))
    except WindowError as error:
        abort(400, str(error))
    for figure in _figures(numbers):
        figure["posts"] = url_for(
            "feeds_api.items_index", name=feed["name"], limit=POSTS_PER_LINK, **figure["filter"]
        )
    return numbers


def _figures(numbers: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every figure of an insight that has a `filter` (so a link)."""
    yield numbers["total"]
    for key in ("volume", "contributors", "hashtags", "links", "media", "languages"):
        yield from (row for row in numbers[key] if "filter" in row)
    yield numbers["replies"]
    yield numbers["reposts"]
    moderation = numbers["moderation"]
    yield from (moderation[status] for status in ("approved", "pending", "hidden"))
    yield from moderation["rules"]


def table_rows(numbers: dict[str, Any]) -> list[dict[str, Any]]:
    """The insight as one table: figure, key, network, count, share, posts link (the CSV's rows)."""
    rows = [
        {
            "figure": "total",
            "key": "posts",
            "count": numbers["total"]["count"],
            "posts": numbers["total"]["posts"],
        }
    ]
    rows += [
        {
            "figure": "volume",
            "key": r["minute"],
            "network": r["network"],
            "count": r["count"],
            "posts": r["posts"],
        }
        for r in numbers["volume"]
    ]
    for figure, key in (
        ("contributors", "author"),
        ("hashtags", "hashtag"),
        ("links", "link"),
        ("media", "type"),
    ):
        rows += [
            {"figure": figure, "key": r[key], "count": r["count"], "posts": r["posts"]}
            for r in numbers[figure]
        ]
    for figure in ("replies", "reposts"):
        shown = numbers[figure]
        rows.append(
            {
                "figure": figure,
                "key": figure,
                "count": shown["count"],
                "share": shown["share"],
                "posts": shown["posts"],
            }
        )
    rows += [
        {
            "figure": "languages",
            "key": r["lang"] or "unknown",
            "count": r["count"],
            "posts": r.get("posts", ""),
        }
        for r in numbers["languages"]
    ]
    moderation = numbers["moderation"]
    for status in ("approved", "pending", "hidden"):
        rows.append(
            {
                "figure": "moderation",
                "key": status,
                "count": moderation[status]["count"],
                "posts": moderation[status]["posts"],
            }
        )
    rows += [
        {"figure": "hidden by rule", "key": r["reason"], "count": r["count"], "posts": r["posts"]}
        for r in moderation["rules"]
    ]
    return [{"network": "", "share": "", **row} for row in rows]


CSV_COLUMNS = ("figure", "key", "network", "count", "share", "posts")


@api.get("/feeds/<name>/insight")
@curator_required
def insight_json(name: str) -> Any:
    """The feed's numbers in [since, until) (ISO 8601; both optional)."""
    return jsonify(_insight(name))


@pages.get("/feeds/<name>/insight.csv")
def insight_csv(name: str) -> Response:
    """The insight table as CSV: the same numbers as the page's table."""
    _curators_page()
    numbers = _insight(name)
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_rows(numbers))
    filename = f"{numbers['feed']}-insight.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@pages.get("/feeds/<name>/insight")
def insight_page(name: str) -> str:
    """The feed's numbers: a chart of posts per minute by network, and every figure as a table."""
    _curators_page()
    numbers = _insight(name)
    feed = feed_or_404(name)
    return render_template(
        "insight.html",
        insight=numbers,
        rows=table_rows(numbers),
        args=_window_args(),
        last_seq=feed["last_seq"],
    )


def _window_args() -> dict[str, str]:
    """The request's window arguments, for the page's links back to the same numbers."""
    return {key: request.args[key] for key in ("since", "until") if request.args.get(key)}


def _curators_page() -> None:
    if current_curator() is None:
        abort(403, "Only curators can see a feed's insight; log in first.")
