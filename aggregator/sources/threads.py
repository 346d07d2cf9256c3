"""Threads: the keyword search in tag mode, newest first, within the user's rolling 24-hour query budget.

`GET {THREADS_API_URL}/keyword_search?q=TAG&search_type=RECENT&search_mode=TAG` with the
media fields and `limit`, walked through `paging.cursors.after` while `paging.next` is
given (https://developers.facebook.com/docs/threads/keyword-search). On first start it reads
back THREADS_BACKFILL_PAGES pages per hashtag; later sweeps ask `since` the newest post
seen. Meta counts every query of a user for 24 hours (2,200 per user across apps; a query
without results is not counted): each query is counted in the cursor before it is sent
and given back when it returned nothing, so THREADS_DAILY_QUERY_BUDGET is never passed,
even by a collector killed mid-request. The cursor keeps, per hashtag, `since`, the page
cursor `after` of the sweep under way and the newest post seen: a killed collector
finishes the sweep it was in.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from aggregator.sources import http
from aggregator.sources.base import Batch, SourceError
from aggregator.sources.meta_graph import explainer
from aggregator.sources.query import hashtags
from aggregator.sources.quota import RollingCount
from aggregator.sources.threads_payload import items_from_search

PAGE = 100  # the keyword search's largest `limit`
DAY = 24 * 3600.0
FIELDS = (
    "id,text,media_type,media_url,thumbnail_url,permalink,timestamp,username,shortcode,children,"
    "alt_text,is_reply,replied_to,is_quote_post,quoted_post,reposted_post,topic_tag,is_spoiler_media"
)


def _epoch(timestamp: str) -> int | None:
    try:
        return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())
    except (AttributeError, ValueError):
        return None


class ThreadsSource:
    """The feed's hashtags on the Threads keyword search (topic tags, most recent first)."""

    def __init__(self, query: str, settings: dict[str, Any]) -> None:
        token = settings["THREADS_ACCESS_TOKEN"]
        if not token:
            raise SourceError(
                "Threads needs TAGSTORY_THREADS_ACCESS_TOKEN (a Threads user access token"
                " holding threads_basic and threads_keyword_search)",
                retry_after=http.AUTH_RETRY,
                rate_limited=False,
            )
        self.tags = hashtags(query)
        if not self.tags:
            raise SourceError(f"the query '{query}' has no hashtag for Threads to search")
        self.url = str(settings["THREADS_API_URL"]).rstrip("/") + "/keyword_search"
        self.poll_seconds = float(settings["THREADS_POLL_SECONDS"])
        self.backfill_pages = int(settings["THREADS_BACKFILL_PAGES"])
        self.budget = RollingCount(int(settings["THREADS_DAILY_QUERY_BUDGET"]), DAY)
        self.http = http.Http(settings, "Threads")
        self.http.session.headers["Authorization"] = f"Bearer {token}"  # never in a URL or a log
        self.explain = explainer("Threads", "TAGSTORY_THREADS_ACCESS_TOKEN", "threads_keyword_search")

    def _cursor(self, state: dict[str, Any]) -> str:
        self.budget.shown(state)
        return json.dumps(state)

    def _spent(self, state: dict[str, Any]) -> SourceError:
        wait = self.budget.frees_in(state)
        return SourceError(
            f"Threads query budget reached: {self.budget.used(state)} of {self.budget.limit} queries"
            f" in the last 24 hours; searching resumes in {wait:.0f} s",
            retry_after=wait,
        )

    def _query(self, tag: str, entry: dict[str, Any]) -> Any:
        params: dict[str, Any] = {
            "q": tag,
            "search_type": "RECENT",
            "search_mode": "TAG",
            "fields": FIELDS,
            "limit": PAGE,
        }
        if entry.get("since"):
            params["since"] = entry["since"]
        if entry.get("after"):
            params["after"] = entry["after"]
        return self.http.json(self.http.get(self.url, explain=self.explain, params=params))

    def _sweep(self, tag: str, state: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        """Read one hashtag's new posts page by page; each query counted before it is sent."""
        entry = state.setdefault("tags", {}).setdefault(tag, {})
        entry.setdefault("started", int(time.time()))
        while not stop.is_set():
            if self.budget.left(state) < 1:
                yield Batch([], self._cursor(state))
                raise self._spent(state)
            self.budget.spend(state)  # counted before asking: a collector killed mid-request still counts it
            yield Batch([], self._cursor(state))
            try:
                page = self._query(tag, entry)
            except SourceError as error:
                if error.__cause__ is None:  # an error status: Meta returned no post, so counted nothing
                    self.budget.spend(state, -1)
                    yield Batch([], self._cursor(state))
                raise  # after a timeout or a cut body the query stays counted: Meta may have counted it
            items, skipped = items_from_search(page)
            if not items and not skipped:
                self.budget.spend(state, -1)  # a query without results is not counted
            times = [t for t in (_epoch(item.created_at) for item in items) if t]
            entry["newest"] = max([entry.get("newest") or 0, *times]) or None
            paging = page.get("paging") if isinstance(page, dict) else None
            after = ((paging or {}).get("cursors") or {}).get("after") if (paging or {}).get("next") else None
            entry["pages"] = entry.get("pages", 0) + 1
            backfilling = not entry.get("since")
            more = bool(after and items) and (not backfilling or entry["pages"] < self.backfill_pages)
            if more:
                entry["after"] = after
            else:  # later sweeps ask from the newest post seen (or this sweep's start)
                since = entry.get("newest") or entry.get("since") or entry["started"]
                state["tags"][tag] = {"since": since, "newest": entry.get("newest")}
            yield Batch(list(reversed(items)), self._cursor(state), skipped)  # oldest first
            if not more:
                return

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Sweep every hashtag of the query, then wait THREADS_POLL_SECONDS and sweep again."""
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        while not stop.is_set():
            for tag in self.tags:
                yield from self._sweep(tag, state, stop)
                if stop.is_set():
                    return
            if stop.wait(self.poll_seconds):
                return
