"""The embed pages: a story or a feed, live, made to sit in another site's iframe."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from stories.elements import list_elements
from web.lookups import database, feed_or_404, latest_items, page_after, public_story_or_404
from web.security import embeddable

pages = Blueprint("sharing_embeds", __name__)

EMBED_POSTS = 50  # posts a feed embed shows (and keeps as live ones arrive)


@pages.get("/stories/<slug>/embed")
@embeddable
def story_embed(slug: str) -> Response | str:
    """A published or live story for an iframe (drafts are never embeddable: 404)."""
    after = page_after()
    found = public_story_or_404(slug)
    elements = list_elements(database(), found)
    return render_template("embed_story.html", story=found, elements=elements, after=after)


@pages.get("/feeds/<name>/embed")
@embeddable
def feed_embed(name: str) -> Response | str:
    """A feed's newest approved posts for an iframe."""
    after = page_after()
    found = feed_or_404(name)
    items = latest_items(found)[-EMBED_POSTS:]
    return render_template("embed_feed.html", feed=found, items=items, keep=EMBED_POSTS, after=after)
