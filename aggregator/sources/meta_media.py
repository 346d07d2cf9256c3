"""What Threads and Instagram media objects share (Meta's Graph API shape): a pure module, no network.

Both carry `id`, a text field (`text` / `caption`), `username`, `permalink`, `timestamp` and
`children{data}`, and come in pages `{"data": [...], "paging": ...}`; each network's module
keeps its own rules for media, authors and what else an item says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregator import clock
from aggregator.items import Author, InvalidItem, Item, Media
from aggregator.jsontext import as_dict, as_list
from aggregator.sanitize import clean_url


def checked_text(post: Any, field: str, what: str) -> str:
    """The `field` text of a media object ("" when absent), its id checked first; else InvalidItem."""
    if not isinstance(post, dict) or not isinstance(post.get("id"), (str, int)) or not post["id"]:
        raise InvalidItem(f"{what} needs an 'id'")
    text = post.get(field)
    if text is not None and not isinstance(text, str):
        raise InvalidItem(f"{what}'s '{field}' must be a string")
    return text or ""


def parts(post: dict[str, Any]) -> list[dict[str, Any]]:
    """A carousel's children, or the post itself when it has none."""
    return [as_dict(child) for child in as_list(as_dict(post.get("children")).get("data"))] or [post]


def username(post: dict[str, Any]) -> str | None:
    value = post.get("username")
    return value if isinstance(value, str) and value else None


def media_item(
    post: dict[str, Any], source: str, author: Author, text: str, media: list[Media], **more: Any
) -> Item:
    """The Item of a checked media object: its id, permalink and timestamp, and what the network adds."""
    return Item(
        source=source,
        source_id=str(post["id"]),
        author=author,
        text=text,
        url=clean_url(post.get("permalink")),
        created_at=clock.normalize(post.get("timestamp")) or "",
        media=media,
        raw=post,
        **more,
    )


def page_items(page: Any, convert: Callable[[Any], Item], invalid: str) -> tuple[list[Item], list[str]]:
    """The items of a page of media objects, and why any was skipped (`invalid`: the reason's start)."""
    items, skipped = [], []
    for post in as_list(as_dict(page).get("data")):
        try:
            items.append(convert(post))
        except InvalidItem as error:
            skipped.append(f"{invalid}: {error}")
    return items, skipped
