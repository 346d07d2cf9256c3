"""The wall's form: people in the room post to a feed by name, without a social account.

A feed's curators open it (`web_posts`, in the feed's settings and on the desk); it is closed
by default. A post is a name, up to 280 characters and optionally a picture; it enters the
pipeline as source `web` and always waits in the moderation queue for a curator
(aggregator.moderation). One client address sends at most WEB_POSTS_PER_MINUTE a minute. The
form needs no script: bad input comes back with its message next to the field, as a 4xx.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.wrappers import Response

from aggregator.items import InvalidItem, item_from_dict, store_items
from web.accounts.throttle import LoginThrottle
from web.lookups import database, feed_or_404
from web.participate.images import MIMETYPES, ROUTE, STORED_NAME, ImageRefused, store_picture, uploads_folder
from web.security import content_security_policy, csrf_ok

pages = Blueprint("participate", __name__)

MAX_NAME = 60
MAX_TEXT = 280
MAX_ALT = 300
FORM_OVERHEAD = 64 * 1024  # the form's text fields and multipart framing, beside the picture
WINDOW_SECONDS = 60.0


@dataclass
class Attempt:
    """What the participant sent (kept, so a refused form comes back filled in) and what is wrong."""

    name: str = ""
    text: str = ""
    alt: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> message; "form" for the whole form


def _uploads() -> Path:
    return uploads_folder(current_app.config)


def _open_feed(name: str) -> dict[str, Any]:
    """The feed `name` if its curators opened its wall's form, else a 404 / 403 that says so."""
    found = feed_or_404(name)
    if not found["web_posts"]:
        abort(403, f"The curators of '{name}' have not opened posting from the wall.")
    return found


def _form(feed: dict[str, Any], attempt: Attempt, status: int = 200, headers: dict | None = None) -> Any:
    return (
        render_template("participate.html", feed=feed, attempt=attempt, limits=_limits()),
        status,
        headers or {},
    )


def _limits() -> dict[str, int]:
    return {"name": MAX_NAME, "text": MAX_TEXT, "alt": MAX_ALT, "image_mb": _image_limit() // 1_048_576}


def _image_limit() -> int:
    return int(current_app.config["WEB_POST_IMAGE_MAX_BYTES"])


def _throttle() -> LoginThrottle:
    return LoginThrottle(database(), int(current_app.config["WEB_POSTS_PER_MINUTE"]), WINDOW_SECONDS)


@pages.get("/feeds/<name>/post")
def post_form(name: str) -> Any:
    """The form, empty (or thanking the participant after a post: `?sent=1`)."""
    return _form(_open_feed(name), Attempt())


def _read(attempt: Attempt) -> None:
    """Check the text fields into `attempt.errors`."""
    attempt.name = request.form.get("name", "").strip()
    attempt.text = request.form.get("text", "").replace("\r\n", "\n").strip()
    attempt.alt = request.form.get("alt", "").strip()
    if not attempt.name:
        attempt.errors["name"] = "Give a name to show with your post."
    elif len(attempt.name) > MAX_NAME:
        attempt.errors["name"] = f"A name is at most {MAX_NAME} characters."
    if not attempt.text:
        attempt.errors["text"] = "Write something to post."
    elif len(attempt.text) > MAX_TEXT:
        attempt.errors["text"] = f"A post is at most {MAX_TEXT} characters; this one has {len(attempt.text)}."
    if len(attempt.alt) > MAX_ALT:
        attempt.errors["alt"] = f"A description is at most {MAX_ALT} characters."


def _too_large(attempt: Attempt, limit: int) -> None:
    attempt.errors["image"] = f"The picture is larger than {limit / 1_048_576:g} MB; send a smaller one."


def _uploaded(limit: int) -> bytes:
    """The bytes of the picture sent (b"" for none), at most `limit` + 1 of them."""
    upload = request.files.get("image")
    if upload is None:
        return b""
    try:
        return upload.read(limit + 1) if upload.filename else b""
    finally:
        upload.close()  # a large one is spooled to a temporary file: closed at once


@pages.post("/feeds/<name>/post")
def post_submit(name: str) -> Any:
    """Take a participant's post into the feed's moderation queue; back to the form with what went wrong."""
    found = _open_feed(name)
    attempt = Attempt()
    limit = _image_limit()
    if (request.content_length or 0) > limit + FORM_OVERHEAD:
        _too_large(attempt, limit)
        return _form(found, attempt, 413)
    request.max_content_length = limit + FORM_OVERHEAD  # a body without a length is cut there too
    _read(attempt)
    if not csrf_ok():
        attempt.errors = {"form": "The form had expired; it is fresh again now: send your post once more."}
        return _form(found, attempt, 400)
    throttle, key = _throttle(), [f"web-post:{request.remote_addr or 'unknown'}"]
    wait = throttle.retry_after(key)
    if wait:
        most = throttle.max_failures
        attempt.errors["form"] = (
            f"You have sent {most} post{'s' if most != 1 else ''} in the last minute, the most this wall"
            f" takes; try again in {wait} seconds."
        )
        return _form(found, attempt, 429, {"Retry-After": str(wait)})
    if attempt.errors:  # a mistake to fix is not counted against the minute
        return _form(found, attempt, 400)
    throttle.count(key)
    picture = _uploaded(limit)
    if len(picture) > limit:
        _too_large(attempt, limit)
        return _form(found, attempt, 413)
    media = []
    if picture:
        try:
            stored = store_picture(picture, _uploads())
        except ImageRefused as error:
            attempt.errors["image"] = f"The picture was refused: {error}."
            return _form(found, attempt, 400)
        url = url_for(".picture", name=stored, _external=True)
        media.append({"type": "image", "url": url, "alt": attempt.alt})
    payload = {"text": attempt.text, "author": {"name": attempt.name}, "media": media}
    try:
        item = item_from_dict({"source_id": secrets.token_hex(8), **payload}, source="web")
    except InvalidItem as error:
        attempt.errors["form"] = f"The post cannot be stored: {error}."
        return _form(found, attempt, 400)
    item.raw = payload  # what the participant sent (never their address)
    store_items(database(), found, [item])
    return redirect(url_for(".post_form", name=name, sent=1), 303)


@pages.get(ROUTE + "<name>")
@content_security_policy("default-src 'none'")  # a picture, opened alone, runs nothing
def picture(name: str) -> Response:
    """A picture the form stored (its own random name, served with the type it was stored as)."""
    if not STORED_NAME.match(name):
        abort(404, "no such picture")
    return send_from_directory(_uploads(), name, mimetype=MIMETYPES[name.rsplit(".", 1)[1]], max_age=86400)
