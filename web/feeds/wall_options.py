"""The wall's options, read from its URL so an organiser can tune a projector without a login,
and the one renderer of the walls (a feed's and a story's) that applies them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, url_for

THEMES = ("dark", "light")
COLUMNS = range(1, 7)  # 0 (the default) lets the wall choose from the screen's shape
SPEEDS = range(2, 301)  # seconds a page of posts stays on screen
DEFAULT_SPEED = 15
KEEP = 60  # posts the page holds at most, so a day-long wall does not grow


@dataclass(frozen=True)
class QrCode:
    """Where the banner's QR code leads a phone in the room, and what its caption says."""

    url: str
    caption: str


class WallOptionError(ValueError):
    """An option in the wall's URL that it cannot use; the message says which values it takes."""


@dataclass(frozen=True)
class WallOptions:
    theme: str = "dark"
    columns: int = 0
    speed: int = DEFAULT_SPEED
    handles: bool = True


def _number(args: Mapping[str, str], name: str, allowed: range, default: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) not in allowed:
        raise WallOptionError(f"{name} must be a whole number from {allowed.start} to {allowed.stop - 1}")
    return int(raw)


def wall_options(args: Mapping[str, str]) -> WallOptions:
    """The options of `?theme=light|dark&columns=N&speed=SECONDS&handles=0|1`; bad values raise."""
    theme = args.get("theme") or "dark"
    if theme not in THEMES:
        raise WallOptionError("theme must be light or dark")
    handles = args.get("handles") or "1"
    if handles not in ("0", "1"):
        raise WallOptionError("handles must be 0 (hide) or 1 (show)")
    columns = 0 if args.get("columns") in (None, "") else _number(args, "columns", COLUMNS, 0)
    return WallOptions(theme, columns, _number(args, "speed", SPEEDS, DEFAULT_SPEED), handles == "1")


def hashtag_of(query: str) -> str:
    """The hashtag the audience is asked to post with: the query's first #tag, else the query."""
    return next((word for word in query.split() if word.startswith("#") and len(word) > 1), query.strip())


def wall_qr(feed: Mapping[str, Any]) -> QrCode:
    """The feed's posting form when its curators opened it to the room, else the feed page."""
    if feed.get("web_posts"):
        return QrCode(
            url_for("participate.post_form", name=feed["name"], _external=True), "Scan to post here"
        )
    return QrCode(url_for("feeds.feed", name=feed["name"], _external=True), "Follow on your phone")


def render_wall(template: str, hashtag: str, qr: QrCode, **context: Any) -> str:
    """A wall page (a feed's or a story's) with the options of this request's URL, or a 400 naming one."""
    try:
        options = wall_options(request.args)
    except WallOptionError as error:
        abort(400, f"{error}.")
    return render_template(template, options=options, keep=KEEP, hashtag=hashtag, qr=qr, **context)
