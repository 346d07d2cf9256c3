"""Feeds: the live feed and wall pages, the feeds' API (sources, items), the `feed` and `collect` commands."""

from __future__ import annotations

from flask import Flask

from web.feeds import api, commands, insight, pages


def init_app(app: Flask) -> None:
    """Mount the feeds' pages and API; register their commands."""
    app.register_blueprint(pages.pages)
    app.register_blueprint(api.api)
    app.register_blueprint(insight.pages)
    app.register_blueprint(insight.api)
    for command in commands.COMMANDS:
        app.cli.add_command(command)
