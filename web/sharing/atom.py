"""Atom feeds (RFC 4287): a story's elements, and a feed's approved posts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, url_for

from stories.elements import list_elements
from web.lookups import database, feed_or_404, latest_items, public_story_or_404

pages = Blueprint("sharing_atom", __name__)

ATOM = "application/atom+xml; charset=utf-8"


def _atom(**context: Any) -> Response:
    return Response(render_template("atom.xml", **context), content_type=ATOM)


@pages.get("/stories/<slug>/atom.xml")
def story_atom(slug: str) -> Response:
    """A published or live story's elements, in story order (drafts: 404)."""
    found = public_story_or_404(slug)
    page = url_for("stories.story", slug=slug, _external=True)
    entries = []
    for element in list_elements(database(), found):
        item = element.get("item")
        if element["type"] == "item" and item is None:
            continue
        entries.append(
            {
                "id": f"{page}#element-{element['id']}",
                "title": _element_title(element),
                "updated": item["created_at"] if item else found["updated_at"],
                "author": item["author"]["name"]
                if item
                else (found["byline"] or found["owner"] or "Tagstory"),
                "link": (item and item.get("url")) or element.get("url") or page,
                "html": _element_html(element),
            }
        )
    return _atom(
        title=found["title"],
        subtitle=found["description"],
        page=page,
        self_url=url_for("sharing_atom.story_atom", slug=slug, _external=True),
        updated=found["updated_at"],
        author=found["byline"] or found["owner"] or "Tagstory",
        entries=entries,
    )


@pages.get("/feeds/<name>/atom.xml")
def feed_atom(name: str) -> Response:
    """A feed's newest approved posts, newest first (hidden and pending ones never)."""
    found = feed_or_404(name)
    page = url_for("feeds.feed", name=name, _external=True)
    items = sorted(latest_items(found), key=lambda item: (item["created_at"], item["seq"]), reverse=True)
    entries = [
        {
            "id": f"{page}#item-{item['id']}",
            "title": f"{item['author']['name']}: {item['text'][:80]}",
            "updated": item["created_at"],
            "author": item["author"]["name"],
            "link": item.get("url") or page,
            "html": item["html"],
        }
        for item in items
    ]
    return _atom(
        title=f"{found['name']} · Tagstory",
        subtitle=found["query"],
        page=page,
        self_url=url_for("sharing_atom.feed_atom", name=name, _external=True),
        updated=entries[0]["updated"] if entries else found["created_at"],
        author=f"Tagstory feed {found['name']}",
        entries=entries,
    )


def _element_title(element: dict[str, Any]) -> str:
    if element["type"] == "item":
        return f"{element['item']['author']['name']}: {element['item']['text'][:80]}"
    if element["type"] == "link":
        return element["title"] or element["url"]
    return element["text"][:80] or "Text"


def _element_html(element: dict[str, Any]) -> str:
    """The element's HTML, from fields the server sanitized when they were stored."""
    return render_template("atom_element.html", element=element)
