"""Sharing: embed pages for other sites' iframes, oEmbed, Atom feeds, and the snippets and
link-preview tags the story and feed pages offer."""

from __future__ import annotations

from flask import Flask

from web.sharing import atom, embeds, oembed, snippets


def init_app(app: Flask) -> None:
    """Mount the embed, oEmbed and Atom routes; give templates the snippets."""
    app.register_blueprint(embeds.pages)
    app.register_blueprint(oembed.api)
    app.register_blueprint(atom.pages)
    app.jinja_env.globals["embed_snippet"] = snippets.loader_snippet
