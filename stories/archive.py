"""Tagstory's own archive format: a story, its elements in order, and the full items.

`to_archive` writes it, `from_archive` reads it back in one transaction. The schema is
documented in docs/export-format.md; `FORMAT` and `VERSION` name it inside each file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aggregator import clock, jsontext, sanitize
from aggregator.db import Database
from aggregator.feeds import FeedError, get_feed
from aggregator.imports import feed_for_import
from aggregator.item_rows import items_by_id
from aggregator.items import InvalidItem, Item, item_from_dict, store_items
from stories.elements import MAX_TEXT, element_fields, insert_element, list_elements
from stories.model import STORY_STATUSES, StoryError, get_header, insert_story, slugify

FORMAT = "tagstory-archive"
VERSION = 1
STORY_FIELDS = ("slug", "title", "description", "cover", "status", "byline", "created_at", "updated_at")
ELEMENT_FIELDS = {
    "item": ("item", "annotation"),
    "text": ("text", "style"),
    "link": ("url", "title", "text"),
}
HTML_MARKER = "tagstory-archive"  # the id of the <script type="application/json"> in an HTML export
_SCRIPT_OPEN = re.compile(r"<script", re.IGNORECASE)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")

T = TypeVar("T")
Progress = Callable[[Iterable[T]], Iterable[T]]


class ArchiveError(ValueError):
    """An archive that cannot be imported; the message names the element or item at fault."""


def no_progress(iterable: Iterable[T]) -> Iterable[T]:
    """The default progress reporter: reports nothing."""
    return iterable


def to_archive(db: Database, story: dict[str, Any], progress: Progress = no_progress) -> dict[str, Any]:
    """The story as a Tagstory archive (a JSON-ready dict): header, elements in order, items with `raw`."""
    elements = list_elements(db, story)
    raws = items_by_id(db, [e["item_id"] for e in elements if e["type"] == "item"], with_raw=True)
    out_elements: list[dict[str, Any]] = []
    items: dict[str, dict[str, Any]] = {}
    timestamps = {
        row["id"]: (row["created_at"], row["updated_at"])
        for row in db.query(
            "SELECT id, created_at, updated_at FROM elements WHERE story_id = ?", [story["id"]]
        )
    }
    for element in progress(elements):
        entry: dict[str, Any] = {"id": element["id"], "type": element["type"]}
        if element["type"] == "item":
            entry.update(item=element["item_id"], annotation=element["annotation"])
            if element["removed"]:  # withheld from viewers: its placeholder, stored as a deleted post
                entry["removed"] = element["removed"]
                items.setdefault(element["item_id"], withheld_item(element["item"]))
            elif element["item_id"] in raws:
                items.setdefault(element["item_id"], raws[element["item_id"]])
        else:
            entry.update({name: element.get(name) for name in ELEMENT_FIELDS[element["type"]]})
        entry["created_at"], entry["updated_at"] = timestamps[element["id"]]
        out_elements.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "generator": "Tagstory",
        "exported_at": clock.now(),
        "story": {
            **{name: story[name] for name in STORY_FIELDS},
            "feed": story["feed"],
            "curators": story["curators"],
        },
        "elements": out_elements,
        "items": list(items.values()),
        "feed": _described_feed(db, story["feed"]),
    }


def withheld_item(placeholder: dict[str, Any]) -> dict[str, Any]:
    """The archive's item for a pin withheld from viewers: deleted, with nothing of its content."""
    return {
        **placeholder,
        "deleted": True,
        "raw": {"deleted": True, "source": placeholder["source"], "source_id": placeholder["source_id"]},
    }


def _described_feed(db: Database, name: str | None) -> dict[str, str] | None:
    """The story's feed as an import can make it again: its name and query (never its sources)."""
    feed = get_feed(db, name) if name else None
    return {"name": feed["name"], "query": feed["query"]} if feed else None


def dumps(archive: dict[str, Any], indent: int | None = 1) -> str:
    """The archive as JSON text (UTF-8, not ASCII-escaped)."""
    return json.dumps(archive, ensure_ascii=False, indent=indent)


def dumps_for_html(archive: dict[str, Any]) -> str:
    """The archive as JSON safe inside <script type="application/json">: no `</`, `<!--` or `<script`.

    Each is a valid JSON escape (`<\\/`, `\\u003c`), so `json.loads` reads the text unchanged.
    """
    text = json.dumps(archive, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("<!--", "\\u003c!--")
    return _SCRIPT_OPEN.sub(lambda match: "\\u003c" + match.group(0)[1:], text)


_EMBEDDED_OPEN = f'<script type="application/json" id="{HTML_MARKER}">'


def archive_from_text(text: str) -> Any:
    """Parse a Tagstory JSON archive, or find the one embedded in an HTML export."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        start = text.find(_EMBEDDED_OPEN)
        end = text.find("</script>", start)
        if start < 0 or end < 0:
            raise ArchiveError(f"this HTML file has no {_EMBEDDED_OPEN}: is it a Tagstory export?")
        payload, where = text[start + len(_EMBEDDED_OPEN) : end], "HTML"
    else:
        payload, where = text, "JSON"
    try:
        return jsontext.loads(payload)
    except jsontext.BrokenJson as error:
        raise ArchiveError(f"broken {where}: {error}") from error


def _check_header(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError(f"not a Tagstory archive: 'format' must be \"{FORMAT}\"")
    if data.get("version") != VERSION:
        raise ArchiveError(
            f"archive version {data.get('version')!r} is not supported (this server reads {VERSION})"
        )
    story = data.get("story")
    if not isinstance(story, dict):
        raise ArchiveError("'story' must be an object")
    for name in STORY_FIELDS:
        if story.get(name) is not None and not isinstance(story[name], str):
            raise ArchiveError(f"story '{name}' must be a string")
        if len(story.get(name) or "") > MAX_TEXT:
            raise ArchiveError(f"story '{name}' is longer than {MAX_TEXT} characters")
    if not (story.get("title") or "").strip():
        raise ArchiveError("story 'title' must not be empty")
    if (story.get("status") or "draft") not in STORY_STATUSES:
        raise ArchiveError(f"story 'status' must be one of {', '.join(STORY_STATUSES)}")
    for name in ("elements", "items"):
        if not isinstance(data.get(name, []), list):
            raise ArchiveError(f"'{name}' must be a list")
    feed = data.get("feed")
    if feed is not None and not (
        isinstance(feed, dict) and all(isinstance(feed.get(key), str) for key in ("name", "query"))
    ):
        raise ArchiveError("'feed' must be null or an object with a 'name' and a 'query'")
    return story


def _archived_item(data: Any, number: int) -> Item:
    # A post deleted at its source stays in the story as a deleted item, stored without its content.
    emptied = isinstance(data, dict) and data.get("deleted") and not (data.get("text") or data.get("html"))
    try:
        # Nor, when it was withheld from viewers (stories.pins), anything of its author.
        author = data.get("author") if isinstance(data.get("author"), dict) else {}
        unnamed = {"author": {**author, "name": author.get("name") or "(removed)"}}
        item = item_from_dict({**data, "text": "(deleted)", **unnamed} if emptied else data)
    except InvalidItem as error:
        raise ArchiveError(f"item {number}: {error}") from error
    item.deleted = bool(data.get("deleted"))
    item.raw = data.get("raw", data)
    item.collected_at = _timestamp(data.get("collected_at"))
    if item.source_html is not None:
        # The archive's html was made by a sanitizer; it is cleaned again, never trusted.
        item.linkify = False
    return item


def _element(data: Any, number: int, item_ids: dict[str, str]) -> tuple[str, dict[str, Any], str, str]:
    """An archive's element checked by the editor's own validator: (type, fields, created_at, updated_at)."""
    if not isinstance(data, dict):
        raise ArchiveError(f"element {number}: must be an object")
    kind = data.get("type")
    if kind not in ELEMENT_FIELDS:
        raise ArchiveError(f"element {number}: 'type' must be one of {', '.join(ELEMENT_FIELDS)}")
    for name in (*ELEMENT_FIELDS[kind], "created_at", "updated_at"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise ArchiveError(f"element {number}: '{name}' must be a string")
        if value is not None and len(value) > MAX_TEXT:
            raise ArchiveError(f"element {number}: '{name}' is longer than {MAX_TEXT} characters")
    if kind == "item" and data.get("item") not in item_ids:
        raise ArchiveError(f"element {number}: 'item' must name one of the archive's items")
    wanted = {name: data.get(name) for name in ELEMENT_FIELDS[kind]}
    if kind == "item":
        wanted["item_id"] = item_ids[wanted.pop("item")]
    if kind == "text":
        wanted["style"] = wanted["style"] or "paragraph"
    try:
        fields = element_fields({"type": kind, **wanted})
    except StoryError as error:
        raise ArchiveError(f"element {number}: {error}") from error
    now = clock.now()
    return kind, fields, _timestamp(data.get("created_at")) or now, _timestamp(data.get("updated_at")) or now


def _timestamp(value: Any) -> str | None:
    """`value` as written if it is an ISO 8601 timestamp (its offset kept), else None."""
    return value if isinstance(value, str) and clock.normalize(value) else None


def _free_slug(tx: Any, wanted: str) -> str:
    if not SLUG.fullmatch(wanted):
        raise ArchiveError("slug must be lowercase letters, digits and '-'")
    if tx.execute("SELECT 1 FROM stories WHERE slug = ?", [wanted]).fetchone():
        raise ArchiveError(
            f"a story with slug '{wanted}' exists already; import it under another slug (--slug NEW-SLUG)"
        )
    return wanted


def from_archive(
    db: Database,
    data: Any,
    slug: str | None = None,
    feed_name: str | None = None,
    owner: dict[str, Any] | None = None,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Create a story from an archive, in one transaction; return its header.

    Items are stored through the items pipeline (re-sanitized, deduped); with `feed_name`
    they also join that feed, and the story is linked to it. Without, the story is linked
    to the archive's feed. Either feed is created (no sources) when missing; the header's
    `created_feed` ({name, query}) then says so. A taken slug is an error: pass `slug` to
    rename. With no `owner` the story is open to every curator, so someone can edit it.
    A post pinned twice keeps its first pin: the header's `duplicate_pins` counts the pins
    dropped, `imported_elements` the elements stored.
    """
    story = _check_header(data)
    items = [_archived_item(entry, number) for number, entry in enumerate(data.get("items", []), start=1)]
    item_ids = {}
    for entry, item in zip(data.get("items", []), items, strict=True):
        item_ids[str(entry.get("id") or item.id)] = item.id
        item_ids.setdefault(item.id, item.id)
    # Checked and sanitized before the transaction, so the writer is held only to write.
    elements, duplicate_pins = _first_pins(
        [
            _element(entry, number, item_ids)
            for number, entry in enumerate(progress(data.get("elements", [])), start=1)
        ]
    )
    with db.write() as tx:
        feed, created = _feed_of_import(db, tx, data, feed_name)
        store_items(db, feed if feed_name else None, items)  # a stored post keeps its own state
        chosen = _free_slug(tx, slug or story.get("slug") or slugify(story["title"]))
        try:
            story_id, chosen = insert_story(
                tx,
                story["title"],
                feed["id"] if feed else None,
                owner,
                slug=chosen,
                description=story.get("description") or "",
                status=story.get("status") or "draft",
                byline=story.get("byline"),
                open_to_curators=owner is None,
                created_at=_timestamp(story.get("created_at")),
                cover=sanitize.clean_url(story.get("cover")),
                updated_at=_timestamp(story.get("updated_at")),
            )
        except StoryError as error:
            raise ArchiveError(str(error)) from error
        for position, (kind, fields, created_at, updated_at) in enumerate(elements):
            insert_element(tx, story_id, position, kind, fields, created_at, updated_at)
    header = get_header(db, chosen)
    if created:
        header["created_feed"] = {"name": feed["name"], "query": feed["query"]}
    header["imported_elements"], header["duplicate_pins"] = len(elements), duplicate_pins
    return header


def _first_pins(
    elements: list[tuple[str, dict[str, Any], str, str]],
) -> tuple[list[tuple[str, dict[str, Any], str, str]], int]:
    """The elements with each post pinned once, at its first pin, and how many later pins were dropped.

    The editor refuses a second pin of a post (stories.pins); an archive may still hold one,
    or two archive items that are the same post (the same source and source id).
    """
    pinned: set[str] = set()
    kept = []
    for element in elements:
        kind, fields = element[0], element[1]
        if kind == "item":
            if fields["item_id"] in pinned:
                continue
            pinned.add(fields["item_id"])
        kept.append(element)
    return kept, len(elements) - len(kept)


def duplicate_pins_note(count: int) -> str:
    """What an import says when it dropped `count` duplicate pins."""
    pins = "pin" if count == 1 else "pins"
    return (
        f"Dropped {count} duplicate {pins} of a post already pinned in the story"
        " (a post is pinned once; the first pin was kept)."
    )


def _feed_of_import(
    db: Database, tx: Any, data: dict[str, Any], feed_name: str | None
) -> tuple[dict[str, Any] | None, bool]:
    """The feed the story is linked to ({id, name, query}), and whether it was created for it.

    `feed_name` when given, else the archive's `feed`, each created when missing. An archive of
    version 1 before `feed` existed names its feed in `story.feed` only: linked when it exists.
    """
    described = data.get("feed") or {}
    name = feed_name or described.get("name")
    if name is None:
        legacy = data["story"].get("feed")
        row = (
            tx.execute("SELECT id, name, query FROM feeds WHERE name = ?", [legacy]).fetchone()
            if isinstance(legacy, str)
            else None
        )
        return (dict(row) if row else None), False
    try:
        return feed_for_import(db, name, described.get("query") if described.get("name") == name else None)
    except FeedError as error:
        raise ArchiveError(f"feed '{name}': {error}") from error
