"""A story element as viewers and the API see it, read from its row (no writes here)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from aggregator.item_rows import stored_item


def public_element(row: Any, item: dict[str, Any] | None) -> dict[str, Any]:
    """An element row as the API shows it, with its pinned item's public form (or None)."""
    element = {"id": row["id"], "type": row["type"], "position": row["position"], "version": row["version"]}
    if row["type"] == "item":
        element.update(
            item_id=row["item_id"],
            item=item,
            annotation=row["annotation"],
            annotation_html=row["annotation_html"],
        )
    elif row["type"] == "text":
        element.update(text=row["text"], text_html=row["text_html"], style=row["style"])
    else:
        element.update(url=row["url"], title=row["title"], text=row["text"])
    return element


def pinned_item(tx: sqlite_utils.Database, row: Any) -> dict[str, Any] | None:
    """The public form of the item an element row pins, read inside `tx` (None for text and links)."""
    return stored_item(tx, row["item_id"]) if row["item_id"] else None


def element_with_item(tx: sqlite_utils.Database, row: Any) -> dict[str, Any]:
    """An element row's public form with its pinned item, read inside `tx`."""
    return public_element(row, pinned_item(tx, row))
