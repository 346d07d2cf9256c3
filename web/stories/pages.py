"""The stories' pages: a story live, and the curator's editor (the feed beside the story)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, url_for

from aggregator.feeds import get_feed
from stories.elements import list_elements
from stories.model import can_edit
from web.feeds.wall_options import QrCode, hashtag_of, render_wall
from web.lookups import database, latest_items, page_after, story_or_404
from web.security import current_curator, login_first

pages = Blueprint("stories", __name__)


@pages.get("/stories/<slug>")
def story(slug: str) -> str:
    """A story, live."""
    after = page_after()
    found = story_or_404(slug)
    return render_template("story.html", story=found, elements=list_elements(database(), found), after=after)


@pages.get("/stories/<slug>/wall")
def wall(slug: str) -> str:
    """A story for the big screen in the room: its elements as viewers see them, withheld pins left out.

    A draft's wall is for its curators only (a preview), like the draft itself."""
    after = page_after()
    found = story_or_404(slug)
    feed_found = get_feed(database(), found["feed"]) if found["feed"] else None
    qr = QrCode(url_for("stories.story", slug=slug, _external=True), "Follow on your phone")
    return render_wall(
        "wall_story.html",
        hashtag_of(feed_found["query"]) if feed_found else "",
        qr,
        story=found,
        elements=list_elements(database(), found),
        after=after,
    )


@pages.get("/stories/<slug>/edit")
def edit(slug: str) -> Any:
    """The curator's editor: the feed beside the story."""
    if current_curator() is None:
        return login_first()
    found = story_or_404(slug)
    if not can_edit(database(), found, current_curator()):
        abort(403, f"Only the curators of '{slug}' can edit it.")
    feed_found = get_feed(database(), found["feed"]) if found["feed"] else None
    items = latest_items(feed_found) if feed_found else []
    return render_template(
        "edit.html",
        story=found,
        elements=list_elements(database(), found, for_curators=True),
        feed=feed_found,
        items=items,
    )
