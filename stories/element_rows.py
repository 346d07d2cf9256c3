"""A story element as viewers and the API see it, read from its row (no writes here).

A pinned post withheld from viewers comes as its placeholder (stories.pins).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from stories import pins
from stories.pins import Pin


def public_element(row: Any, pin: Pin | None, for_curators: bool = False) -> dict[str, Any]:
    """An element row as the API shows it, its pin as viewers (or, `for_curators`, curators) see it."""
    element = {"id": row["id"], "type": row["type"], "position": row["position"], "version": row["version"]}
    if row["type"] == "item":
        item, removed = pin.shown(for_curators) if pin else (None, None)
        element.update(
            item_id=row["item_id"],
            item=item,
            removed=removed,
            annotation=row["annotation"],
            annotation_html=row["annotation_html"],
        )
    elif row["type"] == "text":
        element.update(text=row["text"], text_html=row["text_html"], style=row["style"])
    else:
        element.update(url=row["url"], title=row["title"], text=row["text"])
    return element


def pinned_item(tx: sqlite_utils.Database, row: Any) -> Pin | None:
    """An element row's pin (its item, its status in the story's feed) inside `tx`; None if no item."""
    return pins.load(tx, row["story_id"], [row["item_id"]]).get(row["item_id"]) if row["item_id"] else None


def element_with_item(tx: sqlite_utils.Database, row: Any, pin: Pin | None = None) -> dict[str, Any]:
    """An element row as its story's viewers see it now, read inside `tx` (`pin` when known already)."""
    return public_element(row, pin or pinned_item(tx, row))
