"""Bluesky through Jetstream: the public firehose of posts as JSON over a websocket.

Connects with `wantedCollections=app.bsky.feed.post` and `cursor` = the stored `time_us`
minus a few seconds (what repeats is deduped), keeps the posts whose `#tag` facets or
text carry one of the feed's hashtags, and turns deletes into item deletions. The posts
become items in `jetstream_payload`, the converter file imports share.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Generator
from typing import Any
from urllib.parse import urlencode

import websocket

from aggregator import netpolicy
from aggregator.items import InvalidItem
from aggregator.sources import http
from aggregator.sources.appview import AppViewConsent
from aggregator.sources.base import Batch, SourceError
from aggregator.sources.bluesky_search import BlueskySearch
from aggregator.sources.jetstream_payload import POST, item_from_commit, post_uri
from aggregator.sources.query import contains_any, hashtags

BATCH_SECONDS = 0.5  # events gathered into one transaction; a quiet stream checks `stop` as often
BATCH_EVENTS = 500
SILENCE = 120.0  # the firehose is never this quiet: after it, the connection is deemed dead


def facet_tags(record: dict[str, Any]) -> set[str]:
    """The lowercased tags of a post's `#tag` facets and its `tags` field."""
    tags = {t.lower() for t in record.get("tags") or [] if isinstance(t, str)}
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if feature.get("$type") == "app.bsky.richtext.facet#tag" and isinstance(feature.get("tag"), str):
                tags.add(feature["tag"].lower())
    return tags


class BlueskySource:
    """Posts carrying the feed's hashtags, live from a Jetstream instance."""

    def __init__(self, target: str, query: str, settings: dict[str, Any], turns: dict[str, int]) -> None:
        self.turns = turns  # its collector's: which instance each target and query tries next
        self.tags = hashtags(query)
        if not self.tags:
            raise SourceError(f"the query '{query}' has no hashtag for Bluesky to follow")
        instances = [u.strip() for u in (settings["JETSTREAM_URLS"] or "").split(",") if u.strip()]
        self.instances = [target] if target else instances
        if not self.instances:
            raise SourceError(
                "Bluesky needs a Jetstream URL: set TAGSTORY_JETSTREAM_URLS or use bluesky:WS-URL"
            )
        self.rewind_us = int(float(settings["JETSTREAM_REWIND_SECONDS"]) * 1_000_000)
        self.user_agent = http.user_agent(settings)
        self.timeout = http.timeout_seconds(settings)
        self.allowed_private = netpolicy.allow_private(settings)
        self.key = f"{target}|{query}"
        self.search = BlueskySearch.from_settings(self.tags, settings)
        self.consent = AppViewConsent(settings)

    def _url(self, cursor: str | None) -> str:
        turn = self.turns.get(self.key, 0) % len(self.instances)
        params = {"wantedCollections": POST}
        if cursor:
            params["cursor"] = str(max(0, int(cursor) - self.rewind_us))
        return f"{self.instances[turn]}?{urlencode(params)}"

    def _connect(self, cursor: str | None) -> websocket.WebSocket:
        url = self._url(cursor)
        try:
            sock = netpolicy.open_socket(url, self.timeout, self.allowed_private)
            connection = websocket.create_connection(
                url, timeout=self.timeout, header=[f"User-Agent: {self.user_agent}"], socket=sock
            )
        except netpolicy.AddressRefused as error:
            self.turns[self.key] = self.turns.get(self.key, 0) + 1
            raise http.refused(f"Jetstream {url.split('?')[0]}", error) from error
        except (OSError, websocket.WebSocketException) as error:
            self.turns[self.key] = self.turns.get(self.key, 0) + 1  # the next attempt tries another instance
            raise SourceError(
                f"Jetstream {url.split('?')[0]} is unreachable: {type(error).__name__}"
            ) from error
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
                batch.deleted.append(("bluesky", post_uri(event["did"], commit["rkey"])))
                return
            record = commit["record"]
            if not (facet_tags(record) & set(self.tags) or contains_any(record.get("text") or "", self.tags)):
                return
            item = item_from_commit(event)
        except (InvalidItem, KeyError, TypeError, AttributeError) as error:
            batch.skipped.append(f"Jetstream sent a malformed post ({type(error).__name__}: {error})")
            return
        (batch.changed if commit.get("operation") == "update" else batch.items).append(item)

    def batches(self, cursor: str | None, stop: threading.Event) -> Generator[Batch, None, None]:
        """Every batch of `_batches`, its authors' consent looked up on the AppView first."""
        for batch in self._batches(cursor, stop):
            self.consent.mark([*batch.items, *batch.changed])
            yield batch

    def _batches(self, cursor: str | None, stop: threading.Event) -> Generator[Batch, None, None]:
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
                while (
                    received < BATCH_EVENTS
                    and (left := deadline - time.monotonic()) > 0
                    and not stop.is_set()
                ):
                    try:
                        connection.settimeout(left)  # a lone post is stored when its batch ends
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
