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

from aggregator import clock
from aggregator.items import Author, InvalidItem, Item, Media
from aggregator.jsontext import as_dict, as_list
from aggregator.sanitize import clean_url

_MEDIA_TYPES = {"IMAGE": "image", "VIDEO": "video"}


def _media(post: dict[str, Any]) -> list[Media]:
    parts = [as_dict(child) for child in as_list(as_dict(post.get("children")).get("data"))] or [post]
    media = []
    for part in parts:
        url = clean_url(part.get("media_url"))
        if url:
            kind = _MEDIA_TYPES.get(str(part.get("media_type") or ""), "image")
            media.append(Media(kind, url, clean_url(part.get("thumbnail_url"))))
    return media


def item_from_media(post: Any) -> Item:
    """One IG Media object as an Item (its id is the IG media id). InvalidItem when malformed."""
    if not isinstance(post, dict) or not isinstance(post.get("id"), (str, int)) or not post["id"]:
        raise InvalidItem("an Instagram media needs an 'id'")
    caption = post.get("caption")
    if caption is not None and not isinstance(caption, str):
        raise InvalidItem("an Instagram media's 'caption' must be a string")
    media = _media(post)
    if not caption and not media:
        raise InvalidItem("an Instagram media needs a 'caption' or a 'media_url'")
    username = post.get("username") if isinstance(post.get("username"), str) and post["username"] else None
    return Item(
        source="instagram",
        source_id=str(post["id"]),
        author=Author(
            name=f"@{username}" if username else "Instagram post",
            handle=username,
            url=clean_url(f"https://www.instagram.com/{username}/") if username else None,
        ),
        text=caption or "",
        url=clean_url(post.get("permalink")),
        created_at=clock.normalize(post.get("timestamp")) or "",
        media=media,
        raw=post,
    )


def items_from_page(page: Any) -> tuple[list[Item], list[str]]:
    """The media of a recent_media page (`{"data": [...], "paging": ...}`), and why any was skipped."""
    items, skipped = [], []
    for post in as_list(as_dict(page).get("data")):
        try:
            items.append(item_from_media(post))
        except InvalidItem as error:
            skipped.append(f"invalid Instagram media: {error}")
    return items, skipped
