"""The normalized item every source ends in, and the pipeline that stores it.

Sources build `Item`s; `store_items` finishes them (sanitizing happens here, once),
dedupes them on (source, source_id), adds them to a feed, advances the source's
cursor and appends their events — all in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from aggregator import (
    clock,
    consent,
    feed_sources,
    forgotten,
    item_watchers,
    membership,
    moderation,
    sanitize,
)
from aggregator.db import Database
from aggregator.feed_rules import rules_of
from aggregator.item_rows import public_item, stored_item


class InvalidItem(ValueError):
    """A payload that cannot become an item; the message says which field is wrong."""


@dataclass
class Author:
    name: str
    handle: str | None = None
    url: str | None = None
    avatar: str | None = None


@dataclass
class Media:
    type: str
    url: str
    preview: str | None = None
    alt: str = ""


@dataclass
class Item:
    """A post from any network, in Tagstory's own shape."""

    source: str
    source_id: str
    author: Author
    text: str = ""
    url: str | None = None
    created_at: str = ""
    media: list[Media] = field(default_factory=list)
    reply_to: str | None = None
    repost_of: str | None = None
    lang: str | None = None
    sensitive: bool = False
    synthetic: bool = False
    raw: Any = None
    # How to build `html`: untrusted HTML from the source, or link spans over `text`.
    source_html: str | None = None
    links: list[tuple[int, int, str]] | None = None
    # Set only when an archive is imported, so the original collection time survives.
    collected_at: str | None = None
    # False for HTML that a Tagstory sanitizer already linked (archives): cleaned, not re-linked.
    linkify: bool = True
    # Removed at its source (an archive says so): stored as a deleted item, without its content.
    deleted: bool = False
    # Why its author asks to stay off walls (aggregator.consent), or None: held or skipped, never shown.
    opt_out: str | None = None

    @property
    def id(self) -> str:
        """A stable id derived from (source, source_id)."""
        digest = hashlib.sha1(f"{self.source}\0{self.source_id}".encode()).hexdigest()
        return digest[:16]

    def render_html(self) -> str:
        """The safe HTML of this item: sanitized source HTML, or escaped and linked text."""
        if self.source_html is not None:
            return sanitize.clean_html(self.source_html, linkify=self.linkify)
        return sanitize.text_to_html(self.text, self.links, network=self.source)


def _string(data: dict, key: str, required: bool = False, limit: int = 100_000) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InvalidItem(f"'{key}' is required")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InvalidItem(f"'{key}' must be a string")
    value = str(value)
    if len(value) > limit:
        raise InvalidItem(f"'{key}' is longer than {limit} characters")
    return value


def item_from_dict(data: Any, source: str | None = None) -> Item:
    """Build an Item from Tagstory's JSON item shape (replay files, the POST API, archives)."""
    if not isinstance(data, dict):
        raise InvalidItem("an item must be a JSON object")
    author = data.get("author") or {}
    if not isinstance(author, dict):
        raise InvalidItem("'author' must be an object")
    media = data.get("media") or []
    if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
        raise InvalidItem("'media' must be a list of objects")
    text = _string(data, "text") or ""
    html_in = _string(data, "html")
    if not text and not html_in:
        raise InvalidItem("'text' is required")
    item_source = source or _string(data, "source", required=True)
    return Item(
        source=item_source,
        source_id=_string(data, "source_id", required=True, limit=2000),
        author=Author(
            name=_string(author, "name", required=True, limit=500),
            handle=_string(author, "handle", limit=500),
            url=sanitize.clean_url(author.get("url")),
            avatar=sanitize.clean_url(author.get("avatar")),
        ),
        text=text or sanitize.html_to_text(html_in or ""),
        source_html=html_in,
        url=sanitize.clean_url(data.get("url")),
        created_at=clock.normalize(_string(data, "created_at")) or clock.now(),
        media=[
            Media(
                type=str(m.get("type") or "image"),
                url=url,
                preview=sanitize.clean_url(m.get("preview")),
                alt=str(m.get("alt") or ""),
            )
            for m in media
            if (url := sanitize.clean_url(m.get("url")))
        ],
        reply_to=_string(data, "reply_to", limit=2000),
        repost_of=_string(data, "repost_of", limit=2000),
        lang=_string(data, "lang", limit=35),
        sensitive=bool(data.get("sensitive")),
        synthetic=bool(data.get("synthetic")),
        raw=data,
    )


def _deletion_marker(source: str, source_id: str) -> str:
    """The `raw` of a post deleted at its source: which post it was, nothing of what it said."""
    return json.dumps({"deleted": True, "source": source, "source_id": source_id})


def _item_row(item: Item, collected_at: str) -> dict[str, Any]:
    row = {
        "id": item.id,
        "source": item.source,
        "source_id": item.source_id,
        "url": item.url,
        "author_name": item.author.name,
        "author_handle": item.author.handle,
        "author_url": item.author.url,
        "author_avatar": item.author.avatar,
        "text": item.text,
        "html": item.render_html(),
        "media": json.dumps([asdict(m) for m in item.media], ensure_ascii=False),
        "created_at": item.created_at or collected_at,
        "collected_at": item.collected_at or collected_at,
        "reply_to": item.reply_to,
        "repost_of": item.repost_of,
        "lang": item.lang,
        "sensitive": int(item.sensitive),
        "synthetic": int(item.synthetic),
        "raw": json.dumps(item.raw, ensure_ascii=False, default=str),
        "deleted": 0,
    }
    if item.deleted:
        row.update(text="", html="", media="[]", deleted=1, raw=_deletion_marker(item.source, item.source_id))
    return row


def _insert(tx: sqlite_utils.Database, row: dict[str, Any]) -> bool:
    """Store an item's row unless an item with its (source, source_id) is stored already;
    whether it was stored now (then `row` is what the table holds)."""
    cursor = tx.execute(
        f"INSERT INTO items ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        " ON CONFLICT (source, source_id) DO NOTHING",
        list(row.values()),
    )
    return cursor.rowcount == 1


def store_items(
    db: Database,
    feed: dict[str, Any] | None,
    items: list[Item],
    source_row_id: int | None = None,
    cursor: str | None = None,
) -> list[dict[str, Any]]:
    """Store new items into `feed`, with the source's cursor, in one transaction.

    Items already in the feed are skipped (dedupe on source and source_id), and so are the
    posts of forgotten authors (aggregator.forgotten); a post whose author opted out is held
    (aggregator.consent). Returns the public form of the items that were added, each with its
    seq and status.
    With `feed` None the items are only stored (a story may quote them), in no feed.
    """
    return db.write_together(lambda tx: _store(db, tx, feed, items, source_row_id, cursor))


def _store(
    db: Database,
    tx: sqlite_utils.Database,
    feed: dict[str, Any] | None,
    items: list[Item],
    source_row_id: int | None,
    cursor: str | None,
) -> list[dict[str, Any]]:
    added: list[dict[str, Any]] = []
    now = clock.now()
    mode, rules = rules_of(tx, feed["id"]) if feed is not None else (None, None)
    refused = forgotten.refusal(tx)
    for item in items:
        if refused(item.source, item.author.handle, item.author.url, item.author.name):
            continue
        row = _item_row(item, now)
        new = _insert(tx, row)  # a row written now is in no feed yet, and needs no reading back
        if feed is None or (not new and membership.is_member(tx, feed["id"], item.id)):
            continue
        public = public_item(row) if new else stored_item(tx, item.id)
        verdict = moderation.verdict(mode, rules, public)
        public["status"], public["reason"] = consent.held(*verdict, item.opt_out)
        membership.join(db, tx, feed, public, row if new else None)
        added.append(public)
    if source_row_id is not None:
        feed_sources.record_collected(tx, source_row_id, cursor, len(added), now)
    return added


def change_items(
    db: Database,
    changed: list[Item] | None = None,
    deleted: list[tuple[str, str]] | None = None,
) -> int:
    """Apply edits and deletions reported by a source to stored items, in one transaction.

    `changed` items replace the stored text, html and media of the item with the same
    (source, source_id) when they differ (the same version twice is no edit); `deleted`
    (source, source_id) pairs are emptied and marked deleted. Every feed holding such an
    item gets an `item` event (op `update` or `delete`) so viewers replace or drop it, and
    every story pinning it follows (aggregator.item_watchers). Unknown items are ignored.
    Returns the number of feed events appended.
    """
    announced = 0
    with db.write() as tx:
        for item in changed or []:
            row = _item_row(item, clock.now())
            with membership.recounted(tx, item.id):  # the feeds' insight counts its new text and media
                found = tx.execute(
                    "UPDATE items SET text = ?, html = ?, media = ?, sensitive = ?, raw = ?"
                    " WHERE source = ? AND source_id = ? AND deleted = 0"
                    " AND (text IS NOT ? OR html IS NOT ? OR media IS NOT ? OR sensitive IS NOT ?)",
                    [
                        row["text"],
                        row["html"],
                        row["media"],
                        row["sensitive"],
                        row["raw"],
                        item.source,
                        item.source_id,
                        row["text"],
                        row["html"],
                        row["media"],
                        row["sensitive"],
                    ],
                ).rowcount
            if found:
                announced += membership.announce_change(db, tx, item.id, "update")
                item_watchers.changed(db, tx, item.id)
        for source, source_id in deleted or []:
            item_id = tx.execute(
                "SELECT id FROM items WHERE source = ? AND source_id = ? AND deleted = 0", [source, source_id]
            ).fetchone()
            if item_id is None:
                continue
            with membership.recounted(tx, item_id[0]):  # a deleted post counts no more
                tx.execute(
                    "UPDATE items SET deleted = 1, text = '', html = '', media = '[]', raw = ? WHERE id = ?",
                    [_deletion_marker(source, source_id), item_id[0]],
                )
            announced += membership.announce_change(db, tx, item_id[0], "delete")
            item_watchers.changed(db, tx, item_id[0])  # every story pinning it shows its placeholder
    return announced


def unname_items(tx: sqlite_utils.Database, renamed: list[tuple[str, str]]) -> None:
    """Erase who wrote each (item id, new source id): a forgotten author's name, handle, links
    and the network's post id (a Mastodon uri or an X permalink names its author too)."""
    for item_id, source_id in renamed:
        with membership.recounted(tx, item_id):  # the feeds' insight counts it under no name
            tx.execute(
                "UPDATE items SET source_id = ?, url = NULL, author_name = '', author_handle = NULL,"
                " author_url = NULL, author_avatar = NULL WHERE id = ?",
                [source_id, item_id],
            )
