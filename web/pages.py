"""The HTML pages: home, live feed, wall, live story, editor, export, login."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from aggregator.errors import NotFound
from aggregator.feeds import (
    FeedError,
    create_feed,
    get_feed,
    list_feeds,
    list_items,
    remove_source,
    set_source_state,
    sources_of,
)
from aggregator.sources import SOURCE_LABELS, SpecError, source_label
from stories.curators import authenticate
from stories.elements import list_elements
from stories.export import format_when
from stories.model import can_edit, list_stories
from stories.pins import REMOVED_TEXTS
from web.exports import export_response
from web.login_throttle import LoginThrottle, keys_for
from web.lookups import database, story_or_404
from web.security import csrf_ok, current_curator, end_session, safe_next, start_session

pages = Blueprint("pages", __name__)

FIRST_PAGE = 100  # items a feed page shows before live ones arrive


def _latest_items(feed: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item for item in list_items(database(), feed, limit=FIRST_PAGE, newest=True) if not item["deleted"]
    ]


@pages.get("/")
def home() -> str:
    """Feeds and stories."""
    curator = current_curator()
    stories = [
        s for s in list_stories(database()) if s["status"] != "draft" or can_edit(database(), s, curator)
    ]
    return render_template("home.html", feeds=list_feeds(database()), stories=stories)


@pages.get("/feeds/<name>")
def feed(name: str) -> str:
    """A feed, live: newest first."""
    found = get_feed(database(), name) or abort(404, f"There is no feed '{name}'.")
    health = sources_of(database(), found["id"]) if current_curator() else None
    return render_template("feed.html", feed=found, items=_latest_items(found), sources=health)


@pages.get("/feeds/<name>/wall")
def wall(name: str) -> str:
    """A feed for the big screen in the room."""
    found = get_feed(database(), name) or abort(404, f"There is no feed '{name}'.")
    return render_template("wall.html", feed=found, items=_latest_items(found)[-30:])


@pages.get("/stories/<slug>")
def story(slug: str) -> str:
    """A story, live."""
    found = story_or_404(slug)
    return render_template("story.html", story=found, elements=list_elements(database(), found))


@pages.get("/stories/<slug>/edit")
def edit(slug: str) -> Any:
    """The curator's editor: the feed beside the story."""
    if current_curator() is None:
        return redirect(url_for("pages.login", next=request.path))
    found = story_or_404(slug)
    if not can_edit(database(), found, current_curator()):
        abort(403, f"Only the curators of '{slug}' can edit it.")
    feed_found = get_feed(database(), found["feed"]) if found["feed"] else None
    items = _latest_items(feed_found) if feed_found else []
    return render_template(
        "edit.html",
        story=found,
        elements=list_elements(database(), found, for_curators=True),
        feed=feed_found,
        items=items,
    )


@pages.get("/stories/<slug>/export.html")
def export_html(slug: str) -> Response:
    """The story as one self-contained HTML file."""
    return export_response(database(), story_or_404(slug), "html")


def _login_throttle() -> LoginThrottle:
    config = current_app.config
    return LoginThrottle(database(), config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"])


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log a curator in with name and password (throttled per name and per client address)."""
    if request.method == "POST":
        if not csrf_ok():
            abort(400, "The form expired; reload the page and try again.")
        name = request.form.get("name", "")
        throttle, keys = _login_throttle(), keys_for(name, request.remote_addr)
        wait = throttle.retry_after(keys)
        if wait:
            flash(f"Too many failed logins; try again in {wait} seconds.")
            response = make_response(render_template("login.html"), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        curator = authenticate(database(), name, request.form.get("password", ""))
        if curator:
            throttle.succeeded(name)
            start_session(curator)
            return redirect(safe_next(request.args.get("next")))
        throttle.failed(keys)
        flash("Wrong name or password.")
        return render_template("login.html"), 401
    return render_template("login.html")


@pages.post("/logout")
def logout() -> Any:
    """Log out (a form with the CSRF token): this curator's sessions end everywhere."""
    if not csrf_ok():
        abort(400, "The form expired; reload the page and try again.")
    end_session()
    return redirect("/")


def _curator_form() -> None:
    """A curator's form post: logged in, with the session's CSRF token."""
    if current_curator() is None:
        abort(403, "Only curators can change feeds; log in first.")
    if not csrf_ok():
        abort(400, "The form expired; reload the page and try again.")


def _refresh_collector() -> None:
    collector = current_app.extensions.get("tagstory.collector")
    if collector:
        collector.refresh()


@pages.post("/feeds")
def feed_create() -> Any:
    """Create a feed from the home page form: name, query, one source SPEC per line."""
    _curator_form()
    specs = [line.strip() for line in request.form.get("sources", "").splitlines() if line.strip()]
    try:
        created = create_feed(
            database(),
            request.form.get("name", "").strip(),
            request.form.get("query", ""),
            specs,
            current_app.config,
        )
    except (FeedError, SpecError) as error:
        flash(f"The feed was not created: {error}.")
        return redirect(url_for("pages.home") + "#new-feed")
    _refresh_collector()
    return redirect(url_for("pages.feed", name=created["name"]))


@pages.post("/feeds/<name>/sources/<int:source_id>")
def source_control(name: str, source_id: int) -> Any:
    """Pause, resume or remove a source from the feed page (action = pause|resume|remove)."""
    _curator_form()
    found = get_feed(database(), name) or abort(404, f"There is no feed '{name}'.")
    action = request.form.get("action")
    try:
        if action == "remove":
            removed = remove_source(database(), found, source_id)
            flash(f"Removed {removed['spec']}; the posts it brought stay in the feed.")
        elif action in ("pause", "resume"):
            set_source_state(database(), found, source_id, "paused" if action == "pause" else "running")
            _refresh_collector()
        else:
            abort(400, "Choose pause, resume or remove.")
    except NotFound as error:
        abort(404, str(error))
    return redirect(url_for("pages.feed", name=name))


def init_app(app: Flask) -> None:
    """Mount the pages and the template helpers."""
    app.register_blueprint(pages)
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["source_label"] = source_label
    app.jinja_env.globals["source_labels"] = SOURCE_LABELS
    app.jinja_env.globals["removed_texts"] = REMOVED_TEXTS
