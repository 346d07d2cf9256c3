"""Mastodon status JSON (the REST API's Status entity) into Items: a pure function, no network."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from aggregator import clock, sanitize
from aggregator.items import Author, InvalidItem, Item, Media

_MEDIA_TYPES = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}


def _handle(account: dict[str, Any]) -> str | None:
    """`user@server` for every account (a local account's `acct` has no server)."""
    acct = account.get("acct") or account.get("username")
    if not acct or "@" in acct:
        return acct
    host = urlsplit(account.get("url") or "").hostname
    return f"{acct}@{host}" if host else acct


def item_from_status(status: dict[str, Any]) -> Item:
    """One status as an Item; a boost becomes the boosted post. Deduped on its `uri`."""
    if not isinstance(status, dict):
        raise InvalidItem("a status must be a JSON object")
    if isinstance(status.get("reblog"), dict):
        status = status["reblog"]
    account = status.get("account")
    if not status.get("uri") or not isinstance(account, dict) or not isinstance(status.get("content"), str):
        raise InvalidItem("a status needs 'uri', 'account' and 'content'")
    media = [
        Media(
            _MEDIA_TYPES.get(m.get("type"), "image"),
            m["url"],
            m.get("preview_url"),
            m.get("description") or "",
        )
        for m in status.get("media_attachments") or []
        if isinstance(m, dict) and m.get("url") and m.get("type") != "unknown"
    ]
    spoiler = status.get("spoiler_text") or ""
    # A content warning is plain text; the content is HTML (sanitized by the pipeline).
    body = (f"<p>CW: {html.escape(spoiler)}</p>" if spoiler else "") + status["content"]
    return Item(
        source="mastodon",
        source_id=str(status["uri"]),  # the same post reaches many servers under one uri
        author=Author(
            name=account.get("display_name") or account.get("username") or "?",
            handle=_handle(account),
            url=account.get("url"),
            avatar=account.get("avatar_static") or account.get("avatar"),
        ),
        text=sanitize.html_to_text(body),
        source_html=body,
        url=status.get("url") or status.get("uri"),
        created_at=clock.normalize(status.get("created_at")) or "",
        media=media,
        reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
        lang=status.get("language"),
        sensitive=bool(status.get("sensitive")),
        raw=status,
    )
