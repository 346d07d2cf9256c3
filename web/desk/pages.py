"""The desk's pages: a feed's moderation desk, and the "New story" form of the home and feed pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from aggregator.curation import settings
from aggregator.feeds import get_feed, list_feeds, list_items
from stories.model import StoryError, create_story
from web.lookups import database, feed_or_404
from web.security import csrf_ok, current_curator, login_first

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


def story_feeds() -> list[str]:
    """The feeds a curator may start a story on (the "New story" form's choices), by name."""
    return [feed["name"] for feed in list_feeds(database())] if current_curator() else []


@pages.post("/stories")
def story_create() -> Any:
    """The "New story" form: title, feed, description; the new draft opens in the editor."""
    if current_curator() is None:
        abort(403, "Only curators can start a story; log in first.")
    if not csrf_ok():
        abort(400, "The form expired; reload the page and try again.")
    name = request.form.get("feed", "")
    feed = get_feed(database(), name) if name else None
    back = url_for("feeds.feed", name=feed["name"]) if feed else url_for("home.index")
    if name and feed is None:
        flash(f"The story was not created: there is no feed '{name}'.")
        return redirect(back + "#new-story")
    try:
        story = create_story(
            database(),
            request.form.get("title", ""),
            feed["id"] if feed else None,
            current_curator(),
            description=request.form.get("description", ""),
        )
    except StoryError as error:
        flash(f"The story was not created: {error}.")
        return redirect(back + "#new-story")
    return redirect(url_for("stories.edit", slug=story["slug"]))
