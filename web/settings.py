"""Every setting Tagstory reads, declared once with its default and its help text.

A setting comes from, in order: the built-in default, `config.py` in the instance
folder, the environment (`TAGSTORY_<NAME>`), then the `config` passed to create_app.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS = (
    Setting(
        "DATABASE",
        None,
        "Path of the SQLite file (default: tagstory.sqlite in the instance folder).",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs session cookies (default: a random key kept in the instance folder).",
    ),
    Setting(
        "DEMO",
        True,
        "Replay the #kredcrew summit into the feed `kredcrew` and build the seed story (0 turns it off).",
    ),
    Setting(
        "REPLAY_SPEED",
        60.0,
        "How many times faster than the original a replay runs (0 = no waiting).",
    ),
    Setting(
        "REPLAY_ROOT",
        None,
        "Folder that relative replay:FILE paths are read from (default: the folder of app.py).",
    ),
    Setting(
        "COLLECT",
        True,
        "Run the collectors inside the web process (0 when `flask collect` runs them).",
    ),
    Setting(
        "MESSAGE_QUEUE",
        None,
        "Redis URL shared by web and collector processes, e.g. redis://127.0.0.1:6379/0.",
    ),
    Setting(
        "ROLE",
        "primary",
        "`primary` serves everything; `edge` serves viewers' Socket.IO only, from the Redis stream of"
        " MESSAGE_QUEUE, with no database (docs/deploy.md).",
    ),
    Setting(
        "STREAM_RETENTION",
        100_000,
        "Log events the Redis stream keeps for edges' catch-up (with MESSAGE_QUEUE); a join older is told"
        " to reload.",
    ),
    Setting(
        "WEB_WORKERS",
        1,
        "Web worker processes `python app.py` starts on the same port (SO_REUSEPORT); more than 1"
        " needs MESSAGE_QUEUE and serves Socket.IO over websockets only (docs/deploy.md).",
    ),
    Setting(
        "WEBSOCKET_SERVER",
        "gevent-websocket",
        "Websocket server under gevent: gevent-websocket or simple-websocket (permessage-deflate"
        " declined); see docs/benchmarks.md.",
    ),
    Setting(
        "ASYNC_MODE",
        None,
        "Socket.IO async mode; `python app.py` uses gevent (see docs/benchmarks.md).",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        2 * 1024 * 1024,
        "Largest request body accepted, in bytes; a larger one is refused with 413.",
    ),
    Setting(
        "IMPORT_MAX_BYTES",
        32 * 1024 * 1024,
        "Largest file the import form accepts, in bytes (413 above it; the command line has no limit).",
    ),
    Setting(
        "EXPORT_MEDIA_MAX_BYTES",
        5_000_000,
        "`export --embed-media`: largest image, in bytes, inlined into an exported page.",
    ),
    Setting(
        "FETCH_ALLOW_PRIVATE",
        False,
        "Let sources and `export --embed-media` fetch from loopback, private and link-local addresses"
        " (tests and intranets only; off, a curator cannot make the server reach inside its network).",
    ),
    Setting(
        "SESSION_COOKIE_SAMESITE",
        "Lax",
        "SameSite attribute of the session cookie (Lax, Strict or None).",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Always mark the session cookie Secure; it already is on every request that came over HTTPS.",
    ),
    Setting(
        "LOGIN_MAX_FAILURES",
        5,
        "Failed logins per account name, and per client address, before logins are refused (429).",
    ),
    Setting(
        "LOGIN_WINDOW_SECONDS",
        300.0,
        "The window failed logins are counted in; a refused login may retry when the oldest leaves it.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "How many reverse proxies (nginx) stand in front: their X-Forwarded-For and -Proto are believed.",
    ),
    Setting(
        "EXPORT_CACHE_BYTES",
        128 * 1024 * 1024,
        "Memory for story downloads (export.html/.json/.md) rendered once per story version; 0 = none.",
    ),
    Setting(
        "EMBED_FRAME_ANCESTORS",
        "*",
        "Sites allowed to frame the embed pages (CSP frame-ancestors): `*` = any, or origins such as"
        " `https://event.example https://*.example.org`; every other page refuses to be framed.",
    ),
    Setting(
        "WEB_POSTS_PER_MINUTE",
        3,
        "Posts one client address may send per minute through a wall's form (/feeds/<feed>/post);"
        " more are refused with 429 until the oldest leaves the minute.",
    ),
    Setting(
        "WEB_POST_IMAGE_MAX_BYTES",
        8 * 1024 * 1024,
        "Largest picture, in bytes, a wall's form accepts (413 above it); stored re-encoded,"
        " without metadata.",
    ),
    Setting(
        "UPLOADS_FOLDER",
        None,
        "Folder of the pictures sent through a wall's form (default: `uploads` beside the database file).",
    ),
    Setting(
        "POLL_SECONDS",
        1.0,
        "How often each web process checks the event log for writes from other processes.",
    ),
    Setting(
        "FRAME_TICK_MS",
        40,
        "Milliseconds between two deliveries of a web process: what arrives meanwhile is one frame per room.",
    ),
    Setting(
        "FRAME_TICK_MAX_MS",
        150,
        "Longest tick: after a delivery that took longer than FRAME_TICK_MS (a big room), the wait is as"
        " long as it took, up to this.",
    ),
)

SOURCE_SETTINGS = (
    Setting(
        "CONTACT_URL",
        "https://github.com/tagstory/tagstory",
        "Where the people of a network can reach this server's operator: every outgoing request says"
        " `User-Agent: Tagstory/VERSION (+CONTACT_URL)` (a page or a mailto: URL).",
    ),
    Setting(
        "USER_AGENT",
        None,
        "Replaces the whole User-Agent built from CONTACT_URL (keep Tagstory and a contact in it).",
    ),
    Setting(
        "HTTP_TIMEOUT", 20.0, "Seconds a source waits for a network's answer before it retries; 0 = no limit."
    ),
    Setting(
        "X_BEARER_TOKEN",
        None,
        "X API v2 app bearer token (needed by `x` sources). Every post read is billed by X.",
    ),
    Setting(
        "X_DAILY_READ_BUDGET",
        1000,
        "Most posts an `x` source reads per UTC day; polling stops at the limit until midnight UTC.",
    ),
    Setting("X_POLL_SECONDS", 60.0, "Seconds between two searches of an `x` source."),
    Setting(
        "X_STREAM",
        False,
        "Follow X's filtered stream instead of polling (accounts that have it; one `x` source per token).",
    ),
    Setting(
        "X_BACKFILL", True, "On first start, read back the last 7 days of an `x` search (within budget)."
    ),
    Setting(
        "X_API_URL", "https://api.twitter.com", "Base URL of the X API (tests point it at a local server)."
    ),
    Setting(
        "MASTODON_TOKENS",
        None,
        "Mastodon user tokens as `host=token,host=token`; sent only to their own server.",
    ),
    Setting("MASTODON_POLL_SECONDS", 20.0, "Seconds between two polls of a Mastodon hashtag timeline."),
    Setting(
        "MASTODON_BACKFILL_PAGES",
        25,
        "Pages of 40 older posts read on a Mastodon source's first start (0 = all the server has).",
    ),
    Setting(
        "MASTODON_REQUESTS_PER_5_MINUTES",
        300,
        "Most requests sent to one Mastodon server per 5 minutes, across every feed (its default limit).",
    ),
    Setting(
        "JETSTREAM_URLS",
        "wss://jetstream1.us-east.bsky.network/subscribe,wss://jetstream2.us-east.bsky.network/subscribe,"
        "wss://jetstream1.us-west.bsky.network/subscribe,wss://jetstream2.us-west.bsky.network/subscribe",
        "Public Jetstream instances a `bluesky` source rotates through when one fails.",
    ),
    Setting(
        "JETSTREAM_REWIND_SECONDS",
        5.0,
        "A resumed `bluesky` source asks for events from this long before its cursor (repeats are deduped).",
    ),
    Setting(
        "BLUESKY_HANDLE",
        None,
        "Bluesky handle used with BLUESKY_APP_PASSWORD for the search backfill (Jetstream needs none).",
    ),
    Setting(
        "BLUESKY_APP_PASSWORD",
        None,
        "Bluesky app password (Settings → App passwords), never the account password; enables search.",
    ),
    Setting("BLUESKY_API_URL", "https://bsky.social", "Where a Bluesky account logs in and searches."),
    Setting(
        "BLUESKY_BACKFILL_PAGES",
        10,
        "Pages of 100 posts per hashtag a new `bluesky` source searches (with an app password); 0 = none.",
    ),
    Setting(
        "RSS_POLL_SECONDS", 300.0, "Seconds between two conditional GETs of an `rss` feed; 0 = no pause."
    ),
    Setting(
        "OPT_OUT",
        "skip",
        "What feeds do with a post whose author opted out (docs/consent.md): `skip` (never stored)"
        " or `hold` (pending, with the signal as its reason, until a curator decides).",
    ),
    Setting(
        "BLUESKY_APPVIEW_URL",
        "https://public.api.bsky.app",
        "Public AppView where `bluesky` sources look up each author's self-labels (getProfiles).",
    ),
    Setting(
        "BLUESKY_PROFILE_TTL",
        3600.0,
        "Seconds a Bluesky author's looked-up labels are trusted; 0 = ask every time.",
    ),
    Setting(
        "BLUESKY_PROFILE_CACHE", 10_000, "Most Bluesky authors whose labels each process keeps; 0 = none."
    ),
    Setting(
        "THREADS_ACCESS_TOKEN",
        None,
        "Threads user access token with `threads_basic` and `threads_keyword_search` (needed by `threads`).",
    ),
    Setting("THREADS_API_URL", "https://graph.threads.net/v1.0", "Base URL of the Threads API."),
    Setting("THREADS_POLL_SECONDS", 60.0, "Seconds between two sweeps of a `threads` source's hashtags."),
    Setting("THREADS_BACKFILL_PAGES", 5, "Pages of 100 posts per hashtag a new `threads` source reads back."),
    Setting(
        "THREADS_DAILY_QUERY_BUDGET",
        2200,
        "Most keyword-search queries a `threads` source sends per rolling 24 hours (Meta's limit per user).",
    ),
    Setting(
        "YOUTUBE_API_KEY", None, "Google Cloud API key with the YouTube Data API v3 enabled (for `youtube`)."
    ),
    Setting("YOUTUBE_OAUTH_TOKEN", None, "YouTube OAuth access token, used instead of the API key when set."),
    Setting("YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3", "Base URL of the YouTube Data API."),
    Setting(
        "YOUTUBE_HASHTAG_ONLY", False, "Keep only the live chat messages that carry a hashtag of the feed."
    ),
    Setting(
        "YOUTUBE_CHANNEL_RECHECK_SECONDS",
        300.0,
        "Seconds between two looks for a channel's live stream (each look costs 100 quota units).",
    ),
    Setting(
        "YOUTUBE_DAILY_QUOTA_UNITS",
        10000,
        "The project's YouTube quota per day (shown in the health next to the units spent).",
    ),
    Setting(
        "INSTAGRAM_USER_ID",
        None,
        "Id of the Instagram business or creator account that searches hashtags (for `instagram`).",
    ),
    Setting(
        "INSTAGRAM_ACCESS_TOKEN",
        None,
        "User access token of that account's Facebook user (instagram_basic, Public Content Access).",
    ),
    Setting("INSTAGRAM_API_URL", "https://graph.facebook.com/v21.0", "Base URL of the Instagram Graph API."),
    Setting("INSTAGRAM_POLL_SECONDS", 300.0, "Seconds between two sweeps of an `instagram` source."),
    Setting(
        "INSTAGRAM_WEEKLY_HASHTAG_LIMIT",
        30,
        "Most distinct hashtags an `instagram` source queries per rolling 7 days (Meta's limit per account).",
    ),
)

SETTINGS = SETTINGS + SOURCE_SETTINGS

# Not settings of the app but of the server `python app.py` starts: plain variables, no TAGSTORY_.
SERVER_VARIABLES = (
    Setting("HOST", "127.0.0.1", "Address `python app.py` (make run) listens on."),
    Setting("PORT", 5000, "Port `python app.py` (make run) listens on."),
)

_BOOLEAN_FALSE = {"0", "false", "no", "off", ""}


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() not in _BOOLEAN_FALSE
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, int):
        return int(raw)
    return raw


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The settings given as TAGSTORY_<NAME> environment variables, typed like their defaults."""
    environ = os.environ if environ is None else environ
    found = {}
    for setting in SETTINGS:
        raw = environ.get(f"TAGSTORY_{setting.name}")
        if raw is not None:
            found[setting.name] = _coerce(raw, setting.default)
    return found


def server_address(environ: dict[str, str] | None = None) -> tuple[str, int]:
    """HOST and PORT for `python app.py`, from the environment or their declared defaults."""
    environ = os.environ if environ is None else environ
    declared = {variable.name: variable.default for variable in SERVER_VARIABLES}
    return environ.get("HOST", declared["HOST"]), int(environ.get("PORT", declared["PORT"]))


def defaults() -> dict[str, Any]:
    """Every setting at its default value."""
    return {setting.name: setting.default for setting in SETTINGS}


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def markdown_table() -> str:
    """The settings as the Markdown table of docs/settings.md (a test keeps the two equal)."""
    lines = ["| setting | environment variable | default | what it does |", "|---|---|---|---|"]
    for setting in SETTINGS:
        help_text = setting.help.replace("|", "\\|")
        lines.append(
            f"| `{setting.name}` | `TAGSTORY_{setting.name}` | `{_shown(setting.default)}` | {help_text} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
