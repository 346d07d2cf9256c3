"""The stories' JSON API under /api: stories and their elements (see docs/api.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify

from stories.elements import add_element, list_elements, remove_element, update_element
from stories.model import can_edit, create_story, update_meta
from web.errors import answer_domain_errors
from web.lookups import database, editable_story, feed_or_404, json_body, story_or_404, visible_stories
from web.security import curator_required, current_curator

api = answer_domain_errors(Blueprint("stories_api", __name__, url_prefix="/api"))


@api.get("/stories")
def stories_index() -> Any:
    """Every story a viewer may see (drafts only to their curators)."""
    return jsonify(visible_stories())


@api.post("/stories")
@curator_required
def stories_create() -> Any:
    """Create a story: {title, feed, description?, slug?, status?}."""
    data = json_body()
    feed = feed_or_404(data["feed"]) if isinstance(data.get("feed"), str) else None
    if data.get("feed") is not None and feed is None:
        abort(400, "'feed' must be a feed name")
    story = create_story(
        database(),
        data.get("title"),
        feed["id"] if feed else None,
        current_curator(),
        slug=data.get("slug"),
        description=data.get("description") or "",
        status=data.get("status") or "draft",
    )
    return jsonify({**story, "elements": []}), 201


@api.get("/stories/<slug>")
def stories_show(slug: str) -> Any:
    """A story with its elements in story order."""
    story = story_or_404(slug)
    for_curators = can_edit(database(), story, current_curator())  # they still see a post they hid
    return jsonify({**story, "elements": list_elements(database(), story, for_curators)})


@api.patch("/stories/<slug>")
@curator_required
def stories_update(slug: str) -> Any:
    """Change a story's title, description, cover, status or byline."""
    story = editable_story(slug)
    return jsonify(update_meta(database(), story, json_body(), current_curator()["name"]))


@api.post("/stories/<slug>/elements")
@curator_required
def elements_create(slug: str) -> Any:
    """Pin an item, or add a text block or a link, at `position` (default: the end)."""
    story = editable_story(slug)
    return jsonify(add_element(database(), story, json_body(), current_curator()["name"])), 201


@api.patch("/stories/<slug>/elements/<element_id>")
@curator_required
def elements_update(slug: str, element_id: str) -> Any:
    """Move (position) or edit (annotation, text, style, title) an element."""
    story = editable_story(slug)
    return jsonify(update_element(database(), story, element_id, json_body(), current_curator()["name"]))


@api.delete("/stories/<slug>/elements/<element_id>")
@curator_required
def elements_delete(slug: str, element_id: str) -> Any:
    """Remove an element from the story."""
    story = editable_story(slug)
    remove_element(database(), story, element_id, current_curator()["name"])
    return "", 204
