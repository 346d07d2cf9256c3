"""Mastodon status JSON (the REST API's Status entity) into Items: a pure function, no network."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from aggregator import clock, consent, sanitize
from aggregator.items import Author, InvalidItem, Item, Media
from aggregator.sanitize import clean_url

_MEDIA_TYPES = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}


def _handle(account: dict[str, Any], server: str | None) -> str | None:
    """`user@server` for every account (a local account's `acct` has no server)."""
    acct = account.get("acct") or account.get("username")
    if not isinstance(acct, str) or not acct or "@" in acct:
        return acct if isinstance(acct, str) and acct else None
    host = server or urlsplit(account.get("url") if isinstance(account.get("url"), str) else "").hostname
    return f"{acct}@{host}" if host else acct


def _media(attachments: Any) -> list[Media]:
    media = []
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict) or attachment.get("type") == "unknown":
            continue
        url = clean_url(attachment.get("url"))
        if url:
            kind = _MEDIA_TYPES.get(attachment.get("type"), "image")
            preview = clean_url(attachment.get("preview_url"))
            media.append(Media(kind, url, preview, str(attachment.get("description") or "")))
    return media


def item_from_status(status: Any, server: str | None = None) -> Item:
    """One status as an Item; a boost becomes the boosted post. Deduped on its `uri`.

    `server` is the host the status was read from: a local account's handle gets it
    (without it, the host of the account's URL). Raises InvalidItem when malformed.
    """
    if not isinstance(status, dict):
        raise InvalidItem("a status must be a JSON object")
    post = status["reblog"] if isinstance(status.get("reblog"), dict) else status
    account = post.get("account")
    if (
        not isinstance(post.get("uri"), str)
        or not isinstance(account, dict)
        or not isinstance(post.get("content"), str)
    ):
        raise InvalidItem("a status needs 'uri', 'account' and 'content'")
    spoiler = post.get("spoiler_text")
    # A content warning is plain text; the content is HTML (sanitized by the pipeline).
    body = (f"<p>CW: {html.escape(spoiler)}</p>" if isinstance(spoiler, str) and spoiler else "") + post[
        "content"
    ]
    handle = _handle(account, server)
    language = post.get("language")
    return Item(
        source="mastodon",
        source_id=post["uri"],  # the same post reaches many servers under one uri
        author=Author(
            name=str(account.get("display_name") or account.get("username") or handle or "?"),
            handle=handle,
            url=clean_url(account.get("url")),
            avatar=clean_url(account.get("avatar_static") or account.get("avatar")),
        ),
        text=sanitize.html_to_text(body),
        source_html=body,
        url=clean_url(post.get("url")) or clean_url(post["uri"]),
        created_at=clock.normalize(post.get("created_at")) or "",
        media=_media(post.get("media_attachments")),
        reply_to=str(post["in_reply_to_id"]) if post.get("in_reply_to_id") else None,
        lang=language if isinstance(language, str) else None,
        sensitive=bool(post.get("sensitive")),
        raw=status,
        opt_out=consent.mastodon_opt_out(account),
    )
