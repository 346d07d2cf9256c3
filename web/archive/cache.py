"""Story downloads (export.html, .json, .md), rendered once per version of the story.

Rendering a 10,000-element story costs seconds of CPU, and anyone may ask for a public
story's export. So each (story, format) keeps its latest rendering in memory, keyed by
the story's version: its header (with the last seq of its room), its elements, and the
latest event of every post it pins. Concurrent requests for a version not rendered yet
wait for one rendering instead of each making their own. The cache holds at most
EXPORT_CACHE_BYTES; the least recently served renderings leave first. Served with
gevent, a rendering runs in gevent's thread pool, so other requests are answered meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request

from aggregator.db import Database
from stories.formats import MEDIA_TYPES, export_story

Key = tuple[int, str]  # (story id, format)


def story_version(db: Database, story: dict[str, Any]) -> str:
    """A digest that changes whenever the story's export would: header, elements, pinned posts."""
    pinned = db.query(
        "SELECT count(e.id), max(e.updated_at), total(i.deleted), count(fi.seq), max(fi.seq)"
        " FROM elements e LEFT JOIN items i ON i.id = e.item_id"
        " LEFT JOIN feed_items fi ON fi.item_id = e.item_id WHERE e.story_id = ?",
        [story["id"]],
    )[0]
    state = json.dumps([story, list(pinned)], sort_keys=True, default=str)
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class Rendering:
    """One story's export in one format, at one version."""

    version: str
    body: bytes

    @property
    def etag(self) -> str:
        return self.version[:32]


class ExportCache:
    """The latest rendering of each (story, format), at most `max_bytes` of them in all."""

    def __init__(self, max_bytes: int, run: Callable[[Callable[[], bytes]], bytes] | None = None) -> None:
        self.max_bytes = max_bytes
        self.run = run or (lambda work: work())
        self.renders = 0  # how many renderings were made (tests read it)
        self._lock = threading.Lock()
        self._entries: OrderedDict[Key, Rendering] = OrderedDict()
        self._rendering: dict[tuple[Key, str], threading.Lock] = {}

    def _cached(self, key: Key, version: str) -> Rendering | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                return None
            self._entries.move_to_end(key)
            return entry

    def _keep(self, key: Key, entry: Rendering) -> None:
        with self._lock:
            self._entries.pop(key, None)  # an older version of it is useless now
            if len(entry.body) > self.max_bytes:
                return
            self._entries[key] = entry
            while sum(len(e.body) for e in self._entries.values()) > self.max_bytes:
                self._entries.popitem(last=False)

    def get(self, db: Database, story: dict[str, Any], fmt: str) -> Rendering:
        """The story's export in `fmt` at its current version, rendered only if not cached."""
        key, version = (story["id"], fmt), story_version(db, story)
        found = self._cached(key, version)
        if found:
            return found
        with self._lock:
            one_rendering = self._rendering.setdefault((key, version), threading.Lock())
        with one_rendering:  # a concurrent request for the same version waits here
            found = self._cached(key, version)
            if found:
                return found
            try:
                body = self.run(lambda: export_story(db, story, fmt).text.encode("utf-8"))
                entry = Rendering(version, body)
                self.renders += 1
                self._keep(key, entry)
            finally:
                with self._lock:
                    self._rendering.pop((key, version), None)
        return entry


def export_response(db: Database, story: dict[str, Any], fmt: str) -> Response:
    """The download of `story` in `fmt`, with an ETag (a repeated request may get a 304)."""
    cache: ExportCache = current_app.extensions["tagstory.exports"]
    rendering = cache.get(db, story, fmt)
    response = Response(rendering.body, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{story["slug"]}.{fmt}"'
    response.set_etag(rendering.etag)
    response.cache_control.no_cache = True
    if story["status"] == "draft":
        response.cache_control.private = True
    return response.make_conditional(request)


def _in_gevent_threadpool(work: Callable[[], bytes]) -> bytes:
    """Run CPU-heavy `work` in an OS thread of gevent's pool: the hub keeps serving meanwhile."""
    import gevent

    return gevent.get_hub().threadpool.apply(work)


def init_app(app: Flask) -> None:
    """Give the app its export cache (rendering off the hub when serving with gevent)."""
    run = _in_gevent_threadpool if app.config["ASYNC_MODE"] == "gevent" else None
    app.extensions["tagstory.exports"] = ExportCache(app.config["EXPORT_CACHE_BYTES"], run)
