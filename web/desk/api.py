"""The desk's JSON API under /api: a feed's moderation and audit, a story's editors and history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify

from aggregator import eventlog
from aggregator.curation import block_author, settings, update_settings
from aggregator.feeds import get_feed_item
from aggregator.forget import forget
from aggregator.forgotten import author_of
from stories.curators import get_curator
from stories.model import can_edit
from stories.roles import add_editor, remove_editor
from web.desk.events import revoke
from web.errors import answer_domain_errors
from web.lookups import database, editable_story, feed_or_404, int_arg, json_body, story_or_404
from web.security import curator_required, current_curator

api = answer_domain_errors(Blueprint("desk_api", __name__, url_prefix="/api"))

HISTORY_LIMIT = 200


@api.get("/feeds/<name>/moderation")
@curator_required
def moderation_show(name: str) -> Any:
    """A feed's moderation mode, rules and counts (curators only: rules are not for trolls)."""
    return jsonify(settings(database(), feed_or_404(name)))


@api.patch("/feeds/<name>")
@curator_required
def feeds_update(name: str) -> Any:
    """Change a feed's moderation: {moderation: auto|manual, rules: {...}}."""
    feed = feed_or_404(name)
    return jsonify(update_settings(database(), feed, json_body(), current_curator()["name"]))


@api.post("/feeds/<name>/items/<item_id>/block-author")
@curator_required
def items_block_author(name: str, item_id: str) -> Any:
    """Block the author of an item: their items are hidden now (pinned ones kept) and later."""
    feed = feed_or_404(name)
    item = get_feed_item(database(), feed, item_id) or abort(404, f"no item {item_id} in feed {name}")
    author = item["author"]["handle"] or item["author"]["name"]
    return jsonify(block_author(database(), feed, author, current_curator()["name"]))


@api.post("/feeds/<name>/items/<item_id>/forget")
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


@api.get("/feeds/<name>/audit")
@curator_required
def feeds_audit(name: str) -> Any:
    """Who decided what about the feed's items, and when (newest first); a rule has no actor."""
    feed = feed_or_404(name)
    rooms = (eventlog.feed_room(feed["name"]), eventlog.desk_room(feed["name"]))
    events = [
        e for room in rooms for e in eventlog.history(database(), room, HISTORY_LIMIT, with_payload=True)
    ]
    decisions = [e for e in events if _is_decision(e)]
    decisions.sort(key=lambda e: e["seq"], reverse=True)
    return jsonify([_audit_entry(e) for e in decisions[:HISTORY_LIMIT]])


@api.post("/stories/<slug>/editors")
@curator_required
def editors_add(slug: str) -> Any:
    """Invite a curator as an editor: {name} (owner only)."""
    story = story_or_404(slug)
    return jsonify(add_editor(database(), story, json_body().get("name"), current_curator())), 201


@api.delete("/stories/<slug>/editors/<name>")
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


@api.get("/stories/<slug>/history")
@curator_required
def stories_history(slug: str) -> Any:
    """The story's changes, newest first: who, what, when (from the event log)."""
    story = editable_story(slug)
    limit = int_arg("limit", HISTORY_LIMIT, HISTORY_LIMIT) or HISTORY_LIMIT
    events = eventlog.history(database(), eventlog.story_room(story["slug"]), limit=limit, with_payload=True)
    return jsonify([_history_entry(e) for e in events])
