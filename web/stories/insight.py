"""A story's insight: the numbers of the posts it pins (in its feed), as JSON, page and CSV.

Curators only, like a feed's (web/feeds/insight.py, which draws both); each figure links to
its posts in the feed's items API with `pinned_in=<slug>`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for

from web.feeds.insight import csv_answer, curators_page, insight_numbers, page_answer
from web.lookups import feed_or_404, story_or_404
from web.security import curator_required

api = Blueprint("stories_insight_api", __name__, url_prefix="/api")
pages = Blueprint("stories_insight", __name__)


def _story_and_feed(slug: str) -> tuple[dict[str, Any], dict[str, Any]]:
    story = story_or_404(slug)
    if not story.get("feed"):
        abort(400, f"the story '{slug}' has no feed: its insight counts the feed's posts it pins")
    return story, feed_or_404(story["feed"])


@api.get("/stories/<slug>/insight")
@curator_required
def insight_json(slug: str) -> Any:
    """The numbers of the posts the story pins, in [since, until)."""
    story, feed = _story_and_feed(slug)
    return jsonify(insight_numbers(feed, story))


@pages.get("/stories/<slug>/insight.csv")
def insight_csv(slug: str) -> Response:
    """The story's insight table as CSV."""
    curators_page()
    story, feed = _story_and_feed(slug)
    return csv_answer(insight_numbers(feed, story))


@pages.get("/stories/<slug>/insight")
def insight_page(slug: str) -> str:
    """The story's numbers: the chart and the table, as for a feed."""
    curators_page()
    story, feed = _story_and_feed(slug)
    window = {
        key: request.args[key] for key in ("since", "until") if request.args.get(key)
    }  # kept in the CSV link
    return page_answer(
        feed, insight_numbers(feed, story), url_for("stories_insight.insight_csv", slug=slug, **window)
    )
