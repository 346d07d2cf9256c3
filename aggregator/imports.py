"""Files of posts imported into a feed: Tagstory JSONL, twarc2 JSONL, Mastodon statuses, Jetstream,
and saved answers of the Threads keyword search, YouTube live chat and Instagram recent_media.

The whole file is read and converted first; then every item is stored in one
transaction through `store_items`, so a bad file changes nothing. Posts that are not
usable (a like, a delete, a status without content) are skipped and counted by reason.
The feed that receives them is created, in that same transaction, when it does not exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from aggregator import jsontext
from aggregator.db import Database
from aggregator.feeds import FeedError, create_feed
from aggregator.items import InvalidItem, Item, item_from_dict, store_items
from aggregator.sources import instagram_payload, threads_payload, youtube_payload
from aggregator.sources.jetstream_payload import item_from_jetstream_event, skip_reason
from aggregator.sources.mastodon_payload import item_from_status
from aggregator.sources.x_payload import item_from_tweet

# The feed import formats, each with what it holds (the one declaration: the form and the CLI list these).
FORMAT_LABELS = {
    "jsonl": "Posts: Tagstory items, one a line (JSONL)",
    "twarc": "Posts: twarc2 / X API v2 responses (JSONL)",
    "mastodon": "Posts: Mastodon statuses (JSON array or JSONL)",
    "jetstream": "Posts: Bluesky Jetstream events (JSONL)",
    "threads": "Posts: Threads keyword-search answers or posts (JSONL)",
    "youtube": "Posts: YouTube live chat answers or messages (JSONL)",
    "instagram": "Posts: Instagram recent_media answers or media (JSONL)",
}
FORMATS = tuple(FORMAT_LABELS)
MAX_LINE = 10_000_000  # characters; a longer line is not a post


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names the line or element."""


@dataclass
class ImportSummary:
    """What an import did: records read, items added, duplicates, and skips by reason."""

    read: int = 0
    added: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    created_feed: str | None = None  # the feed's name, when the import created it

    def describe(self) -> str:
        """One line per fact, for people."""
        skipped = sum(self.skipped.values())
        lines = (
            [created_feed_note(self.created_feed, default_query(self.created_feed))]
            if self.created_feed
            else []
        )
        lines += [
            f"Read {self.read} items: {self.added} added, {self.duplicates} duplicates"
            + (f", {skipped} skipped." if skipped else ".")
        ]
        lines += [f"  skipped {count}: {reason}" for reason, count in self.skipped.most_common()]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {
            "read": self.read,
            "added": self.added,
            "duplicates": self.duplicates,
            "skipped": dict(self.skipped),
            "created_feed": self.created_feed,
        }


def created_feed_note(name: str, query: str) -> str:
    """What people are told when an import created a feed."""
    return f"Created feed {name} (query {query}, no sources)."


def default_query(name: str) -> str:
    """The query of a feed an import creates when nothing says what it follows: its name as a hashtag."""
    return f"#{name}"


def feed_for_import(db: Database, name: str, query: str | None = None) -> tuple[dict[str, Any], bool]:
    """The feed named `name` ({id, name, query}), and whether it was created now (with `query`, no sources).

    Run it inside the import's write transaction: a file refused later leaves no feed behind.
    Raises FeedError for a name that cannot be a feed's.
    """
    with db.write() as tx:
        row = tx.execute("SELECT id, name, query FROM feeds WHERE name = ?", [name]).fetchone()
        created = row is None
        if created:
            create_feed(db, name, query or default_query(name), [])
            row = tx.execute("SELECT id, name, query FROM feeds WHERE name = ?", [name]).fetchone()
    return dict(row), created


Converted = tuple[list[Item], list[str]]  # items, and why each skipped post was skipped


def _jsonl(payload: Any) -> Converted:
    return [item_from_dict(payload)], []  # invalid Tagstory items are errors, as before


def _twarc(payload: Any) -> Converted:
    if not isinstance(payload, dict):
        return [], ["not a JSON object"]
    if "data" not in payload:
        if "id" in payload and "text" in payload:  # twarc2 flattened: one tweet a line
            return _tweets([payload], {})
        return [], ["a response without 'data' (errors only)"]
    tweets = payload["data"] if isinstance(payload["data"], list) else [payload["data"]]
    return _tweets(tweets, payload.get("includes") or {})


def _tweets(tweets: list[Any], includes: dict[str, Any]) -> Converted:
    items, skipped = [], []
    for tweet in tweets:
        try:
            items.append(item_from_tweet(tweet, includes))
        except InvalidItem as error:
            skipped.append(f"invalid tweet: {error}")
    return items, skipped


def _mastodon(payload: Any) -> Converted:
    try:
        return [item_from_status(payload)], []
    except InvalidItem as error:
        return [], [f"invalid status: {error}"]


def _jetstream(payload: Any) -> Converted:
    try:
        item = item_from_jetstream_event(payload)
    except InvalidItem as error:
        return [], [f"invalid post: {error}"]
    return ([item], []) if item else ([], [skip_reason(payload) or "not a post"])


def _page_or_one(payload: Any, page: Callable[[Any], Converted]) -> Converted:
    """A saved API page (`{"data": [...]}`) or one object of it: Threads and Instagram lines."""
    if not isinstance(payload, dict):
        return [], ["not a JSON object"]
    return page(payload if isinstance(payload.get("data"), list) else {"data": [payload]})


def _threads(payload: Any) -> Converted:
    return _page_or_one(payload, threads_payload.items_from_search)


def _instagram(payload: Any) -> Converted:
    return _page_or_one(payload, instagram_payload.items_from_page)


def _youtube(payload: Any) -> Converted:
    if not isinstance(payload, dict):
        return [], ["not a JSON object"]
    return youtube_payload.items_from_messages(payload)  # a liveChatMessages.list answer or one message


CONVERTERS: dict[str, Callable[[Any], Converted]] = {
    "jsonl": _jsonl,
    "twarc": _twarc,
    "mastodon": _mastodon,
    "jetstream": _jetstream,
    "threads": _threads,
    "youtube": _youtube,
    "instagram": _instagram,
}


def _records(stream: IO[str], fmt: str) -> Iterator[tuple[str, Any]]:
    """(where, payload) for each record: JSONL lines, or the elements of a JSON array."""
    first, skipped_lines = stream.read(1), 0
    while first and first in " \t\r\n\ufeff":
        skipped_lines += first == "\n"
        first = stream.read(1)
    if first == "[" and fmt == "mastodon":
        try:
            array = jsontext.loads(first + stream.read())
        except jsontext.BrokenJson as error:
            raise ImportFileError(f"broken JSON array: {error}") from error
        for number, payload in enumerate(array, start=1):
            yield f"element {number}", payload
        return
    lines = _lines(first, stream)
    for number, line in enumerate(lines, start=1 + skipped_lines):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise ImportFileError(f"line {number}: longer than {MAX_LINE:,} characters")
        try:
            payload = jsontext.loads(line)
        except jsontext.BrokenJson as error:
            raise ImportFileError(f"line {number}: broken JSON ({error})") from error
        yield f"line {number}", payload


def _lines(first: str, stream: IO[str]) -> Iterator[str]:
    if first:
        yield first + stream.readline()
        yield from stream


def import_file(
    db: Database,
    feed_name: str,
    stream: IO[str],
    fmt: str,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda records: records,
) -> ImportSummary:
    """Read a whole file of `fmt`, then store its posts into the feed `feed_name` in one transaction.

    The feed is created (query `#NAME`, no sources) when it does not exist yet.
    """
    if fmt not in CONVERTERS:
        raise ImportFileError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    convert = CONVERTERS[fmt]
    summary = ImportSummary()
    items: list[Item] = []
    for where, payload in progress(_records(stream, fmt)):
        try:
            converted, skipped = convert(payload)
        except InvalidItem as error:
            raise ImportFileError(f"{where}: {error}") from error
        items += converted
        summary.read += len(converted) + len(skipped)
        summary.skipped.update(skipped)
    with db.write():
        try:
            feed, created = feed_for_import(db, feed_name)
        except FeedError as error:
            raise ImportFileError(f"feed '{feed_name}': {error}") from error
        added = store_items(db, feed, items)
    summary.created_feed = feed_name if created else None
    summary.added = len(added)
    summary.duplicates = len(items) - len(added)
    return summary
