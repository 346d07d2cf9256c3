"""Archive pages: a story's downloads (one HTML file, JSON, Markdown) and the curators' import form."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from aggregator.feeds import list_feeds
from aggregator.imports import ImportFileError, created_feed_note, import_file
from stories.archive import ArchiveError, duplicate_pins_note, from_archive
from stories.formats import IMPORT_FORMATS, STORY_IMPORT_FORMATS, read_story_archive
from web.archive.cache import export_response
from web.errors import handle_error
from web.lookups import database, story_or_404
from web.security import EXPORT_CSP, content_security_policy, csrf_ok, current_curator, login_first

archive = Blueprint("archive", __name__)


@archive.get("/stories/<slug>/export.html")
@content_security_policy(EXPORT_CSP)
def export_html(slug: str) -> Response:
    """The story as one self-contained HTML file (its own inline CSS, no script)."""
    return export_response(database(), story_or_404(slug), "html")


@archive.get("/stories/<slug>/export.<any(json, md):fmt>")
def export_file(slug: str, fmt: str) -> Response:
    """The story as a Tagstory JSON archive or as Markdown, downloaded."""
    return export_response(database(), story_or_404(slug), fmt)


def _form(status: int = 200) -> Any:
    return render_template("import.html", formats=IMPORT_FORMATS, feeds=list_feeds(database())), status


class UploadRefused(ValueError):
    """An upload that cannot be imported; the message is shown above the form."""


@archive.route("/import", methods=["GET", "POST"])
def import_page() -> Any:
    """Curators upload a story (Tagstory, Storify) or a file of posts for a feed."""
    curator = current_curator()
    if curator is None:
        return login_first()
    if request.method == "GET":
        return _form()
    # Uploads may be bigger than other requests (MAX_CONTENT_LENGTH): set before the body is read.
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    g.size_setting = "IMPORT_MAX_BYTES"  # what a 413 names as the limit
    if not csrf_ok():
        abort(400, "The form expired; reload the page and try again.")
    try:
        return _import_upload(curator)
    except UploadRefused as error:
        flash(str(error))
        return _form(400)


def _import_upload(curator: dict[str, Any]) -> Any:
    """Import the uploaded file; redirect to the new story or to the feed that got the posts."""
    upload, fmt = request.files.get("file"), request.form.get("format", "")
    if upload is None or not upload.filename:
        raise UploadRefused("Choose a file to import.")
    if fmt not in IMPORT_FORMATS:
        raise UploadRefused(f"Choose a format: {', '.join(IMPORT_FORMATS)}.")
    feed_name = request.form.get("feed", "").strip() or None
    if feed_name is None and fmt not in STORY_IMPORT_FORMATS:
        raise UploadRefused(f"Choose the feed that receives the posts of a {fmt} file.")
    try:
        text = upload.read().decode("utf-8")
        if fmt in STORY_IMPORT_FORMATS:
            slug = request.form.get("slug") or None
            story = from_archive(database(), read_story_archive(text, fmt), slug, feed_name, curator)
            if story.get("created_feed"):
                flash(created_feed_note(**story["created_feed"]))
            if story["duplicate_pins"]:
                flash(duplicate_pins_note(story["duplicate_pins"]))
            flash(f"Imported the story '{story['title']}'.")
            return redirect(url_for("stories.edit", slug=story["slug"]))
        summary = import_file(database(), feed_name, io.StringIO(text), fmt)
    except (ArchiveError, ImportFileError) as error:
        raise UploadRefused(f"{upload.filename}: {error}. Nothing was imported.") from error
    except UnicodeDecodeError as error:
        raise UploadRefused(f"{upload.filename} is not UTF-8 text. Nothing was imported.") from error
    flash(summary.describe())
    return redirect(url_for("feeds.feed", name=feed_name))


def too_large(error: RequestEntityTooLarge) -> Any:
    """A 413 that says what the limit is, and which setting sets it."""
    limit = request.max_content_length or 0
    setting = g.get("size_setting", "MAX_CONTENT_LENGTH")
    hint = " Import big files with `flask --app app import`." if setting == "IMPORT_MAX_BYTES" else ""
    return handle_error(
        RequestEntityTooLarge(
            f"The request is larger than this server accepts ({limit / 1_048_576:g} MB,"
            f" the {setting} setting).{hint}"
        )
    )
