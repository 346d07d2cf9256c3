"""The home page (the feeds and the stories a visitor may see) and the template helpers."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from aggregator.feeds import list_feeds
from aggregator.sources import SOURCE_LABELS, source_label
from stories.export import format_when
from stories.pins import REMOVED_TEXTS
from web.lookups import database, visible_stories

home = Blueprint("home", __name__)


@home.get("/")
def index() -> str:
    """Feeds and stories."""
    return render_template("home.html", feeds=list_feeds(database()), stories=visible_stories())


def init_app(app: Flask) -> None:
    """Mount the home page; give every template its filters (`when`, `source_label`) and labels."""
    app.register_blueprint(home)
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["source_label"] = source_label
    app.jinja_env.globals["source_labels"] = SOURCE_LABELS
    app.jinja_env.globals["removed_texts"] = REMOVED_TEXTS
