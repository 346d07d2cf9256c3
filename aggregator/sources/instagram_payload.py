"""Instagram IG Media objects (a hashtag's recent_media) into Items: a pure function, no network.

Fields as documented at
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-hashtag/recent-media
and .../reference/ig-media: `id`, `caption`, `media_type` (IMAGE, VIDEO, CAROUSEL_ALBUM),
`media_url`, `permalink`, `timestamp`, `children{media_type,media_url}`, `comments_count`,
`like_count`. A hashtag's media never carry `username` (Instagram refuses the field), so
the author is the post's permalink only. The same function converts the live source and
`import --format instagram`.
"""

from __future__ import annotations

from typing import Any

from aggregator.items import Author, InvalidItem, Item, Media
from aggregator.sanitize import clean_url
from aggregator.sources import meta_media

_MEDIA_TYPES = {"IMAGE": "image", "VIDEO": "video"}


def _media(post: dict[str, Any]) -> list[Media]:
    media = []
    for part in meta_media.parts(post):
        url = clean_url(part.get("media_url"))
        if url:
            kind = _MEDIA_TYPES.get(str(part.get("media_type") or ""), "image")
            media.append(Media(kind, url, clean_url(part.get("thumbnail_url"))))
    return media


def item_from_media(post: Any) -> Item:
    """One IG Media object as an Item (its id is the IG media id). InvalidItem when malformed."""
    caption = meta_media.checked_text(post, "caption", "an Instagram media")
    media = _media(post)
    if not caption and not media:
        raise InvalidItem("an Instagram media needs a 'caption' or a 'media_url'")
    username = meta_media.username(post)
    author = Author(
        name=f"@{username}" if username else "Instagram post",
        handle=username,
        url=clean_url(f"https://www.instagram.com/{username}/") if username else None,
    )
    return meta_media.media_item(post, "instagram", author, caption, media)


def items_from_page(page: Any) -> tuple[list[Item], list[str]]:
    """The media of a recent_media page (`{"data": [...], "paging": ...}`), and why any was skipped."""
    return meta_media.page_items(page, item_from_media, "invalid Instagram media")
