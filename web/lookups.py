"""What views need from the request, written once: the database, the JSON body, a feed or
a story by name — or the 4xx that says why not — and what the asker may see of them."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request

from aggregator import eventlog, jsontext
from aggregator.db import Database
from aggregator.feeds import get_feed, list_items
from stories.model import can_edit, get_header, list_stories
from web.security import current_curator

FIRST_PAGE = 100  # items a feed page shows before live ones arrive


def database() -> Database:
    """The app's one Database."""
    return current_app.extensions["tagstory.db"]


def json_body() -> dict[str, Any]:
    """The request's JSON object, all of it text, or a 400 that says what to send."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON decoder goes
        data = None
    if not isinstance(data, dict):
        abort(400, "send a JSON object with Content-Type: application/json")
    problem = jsontext.text_problem(data)
    if problem:
        abort(400, f"the JSON body cannot be stored: {problem}")
    return data


def int_arg(name: str, default: int, maximum: int | None = None) -> int:
    """Query argument `name` as an integer >= 0, at most `maximum` (when given), or a 400."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"'{name}' must be an integer")
    if not 0 <= value <= eventlog.MAX_SEQ:
        abort(400, f"'{name}' must be an integer >= 0 (at most {eventlog.MAX_SEQ})")
    return min(value, maximum) if maximum else value


def page_after() -> int:
    """What a live page hands its socket as `after`: the log's end, read before the page's content.

    Everything of its room up to there is in the page; what comes later is caught up or sent
    live. A room's own last seq would be older for a quiet feed or story, and an edge node
    keeps only the last `STREAM_RETENTION` events: it would answer such a page "reload", and
    the page reloaded would hand the same seq again.
    """
    return eventlog.last_seq(database())


def feed_or_404(name: str, counted: bool = True) -> dict[str, Any]:
    """The feed named `name` (without its counts and sources unless `counted`), or a 404."""
    feed = get_feed(database(), name, counted)
    if feed is None:
        abort(404, f"no feed named '{name}'")
    return feed


def story_or_404(slug: str) -> dict[str, Any]:
    """The story `slug` if the asker may see it (drafts only to their curators), or a 404."""
    story = get_header(database(), slug)
    if story is None or (story["status"] == "draft" and not can_edit(database(), story, current_curator())):
        abort(404, f"no story '{slug}'")
    return story


def public_story_or_404(slug: str) -> dict[str, Any]:
    """The story `slug` unless it is a draft (embeds, oEmbed and Atom show no draft, to anyone), or a 404."""
    story = get_header(database(), slug)
    if story is None or story["status"] == "draft":
        abort(404, f"no story '{slug}'")
    return story


def editable_story(slug: str) -> dict[str, Any]:
    """The story `slug` if the asker is one of its curators, or a 404 / 403."""
    story = story_or_404(slug)
    if not can_edit(database(), story, current_curator()):
        abort(403, f"only the curators of '{slug}' can change it")
    return story


def visible_stories() -> list[dict[str, Any]]:
    """Every story the asker may see: all but drafts, and the drafts they are a curator of."""
    db, curator = database(), current_curator()
    return [s for s in list_stories(db) if s["status"] != "draft" or can_edit(db, s, curator)]


def latest_items(feed: dict[str, Any]) -> list[dict[str, Any]]:
    """The newest FIRST_PAGE items a feed's page shows before live ones arrive (deleted ones left out)."""
    return [
        item for item in list_items(database(), feed, limit=FIRST_PAGE, newest=True) if not item["deleted"]
    ]
