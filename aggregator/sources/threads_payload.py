"""Threads media objects (the Threads API's keyword search, GET /{media-id}) into Items: no network.

Fields as documented at https://developers.facebook.com/docs/threads/reference/media-retrieval
(`id`, `text`, `media_type`, `media_url`, `thumbnail_url`, `permalink`, `username`,
`timestamp`, `children`, `alt_text`, `is_reply`, `replied_to`, `is_quote_post`,
`quoted_post`, `reposted_post`, `topic_tag`, `is_spoiler_media`); the keyword search never
returns `owner`. The same function converts the live search and `import --format threads`.
"""

from __future__ import annotations

from typing import Any

from aggregator.items import Author, InvalidItem, Item, Media
from aggregator.jsontext import as_dict
from aggregator.sanitize import clean_url
from aggregator.sources import meta_media

_MEDIA_TYPES = {"IMAGE": "image", "VIDEO": "video", "AUDIO": "audio"}


def _media(post: dict[str, Any]) -> list[Media]:
    media = []
    for part in meta_media.parts(post):
        kind = _MEDIA_TYPES.get(str(part.get("media_type") or ""))
        url = clean_url(part.get("media_url") or part.get("thumbnail_url")) if kind else None
        if kind and url:
            preview = clean_url(part.get("thumbnail_url"))
            media.append(Media(kind, url, preview, str(part.get("alt_text") or "")))
    return media


def _id_of(value: Any) -> str | None:
    ident = as_dict(value).get("id")
    return str(ident) if isinstance(ident, (str, int)) and ident else None


def item_from_thread(post: Any) -> Item:
    """One Threads media object as an Item (its id is the Threads media id). InvalidItem when malformed."""
    text = meta_media.checked_text(post, "text", "a Threads post")
    media = _media(post)
    if not text and not media and post.get("media_type") != "REPOST_FACADE":
        raise InvalidItem("a Threads post needs 'text' or media")
    username = meta_media.username(post)
    author = Author(
        name=f"@{username}" if username else "Threads user",
        handle=username,
        url=clean_url(f"https://www.threads.net/@{username}") if username else None,
    )
    return meta_media.media_item(
        post,
        "threads",
        author,
        text,
        media,
        reply_to=_id_of(post.get("replied_to")) if post.get("is_reply") else None,
        repost_of=_id_of(post.get("reposted_post")) or _id_of(post.get("quoted_post")),
        sensitive=bool(post.get("is_spoiler_media")),
    )


def items_from_search(page: Any) -> tuple[list[Item], list[str]]:
    """The posts of a keyword-search page (`{"data": [...], "paging": ...}`), and why any was skipped."""
    return meta_media.page_items(page, item_from_thread, "invalid Threads post")
