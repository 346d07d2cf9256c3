"""Stories: the live story and editor pages, and the stories' API (stories, elements)."""

from __future__ import annotations

from flask import Flask

from web.stories import api, insight, pages


def init_app(app: Flask) -> None:
    """Mount the stories' pages and API."""
    app.register_blueprint(pages.pages)
    app.register_blueprint(api.api)
    app.register_blueprint(insight.pages)
    app.register_blueprint(insight.api)
