"""What a story shows of a post it pins: the post, or a placeholder that keeps the story's shape.

A pinned post is withheld from a story's viewers when its author took it away (deleted at
its source, or forgotten at their request: `removed` = "author"), or when the curators do
not approve it in the story's own feed (hidden or pending there: `removed` = "curators").
Its element stays where it was, with the curator's annotation, and carries a placeholder
item: which post it was (id, source, source_id), nothing of what it said or who said it.
The story's curators still see a post they hid, in the editor and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aggregator.db import Database
from aggregator.errors import Conflict
from aggregator.item_rows import item_columns, public_item

REMOVED_TEXTS = {
    "author": "This post was removed by its author.",
    "curators": "This post is hidden by the curators.",
}


@dataclass(frozen=True)
class Pin:
    """A pinned post as stored, and its status in the story's feed (None: the feed does not hold it)."""

    item: dict[str, Any] | None
    feed_status: str | None = None

    @property
    def removed(self) -> str | None:
        """Why viewers do not see the post ("author" or "curators"), or None when they do."""
        if self.item is None:
            return None
        if self.item["deleted"]:
            return "author"
        if self.feed_status not in (None, "approved"):
            return "curators"
        return None

    def shown(self, for_curators: bool = False) -> tuple[dict[str, Any] | None, str | None]:
        """The item an element carries, and its `removed`; curators keep a post they hid."""
        removed = self.removed
        if removed is None or (for_curators and removed == "curators"):
            return self.item, removed
        return placeholder(self.item), removed


def placeholder(item: dict[str, Any]) -> dict[str, Any]:
    """The item of a withheld pin: which post it was, without its words, media, author or link."""
    return {
        **item,
        "url": None,
        "author": {"name": "", "handle": None, "url": None, "avatar": None},
        "text": "",
        "html": "",
        "media": [],
        "reply_to": None,
        "repost_of": None,
    }


def load(tx: Any, story_id: int, item_ids: list[str]) -> dict[str, Pin]:
    """The pins of a story by item id, each with its status in the story's feed (`tx` or a Database)."""
    found: dict[str, Pin] = {}
    unique = list(dict.fromkeys(item_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = (
            f"SELECT {item_columns()}, m.status AS feed_status FROM items i"
            " LEFT JOIN feed_items m ON m.item_id = i.id"
            " AND m.feed_id = (SELECT feed_id FROM stories WHERE id = ?)"
            f" WHERE i.id IN ({marks})"
        )
        params = [story_id, *chunk]
        rows = tx.query(sql, params) if isinstance(tx, Database) else tx.execute(sql, params).fetchall()
        for row in rows:
            found[row["id"]] = Pin(public_item(row), row["feed_status"])
    return found


class AlreadyPinned(Conflict):
    """The post is pinned in the story already; `current` is the element that pins it."""


def pinned_row(tx: Any, story_id: int, item_id: str) -> Any:
    """The element row of `story_id` that pins `item_id` (inside `tx`), or None."""
    return tx.execute(
        "SELECT * FROM elements WHERE story_id = ? AND item_id = ? AND type = 'item'", [story_id, item_id]
    ).fetchone()


def already_pinned(element: dict[str, Any]) -> AlreadyPinned:
    """The refusal of a second pin of one post: where the first one is, and that element."""
    return AlreadyPinned(
        f"this post is pinned in the story already, at position {element['position'] + 1}:"
        " move that element instead of pinning the post twice",
        element,
    )
