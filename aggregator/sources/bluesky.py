"""Bluesky through Jetstream: the public firehose of posts as JSON over a websocket.

Connects with `wantedCollections=app.bsky.feed.post` and `cursor` = the stored `time_us`
minus a few seconds (what repeats is deduped), keeps the posts whose `#tag` facets or
text carry one of the feed's hashtags, and turns deletes into item deletions. Facet
offsets are UTF-8 byte offsets; they become character offsets for the link spans.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Generator
from typing import Any, ClassVar
from urllib.parse import urlencode

import websocket

from aggregator import clock, sanitize
from aggregator.items import Author, Item, Media
from aggregator.sources import Batch, SourceError
from aggregator.sources.bluesky_search import BlueskySearch
from aggregator.sources.query import contains_any, hashtags

POST = "app.bsky.feed.post"
BATCH_SECONDS = 0.5  # events gathered into one transaction
BATCH_EVENTS = 500
RECV_TIMEOUT = 1.0  # how often a quiet stream checks whether to stop
SILENCE = 120.0  # the firehose is never this quiet: after it, the connection is deemed dead
CDN = "https://cdn.bsky.app/img"


def char_offset(text: str, byte_offset: int) -> int:
    """The character index in `text` of a UTF-8 byte offset (clamped to the text)."""
    encoded = text.encode("utf-8")
    byte_offset = max(0, min(byte_offset, len(encoded)))
    return len(encoded[:byte_offset].decode("utf-8", errors="ignore"))


def facet_spans(text: str, facets: Any) -> list[tuple[int, int, str]]:
    """Link spans (character offsets) for the link, mention and tag facets of a post."""
    spans = []
    for facet in facets if isinstance(facets, list) else []:
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or end <= start:
            continue
        for feature in facet.get("features") or []:
            kind = feature.get("$type", "")
            href = None
            if kind == "app.bsky.richtext.facet#link":
                href = feature.get("uri")
            elif kind == "app.bsky.richtext.facet#mention":
                href = f"https://bsky.app/profile/{feature.get('did')}"
            elif kind == "app.bsky.richtext.facet#tag":
                href = f"https://bsky.app/hashtag/{feature.get('tag')}"
            if isinstance(href, str):
                spans.append((char_offset(text, start), char_offset(text, end), href))
                break
    return spans


def facet_tags(record: dict[str, Any]) -> set[str]:
    """The lowercased tags of a post's `#tag` facets and its `tags` field."""
    tags = {t.lower() for t in record.get("tags") or [] if isinstance(t, str)}
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if feature.get("$type") == "app.bsky.richtext.facet#tag" and isinstance(feature.get("tag"), str):
                tags.add(feature["tag"].lower())
    return tags


def _media(did: str, embed: Any) -> list[Media]:
    if not isinstance(embed, dict):
        return []
    images = embed.get("images") or (embed.get("media") or {}).get("images") or []
    found = []
    for image in images:
        link = ((image.get("image") or {}).get("ref") or {}).get("$link")
        if isinstance(link, str) and link.isalnum():
            found.append(
                Media(
                    type="image",
                    url=f"{CDN}/feed_fullsize/plain/{did}/{link}@jpeg",
                    preview=f"{CDN}/feed_thumbnail/plain/{did}/{link}@jpeg",
                    alt=str(image.get("alt") or ""),
                )
            )
    return found


def post_uri(event: dict[str, Any]) -> str:
    """The at:// URI of the post a commit event is about."""
    return f"at://{event['did']}/{POST}/{event['commit']['rkey']}"


def post_item(event: dict[str, Any]) -> Item:
    """A Jetstream create/update commit of a post as an item; KeyError/TypeError when malformed."""
    did = event["did"]
    author = Author(name=str(did), url=sanitize.clean_url(f"https://bsky.app/profile/{did}"))
    return record_item(did, event["commit"]["rkey"], event["commit"]["record"], author, event)


def record_item(did: Any, rkey: Any, record: dict[str, Any], author: Author, raw: Any) -> Item:
    """A post record (from Jetstream or a search) as an item; KeyError/TypeError when malformed."""
    text = record["text"]
    if not isinstance(text, str) or not isinstance(did, str) or not isinstance(rkey, str):
        raise TypeError("text, did and rkey must be strings")
    reply = (record.get("reply") or {}).get("parent") or {}
    langs = record.get("langs") or []
    return Item(
        source="bluesky",
        source_id=f"at://{did}/{POST}/{rkey}",
        author=author,
        text=text,
        links=facet_spans(text, record.get("facets")),
        url=sanitize.clean_url(f"https://bsky.app/profile/{did}/post/{rkey}"),
        created_at=clock.normalize(record.get("createdAt")) or clock.now(),
        media=_media(did, record.get("embed")),
        reply_to=reply.get("uri") if isinstance(reply.get("uri"), str) else None,
        lang=langs[0] if langs and isinstance(langs[0], str) else None,
        sensitive=bool((record.get("labels") or {}).get("values")),
        raw=raw,
    )


class BlueskySource:
    """Posts carrying the feed's hashtags, live from a Jetstream instance."""

    _turn: ClassVar[dict[str, int]] = {}  # which public instance each query tries next

    def __init__(self, target: str, query: str, settings: dict[str, Any]) -> None:
        self.tags = hashtags(query)
        if not self.tags:
            raise SourceError(f"the query '{query}' has no hashtag for Bluesky to follow")
        instances = [u.strip() for u in (settings.get("JETSTREAM_URLS") or "").split(",") if u.strip()]
        self.instances = [target] if target else instances
        if not self.instances:
            raise SourceError(
                "Bluesky needs a Jetstream URL: set TAGSTORY_JETSTREAM_URLS or use bluesky:WS-URL"
            )
        self.rewind_us = int(float(settings.get("JETSTREAM_REWIND_SECONDS") or 5) * 1_000_000)
        self.user_agent = settings.get("USER_AGENT") or "Tagstory"
        self.timeout = float(settings.get("HTTP_TIMEOUT") or 20.0)
        self.key = f"{target}|{query}"
        self.search = BlueskySearch.from_settings(self.tags, settings)

    def _url(self, cursor: str | None) -> str:
        turn = self._turn.get(self.key, 0) % len(self.instances)
        params = {"wantedCollections": POST}
        if cursor:
            params["cursor"] = str(max(0, int(cursor) - self.rewind_us))
        return f"{self.instances[turn]}?{urlencode(params)}"

    def _connect(self, cursor: str | None) -> websocket.WebSocket:
        url = self._url(cursor)
        try:
            connection = websocket.create_connection(
                url, timeout=self.timeout, header=[f"User-Agent: {self.user_agent}"]
            )
        except (OSError, websocket.WebSocketException) as error:
            self._turn[self.key] = self._turn.get(self.key, 0) + 1  # the next attempt tries another instance
            raise SourceError(
                f"Jetstream {url.split('?')[0]} is unreachable: {type(error).__name__}"
            ) from error
        connection.settimeout(RECV_TIMEOUT)
        return connection

    def _read(self, batch: Batch, message: str | bytes) -> None:
        """Add one Jetstream message to `batch` (a matching post, a delete, or nothing)."""
        try:
            event = json.loads(message)
            batch.cursor = str(int(event["time_us"]))
        except (ValueError, KeyError, TypeError) as error:
            batch.skipped.append(f"Jetstream sent a malformed event ({type(error).__name__}: {error})")
            return
        commit = event.get("commit") if event.get("kind") == "commit" else None
        if not isinstance(commit, dict) or commit.get("collection") != POST:
            return
        try:
            if commit.get("operation") == "delete":
                batch.deleted.append(("bluesky", post_uri(event)))
                return
            record = commit["record"]
            if not (facet_tags(record) & set(self.tags) or contains_any(record.get("text") or "", self.tags)):
                return
            item = post_item(event)
        except (KeyError, TypeError, AttributeError) as error:
            batch.skipped.append(f"Jetstream sent a malformed post ({type(error).__name__}: {error})")
            return
        (batch.changed if commit.get("operation") == "update" else batch.items).append(item)

    def batches(self, cursor: str | None, stop: threading.Event) -> Generator[Batch, None, None]:
        """Stream from `cursor` (a time_us) on, one batch per half second of events.

        On first start, with an app password, the search backfill runs first; it ends with
        the time it started at, so Jetstream replays whatever was posted meanwhile.
        """
        if self.search and (cursor is None or cursor.startswith("{")):
            cursor = yield from self.search.backfill(cursor, stop)
            if stop.is_set():
                return
        connection = self._connect(cursor)
        heard = time.monotonic()
        try:
            while not stop.is_set():
                batch = Batch([], cursor)
                deadline = time.monotonic() + BATCH_SECONDS
                received = 0
                while received < BATCH_EVENTS and time.monotonic() < deadline and not stop.is_set():
                    try:
                        message = connection.recv()
                        if not message:
                            raise websocket.WebSocketConnectionClosedException("closed by Jetstream")
                    except websocket.WebSocketTimeoutException:
                        if time.monotonic() - heard > SILENCE:
                            raise SourceError(f"Jetstream sent nothing for {SILENCE:.0f} s") from None
                        break
                    except (OSError, websocket.WebSocketException) as error:
                        if batch.items or batch.deleted or batch.changed or batch.cursor != cursor:
                            yield batch  # keep what arrived before the drop
                        raise SourceError(f"Jetstream connection lost: {type(error).__name__}") from error
                    received += 1
                    heard = time.monotonic()
                    self._read(batch, message)
                cursor = batch.cursor
                yield batch
        finally:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                connection.close(timeout=1)
            connection.shutdown()  # close() skips the socket of a connection that already dropped
