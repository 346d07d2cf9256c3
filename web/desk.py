"""The curator's desk over HTTP: moderation, story roles, history, and the moderation page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from aggregator import eventlog
from aggregator.errors import NotFound
from aggregator.feeds import get_feed_item, list_items
from aggregator.forget import forget
from aggregator.forgotten import AuthorError, author_of
from aggregator.moderation import ModerationError, block_author, desk_room, settings, update_settings
from stories.curators import get_curator
from stories.model import StoryError, can_edit
from stories.roles import NotOwner, add_editor, remove_editor
from web.api import bad_request, not_found
from web.desk_events import revoke
from web.lookups import database, editable_story, feed_or_404, int_arg, json_body, story_or_404
from web.security import curator_required, current_curator

desk_api = Blueprint("desk_api", __name__, url_prefix="/api")
desk_pages = Blueprint("desk", __name__)
for domain_error in (ModerationError, StoryError, AuthorError):
    desk_api.register_error_handler(domain_error, bad_request)
desk_api.register_error_handler(NotFound, not_found)

HISTORY_LIMIT = 200


@desk_api.errorhandler(NotOwner)
def not_owner(error: NotOwner) -> Any:
    """Only the owner may change a story's editors: 403 with the reason."""
    return jsonify(error=str(error)), 403


@desk_api.get("/feeds/<name>/moderation")
@curator_required
def moderation_show(name: str) -> Any:
    """A feed's moderation mode, rules and counts (curators only: rules are not for trolls)."""
    return jsonify(settings(database(), feed_or_404(name)))


@desk_api.patch("/feeds/<name>")
@curator_required
def feeds_update(name: str) -> Any:
    """Change a feed's moderation: {moderation: auto|manual, rules: {...}}."""
    feed = feed_or_404(name)
    return jsonify(update_settings(database(), feed, json_body(), current_curator()["name"]))


@desk_api.post("/feeds/<name>/items/<item_id>/block-author")
@curator_required
def items_block_author(name: str, item_id: str) -> Any:
    """Block the author of an item: their items are hidden now (pinned ones kept) and later."""
    feed = feed_or_404(name)
    item = get_feed_item(database(), feed, item_id) or abort(404, f"no item {item_id} in feed {name}")
    author = item["author"]["handle"] or item["author"]["name"]
    return jsonify(block_author(database(), feed, author, current_curator()["name"]))


@desk_api.post("/feeds/<name>/items/<item_id>/forget")
@curator_required
def items_forget(name: str, item_id: str) -> Any:
    """Take the item's author down on their request: `flask forget` for that author (docs/consent.md)."""
    feed = feed_or_404(name)
    item = get_feed_item(database(), feed, item_id) or abort(404, f"no item {item_id} in feed {name}")
    if item["deleted"]:
        abort(400, "this post is deleted already: nothing of its author is left to forget")
    done = forget(database(), author_of(item), current_curator()["name"])
    return jsonify({"items": done.items, "feeds": done.feeds, "stories": done.stories})


def _audit_entry(event: dict[str, Any]) -> dict[str, Any]:
    payload = event.pop("payload")
    item = payload.get("item") or {}
    if item:
        status = item.get("was", item.get("status"))  # a redacted event keeps the status it recorded
        event.update(item_id=item.get("id"), status=status, reason=item.get("reason"))
        event["author"] = (item.get("author") or {}).get("name")
    else:
        event.update(moderation=payload.get("moderation"), rules=payload.get("rules"))
    return event


def _is_decision(event: dict[str, Any]) -> bool:
    """A curator's act, or a rule's (an item that arrived hidden)."""
    return bool(event["actor"] or (event["payload"].get("item") or {}).get("reason"))


@desk_api.get("/feeds/<name>/audit")
@curator_required
def feeds_audit(name: str) -> Any:
    """Who decided what about the feed's items, and when (newest first); a rule has no actor."""
    feed = feed_or_404(name)
    rooms = (eventlog.feed_room(feed["name"]), desk_room(feed["name"]))
    events = [
        e for room in rooms for e in eventlog.history(database(), room, HISTORY_LIMIT, with_payload=True)
    ]
    decisions = [e for e in events if _is_decision(e)]
    decisions.sort(key=lambda e: e["seq"], reverse=True)
    return jsonify([_audit_entry(e) for e in decisions[:HISTORY_LIMIT]])


@desk_api.post("/stories/<slug>/editors")
@curator_required
def editors_add(slug: str) -> Any:
    """Invite a curator as an editor: {name} (owner only)."""
    story = story_or_404(slug)
    return jsonify(add_editor(database(), story, json_body().get("name"), current_curator())), 201


@desk_api.delete("/stories/<slug>/editors/<name>")
@curator_required
def editors_remove(slug: str, name: str) -> Any:
    """Remove an editor (owner only); their open editor sockets are cut at once."""
    story = story_or_404(slug)
    header = remove_editor(database(), story, name, current_curator())
    if not can_edit(database(), header, get_curator(database(), name)):  # an open story still admits them
        revoke(slug, name)
    return jsonify(header)


def _history_entry(event: dict[str, Any]) -> dict[str, Any]:
    payload = event.pop("payload")
    element = payload.get("element") or {}
    event.update(element_id=element.get("id"), type=element.get("type"), position=element.get("position"))
    if payload.get("meta"):
        event["meta"] = payload["meta"]
    return event


@desk_api.get("/stories/<slug>/history")
@curator_required
def stories_history(slug: str) -> Any:
    """The story's changes, newest first: who, what, when (from the event log)."""
    story = editable_story(slug)
    limit = int_arg("limit", HISTORY_LIMIT, HISTORY_LIMIT) or HISTORY_LIMIT
    events = eventlog.history(database(), eventlog.story_room(story["slug"]), limit=limit, with_payload=True)
    return jsonify([_history_entry(e) for e in events])


@desk_pages.get("/feeds/<name>/moderate")
def moderate(name: str) -> Any:
    """The moderation desk: the pending queue, counts, rules and recent decisions, live."""
    if current_curator() is None:
        return redirect(url_for("pages.login", next=request.path))
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


def init_app(app: Any) -> None:
    """Mount the desk's API routes and pages."""
    app.register_blueprint(desk_api)
    app.register_blueprint(desk_pages)
