"""A feed's insight: its numbers as JSON, as a page (chart and table) and as CSV.

Curators only: the numbers include moderation counts and the rules that hid posts. Each
figure links to the posts behind it, the items API filtered by the figure's `filter`.

While the event runs, every open insight page fetches the numbers again after each new post
(static/js/insight.js): the answer for a window is kept per process with the event log's
last seq, so the viewers who ask after the same change share one computation, and a change
(any new event) makes the next request compute them afresh.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from aggregator import eventlog
from aggregator.insight import WindowError, feed_insight
from web.lookups import database, feed_or_404
from web.security import curator_required, current_curator

api = Blueprint("feeds_insight_api", __name__, url_prefix="/api")
pages = Blueprint("feeds_insight", __name__)

POSTS_PER_LINK = 500  # the items API's largest page
URL_SAFE = "!$'()*,/:;?@"  # left as they are in a query, as url_for leaves them
KEPT_ANSWERS = 64  # windows whose latest numbers a process keeps
# (database, feed, story, since, until, script root) -> (the log's last seq, the numbers then)
_answers: OrderedDict[tuple, tuple[int, dict[str, Any]]] = OrderedDict()


def insight_numbers(feed: dict[str, Any], story: dict[str, Any] | None = None) -> dict[str, Any]:
    """The feed's (or its story's) insight for the request's window, each figure with `posts`:
    the link to them. Read-only for callers: the same answer serves every request until the
    log moves on."""
    since, until = request.args.get("since"), request.args.get("until")
    db = database()
    key = (db.path, feed["id"], story["id"] if story else None, since, until, request.script_root)
    seq = eventlog.last_seq(db)  # read first: an answer is never labelled newer than it is
    kept = _answers.get(key)
    if kept and kept[0] == seq:
        _answers.move_to_end(key)
        return kept[1]
    try:
        numbers = feed_insight(db, feed, since, until, story)
    except WindowError as error:
        abort(400, str(error))
    _link_figures(url_for("feeds_api.items_index", name=feed["name"]), _figures(numbers))
    _answers[key] = (seq, numbers)
    _answers.move_to_end(key)
    while len(_answers) > KEPT_ANSWERS:
        _answers.popitem(last=False)
    return numbers


def _link_figures(items_url: str, figures: Iterator[dict[str, Any]]) -> None:
    """Give each figure `posts`: the items API's URL with the figure's filter. A feed of
    thousands of minutes has thousands of figures sharing a few arguments: each argument is
    encoded once (url_for per figure was most of the answer's time)."""
    encoded: dict[tuple[str, str], str] = {}
    for figure in figures:
        parts = []
        for pair in (("limit", str(POSTS_PER_LINK)), *figure["filter"].items()):
            if pair not in encoded:
                encoded[pair] = urlencode([pair], safe=URL_SAFE)
            parts.append(encoded[pair])
        figure["posts"] = f"{items_url}?{'&'.join(parts)}"


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
    return jsonify(insight_numbers(feed_or_404(name)))


@pages.get("/feeds/<name>/insight.csv")
def insight_csv(name: str) -> Response:
    """The insight table as CSV: the same numbers as the page's table."""
    curators_page()
    return csv_answer(insight_numbers(feed_or_404(name)))


def csv_answer(numbers: dict[str, Any]) -> Response:
    """The insight's table as a CSV download."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_rows(numbers))
    filename = f"{numbers['story'] or numbers['feed']}-insight.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@pages.get("/feeds/<name>/insight")
def insight_page(name: str) -> str:
    """The feed's numbers: a chart of posts per minute by network, and every figure as a table."""
    curators_page()
    feed = feed_or_404(name)
    csv_url = url_for("feeds_insight.insight_csv", name=name, **_window_args())
    return page_answer(feed, insight_numbers(feed), csv_url)


def page_answer(feed: dict[str, Any], numbers: dict[str, Any], csv_url: str) -> str:
    """The insight page: the chart (drawn from the same numbers as JSON) and the table."""
    story = numbers["story"]
    if story:
        json_url = url_for("stories_insight_api.insight_json", slug=story, **_window_args())
    else:
        json_url = url_for("feeds_insight_api.insight_json", name=feed["name"], **_window_args())
    return render_template(
        "insight.html",
        insight=numbers,
        rows=table_rows(numbers),
        args=_window_args(),
        last_seq=feed["last_seq"],
        json_url=json_url,
        csv_url=csv_url,
    )


def _window_args() -> dict[str, str]:
    """The request's window arguments, for the page's links back to the same numbers."""
    return {key: request.args[key] for key in ("since", "until") if request.args.get(key)}


def curators_page() -> None:
    """A page of numbers for curators only (they include moderation): 403 for anyone else."""
    if current_curator() is None:
        abort(403, "Only curators can see a feed's insight; log in first.")
