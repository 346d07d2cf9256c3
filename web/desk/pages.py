"""The desk's page: a feed's moderation desk."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from aggregator.curation import settings
from aggregator.feeds import list_items
from web.lookups import database, feed_or_404
from web.security import current_curator, login_first

pages = Blueprint("desk", __name__)


@pages.get("/feeds/<name>/moderate")
def moderate(name: str) -> Any:
    """The moderation desk: the pending queue, counts, rules and recent decisions, live."""
    if current_curator() is None:
        return login_first()
    feed = feed_or_404(name)
    queue = list_items(database(), feed, limit=200, statuses=("pending",))
    latest = {"limit": 30, "before": feed["last_seq"] + 1}
    return render_template(
        "moderate.html",
        feed=feed,
        queue=queue,
        approved=list_items(database(), feed, statuses=("approved",), **latest)[::-1],
        hidden=list_items(database(), feed, statuses=("hidden",), **latest)[::-1],
        settings=settings(database(), feed),
    )
