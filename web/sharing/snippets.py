"""The HTML a host page pastes to embed a story or a feed, written once (pages and oEmbed)."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape

FIXED_HEIGHT = 600  # px: the iframe snippet's height when no loader script resizes it


def embed_url(kind: str, name: str) -> str:
    """The absolute URL of the embed page of story `name` (kind "story") or feed `name` ("feed")."""
    if kind == "story":
        return url_for("sharing_embeds.story_embed", slug=name, _external=True)
    return url_for("sharing_embeds.feed_embed", name=name, _external=True)


def page_url(kind: str, name: str) -> str:
    """The absolute URL of the story's or feed's own page."""
    if kind == "story":
        return url_for("stories.story", slug=name, _external=True)
    return url_for("feeds.feed", name=name, _external=True)


def loader_snippet(kind: str, name: str, title: str) -> Markup:
    """A div the loader script turns into a self-sizing iframe (a plain link without script)."""
    loader = url_for("static", filename="js/embed-loader.js", _external=True)
    return Markup(
        f'<div data-tagstory-embed="{escape(embed_url(kind, name))}" data-tagstory-title="{escape(title)}">'
        f'<a href="{escape(page_url(kind, name))}">{escape(title)}</a></div>\n'
        f'<script async src="{escape(loader)}"></script>'
    )


def iframe_snippet(kind: str, name: str, title: str, width: int | None, height: int) -> Markup:
    """A fixed-size iframe of the embed page (oEmbed's html; for hosts that strip scripts)."""
    shown_width = str(width) if width else "100%"
    return Markup(
        f'<iframe src="{escape(embed_url(kind, name))}" title="{escape(title)}" width="{shown_width}"'
        f' height="{height}" style="border:0" loading="lazy"></iframe>'
    )
