"""RSS and Atom feeds: polled with conditional GETs (ETag / Last-Modified), parsed by feedparser.

feedparser is imported here only. Entries whose title, text or categories carry one of the
feed's hashtags are kept; `rss:URL#all` keeps every entry (a feed that is the topic).
The cursor keeps the validators, so a restart still gets a cheap 304.
"""

from __future__ import annotations

import calendar
import html
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser

from aggregator import clock, sanitize
from aggregator.items import Author, Item, Media
from aggregator.sources import http
from aggregator.sources.base import Batch, SourceError
from aggregator.sources.query import contains_any, hashtags


def _when(entry: Any) -> str:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return clock.now()
    moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _media(entry: Any) -> list[Media]:
    found = []
    for media in [*entry.get("media_content", []), *entry.get("enclosures", [])]:
        kind = str(media.get("type") or media.get("medium") or "")
        url = sanitize.clean_url(media.get("url") or media.get("href"))
        if url and kind.startswith("image"):
            found.append(Media(type="image", url=url))
    return found


def entry_item(entry: Any, channel: Any) -> Item:
    """A feedparser entry as an item; KeyError when it has no id, link or title."""
    body = (entry.get("content") or [{}])[0].get("value") or entry.get("summary") or ""
    title = entry.get("title") or ""
    source_id = entry.get("id") or entry.get("link") or title
    if not source_id:
        raise KeyError("the entry has no id, link or title")
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    text = sanitize.html_to_text(body)
    return Item(
        source="rss",
        source_id=str(source_id),
        author=Author(
            name=str(entry.get("author") or channel.get("title") or "RSS"),
            url=sanitize.clean_url(channel.get("link")),
        ),
        text=f"{title}\n{text}".strip(),
        source_html=heading + body,
        url=sanitize.clean_url(entry.get("link")),
        created_at=_when(entry),
        media=_media(entry),
        lang=channel.get("language"),
        raw={
            key: entry[key]
            for key in ("id", "link", "title", "summary", "published", "updated")
            if key in entry
        },
    )


class RssSource:
    """One RSS or Atom feed, polled politely."""

    def __init__(self, target: str, query: str, settings: dict[str, Any]) -> None:
        url, _, option = target.partition("#")
        self.url = url
        self.everything = option == "all"
        self.tags = hashtags(query)
        self.poll_seconds = float(settings["RSS_POLL_SECONDS"])
        self.http = http.Http(settings, f"RSS feed {url}")

    def _wanted(self, entry: Any, item: Item) -> bool:
        categories = " ".join(f"#{t.get('term')}" for t in entry.get("tags") or [] if t.get("term"))
        return self.everything or contains_any(f"{item.text} {categories}", self.tags)

    def _fetch(self, state: dict[str, Any]) -> Batch:
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = self.http.get(self.url, headers=headers)
        if response.status_code == 304:
            return Batch([], json.dumps(state))
        parsed = feedparser.parse(response.content)
        if parsed.bozo and not parsed.entries:
            raise SourceError(f"RSS feed {self.url} is not a valid RSS or Atom document")
        items, skipped = [], []
        for entry in parsed.entries:
            try:
                item = entry_item(entry, parsed.feed)
            except (KeyError, TypeError, ValueError) as error:
                skipped.append(f"RSS feed {self.url}: malformed entry ({error})")
                continue
            if self._wanted(entry, item):
                items.append(item)
        items.sort(key=lambda item: item.created_at)
        state = {"etag": response.headers.get("ETag"), "modified": response.headers.get("Last-Modified")}
        return Batch(items, json.dumps(state), skipped)

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Fetch the feed now and every RSS_POLL_SECONDS, sending the stored validators."""
        state = json.loads(cursor) if cursor else {}
        while not stop.is_set():
            batch = self._fetch(state)
            state = json.loads(batch.cursor or "{}")
            yield batch
            if stop.wait(self.poll_seconds):
                return
