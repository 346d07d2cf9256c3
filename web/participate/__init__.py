"""Participants without a social account: the wall's form that posts into a feed's moderation queue."""

from __future__ import annotations

from flask import Flask

from web.participate import pages


def init_app(app: Flask) -> None:
    """Mount the posting form and the pictures it stored."""
    app.register_blueprint(pages.pages)
