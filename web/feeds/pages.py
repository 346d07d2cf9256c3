"""The feeds' pages: a feed live, its wall, and the curators' forms for feeds and sources."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from aggregator.errors import NotFound
from aggregator.feeds import FeedError, create_feed, get_feed, remove_source, set_source_state, sources_of
from aggregator.sources import SpecError
from web.feeds.collecting import refresh_collector
from web.feeds.wall_options import KEEP, hashtag_of, render_wall, wall_qr
from web.lookups import database, latest_items, page_after
from web.security import csrf_ok, current_curator

pages = Blueprint("feeds", __name__)


def _feed_page_or_404(name: str) -> dict[str, Any]:
    return get_feed(database(), name) or abort(404, f"There is no feed '{name}'.")


@pages.get("/feeds/<name>")
def feed(name: str) -> str:
    """A feed, live: newest first."""
    after = page_after()
    found = _feed_page_or_404(name)
    health = sources_of(database(), found["id"]) if current_curator() else None
    return render_template("feed.html", feed=found, items=latest_items(found), sources=health, after=after)


@pages.get("/feeds/<name>/wall")
def wall(name: str) -> str:
    """A feed for the big screen in the room, tuned by the options in its URL."""
    after = page_after()
    found = _feed_page_or_404(name)
    items = latest_items(found)[-KEEP:]
    qr = wall_qr(found)
    return render_wall("wall.html", hashtag_of(found["query"]), qr, feed=found, items=items, after=after)


def _curator_form() -> None:
    """A curator's form post: logged in, with the session's CSRF token."""
    if current_curator() is None:
        abort(403, "Only curators can change feeds; log in first.")
    if not csrf_ok():
        abort(400, "The form expired; reload the page and try again.")


@pages.post("/feeds")
def feed_create() -> Any:
    """Create a feed from the home page form: name, query, one source SPEC per line."""
    _curator_form()
    specs = [line.strip() for line in request.form.get("sources", "").splitlines() if line.strip()]
    try:
        created = create_feed(
            database(),
            request.form.get("name", "").strip(),
            request.form.get("query", ""),
            specs,
            current_app.config,
        )
    except (FeedError, SpecError) as error:
        flash(f"The feed was not created: {error}.")
        return redirect(url_for("home.index") + "#new-feed")
    refresh_collector()
    return redirect(url_for("feeds.feed", name=created["name"]))


@pages.post("/feeds/<name>/sources/<int:source_id>")
def source_control(name: str, source_id: int) -> Any:
    """Pause, resume or remove a source from the feed page (action = pause|resume|remove)."""
    _curator_form()
    found = _feed_page_or_404(name)
    action = request.form.get("action")
    try:
        if action == "remove":
            removed = remove_source(database(), found, source_id)
            flash(f"Removed {removed['spec']}; the posts it brought stay in the feed.")
        elif action in ("pause", "resume"):
            set_source_state(database(), found, source_id, "paused" if action == "pause" else "running")
            refresh_collector()
        else:
            abort(400, "Choose pause, resume or remove.")
    except NotFound as error:
        abort(404, str(error))
    return redirect(url_for("feeds.feed", name=name))
