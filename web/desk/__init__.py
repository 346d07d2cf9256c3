"""The curator's desk: moderation (page and API), the "New story" form, a story's editors
and history (API), and who is editing which story (socket events)."""

from __future__ import annotations

from flask import Flask

from web.desk import api, events, pages
from web.desk.forget_command import forget_command


def init_app(app: Flask) -> None:
    """Mount the desk's page and API; give the app its registry of who is editing what."""
    app.register_blueprint(api.api)
    app.register_blueprint(pages.pages)
    app.jinja_env.globals["story_feeds"] = pages.story_feeds
    events.init_app(app)
    app.cli.add_command(forget_command)
