"""A stored item as the API and the sockets show it: its columns, its public form, and reads by id."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from aggregator.db import Database, in_chunks

ITEM_COLUMNS = (
    "id",
    "source",
    "source_id",
    "url",
    "author_name",
    "author_handle",
    "author_url",
    "author_avatar",
    "text",
    "html",
    "media",
    "created_at",
    "collected_at",
    "reply_to",
    "repost_of",
    "lang",
    "sensitive",
    "synthetic",
    "deleted",
)


def item_columns(alias: str = "i") -> str:
    """The SELECT list of an item's public columns, prefixed with a table alias."""
    return ", ".join(f"{alias}.{column}" for column in ITEM_COLUMNS)


def public_item(row: Any, with_raw: bool = False) -> dict[str, Any]:
    """An item row as the API and the sockets show it."""
    keys = row.keys()
    item = {
        "id": row["id"],
        "source": row["source"],
        "source_id": row["source_id"],
        "url": row["url"],
        "author": {
            "name": row["author_name"],
            "handle": row["author_handle"],
            "url": row["author_url"],
            "avatar": row["author_avatar"],
        },
        "text": row["text"],
        "html": row["html"],
        "media": json.loads(row["media"]),
        "created_at": row["created_at"],
        "collected_at": row["collected_at"],
        "reply_to": row["reply_to"],
        "repost_of": row["repost_of"],
        "lang": row["lang"],
        "sensitive": bool(row["sensitive"]),
        "synthetic": bool(row["synthetic"]),
        "deleted": bool(row["deleted"]),
    }
    if "seq" in keys:
        item["seq"] = row["seq"]
        item["status"] = row["status"]
    if "featured" in keys:
        item["featured"] = bool(row["featured"])
    if "reason" in keys:
        item["reason"] = row["reason"]
    if with_raw and "raw" in keys:
        item["raw"] = json.loads(row["raw"])
    return item


def stored_item(tx: Any, item_id: str) -> dict[str, Any] | None:
    """One item's public form, read inside the open write transaction `tx`; None if unknown."""
    row = tx.execute(f"SELECT {item_columns()} FROM items i WHERE i.id = ?", [item_id]).fetchone()
    return public_item(row) if row else None


def items_by_id(db: Database, ids: Sequence[str], with_raw: bool = False) -> dict[str, dict[str, Any]]:
    """The public form of every known item among `ids`, by id (any number of ids)."""
    columns = f"{item_columns()}, i.raw" if with_raw else item_columns()
    found: dict[str, dict[str, Any]] = {}
    for row in _rows(db, columns, list(dict.fromkeys(ids))):
        found[row["id"]] = public_item(row, with_raw=with_raw)
    return found


def _rows(db: Database, columns: str, ids: list[str]) -> Iterator[Any]:
    for chunk, marks in in_chunks(ids):
        yield from db.query(f"SELECT {columns} FROM items i WHERE i.id IN ({marks})", chunk)
