"""Instagram: each hashtag's recent media through the Graph API, within 30 distinct hashtags per 7 days.

`GET {INSTAGRAM_API_URL}/ig_hashtag_search?user_id=IG_USER&q=TAG` gives the hashtag's id
(static; kept in the cursor), then `GET /{hashtag-id}/recent_media?user_id=…&fields=…&limit=50`
gives its media published in the last 24 hours, newest first, in pages (`paging.cursors.after`
while `paging.next` is given)
(https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/hashtag-search).
A business or creator account may query 30 distinct hashtags per rolling 7 days; querying
one again within its 7 days costs nothing. Each hashtag is counted in the cursor before its
first query (INSTAGRAM_WEEKLY_HASHTAG_LIMIT), so the limit holds across restarts.

Each sweep reads a hashtag's pages from the newest down to the newest post of the last
completed sweep, which it only moves once the sweep is done: a collector killed mid-sweep
reads the same pages again (the repeats are deduped), never leaving a gap. Media older
than 24 hours are out of recent_media's reach: a source paused longer misses them, and its
health says so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from aggregator.items import Item
from aggregator.sources import http
from aggregator.sources.base import Batch, SourceError
from aggregator.sources.instagram_payload import items_from_page
from aggregator.sources.meta_graph import explainer
from aggregator.sources.query import hashtags
from aggregator.sources.quota import DistinctKeys

PAGE = 50  # recent_media's largest page
WEEK = 7 * 24 * 3600.0
FIELDS = (
    "id,caption,media_type,media_url,permalink,timestamp,comments_count,like_count,"
    "children{media_type,media_url}"
)
NOTE = (
    "Instagram's recent_media covers only the last 24 hours: posts older than that"
    " (while this source was paused or failing) cannot be collected"
)


class InstagramSource:
    """The feed's hashtags on Instagram, through a business or creator account."""

    def __init__(self, query: str, settings: dict[str, Any]) -> None:
        user, token = settings["INSTAGRAM_USER_ID"], settings["INSTAGRAM_ACCESS_TOKEN"]
        if not user or not token:
            raise SourceError(
                "Instagram needs TAGSTORY_INSTAGRAM_USER_ID (the Instagram business or creator account's id)"
                " and TAGSTORY_INSTAGRAM_ACCESS_TOKEN (a user access token with instagram_basic and"
                " Instagram Public Content Access)",
                retry_after=http.AUTH_RETRY,
                rate_limited=False,
            )
        self.user = str(user)
        self.tags = hashtags(query)
        if not self.tags:
            raise SourceError(f"the query '{query}' has no hashtag for Instagram to search")
        self.base = str(settings["INSTAGRAM_API_URL"]).rstrip("/")
        self.poll_seconds = float(settings["INSTAGRAM_POLL_SECONDS"])
        self.limit = DistinctKeys(int(settings["INSTAGRAM_WEEKLY_HASHTAG_LIMIT"]), WEEK)
        self.http = http.Http(settings, "Instagram")
        self.http.session.headers["Authorization"] = f"Bearer {token}"  # never in a URL or a log
        permission = "instagram_basic / Instagram Public Content Access"
        self.explain = explainer("Instagram", "TAGSTORY_INSTAGRAM_ACCESS_TOKEN", permission)

    def _cursor(self, state: dict[str, Any]) -> str:
        self.limit.shown(state, NOTE)
        return json.dumps(state)

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        params = {"user_id": self.user, **params}
        response = self.http.get(f"{self.base}/{path}", explain=self.explain, params=params)
        body = self.http.json(response)
        if not isinstance(body, dict):
            raise SourceError(f"Instagram sent a {path} answer that is not an object")
        return body

    def _hashtag_id(self, tag: str, state: dict[str, Any]) -> Iterator[Batch]:
        """Count `tag` (when new in its 7 days) and look its id up once; yields the cursor before asking."""
        entry = self.limit.entry(state, tag)
        if not self.limit.take(state, tag):
            return
        yield Batch([], self._cursor(state))  # counted before asking: a killed collector still counts it
        if entry.get("id"):
            return
        try:
            found = self._get("ig_hashtag_search", q=tag).get("data")
        except SourceError as error:
            if error.__cause__ is None and not entry.get("id"):  # an error status: no hashtag was queried
                state["keys"].pop(tag, None)
                yield Batch([], self._cursor(state))
            raise
        first = found[0] if isinstance(found, list) and found and isinstance(found[0], dict) else {}
        ident = first.get("id")
        if not isinstance(ident, str):
            raise SourceError(
                f"Instagram has no hashtag #{tag}", retry_after=http.AUTH_RETRY, rate_limited=False
            )
        entry["id"] = ident

    def _sweep(self, tag: str, state: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        """Read `tag`'s recent media from the newest down to the last sweep's newest."""
        entry = self.limit.entry(state, tag)
        seen, top, after = entry.get("newest") or "", entry.get("newest") or "", None
        while not stop.is_set():
            params = {"fields": FIELDS, "limit": PAGE, **({"after": after} if after else {})}
            page = self._get(f"{entry['id']}/recent_media", **params)
            items, skipped = items_from_page(page)
            # `>=`: a post of the same second as the last sweep's newest may be new (repeats are deduped)
            fresh: list[Item] = [item for item in items if not seen or item.created_at >= seen]
            top = max([top, *(item.created_at for item in fresh)])
            paging = page.get("paging") if isinstance(page.get("paging"), dict) else {}
            after = (paging.get("cursors") or {}).get("after") if paging.get("next") else None
            done = not after or not items or len(fresh) < len(items)
            if done:
                entry["newest"] = top or None
            yield Batch(list(reversed(fresh)), self._cursor(state), skipped)  # oldest first
            if done:
                return

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Sweep every hashtag the limit allows, then wait INSTAGRAM_POLL_SECONDS and sweep again."""
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        while not stop.is_set():
            waiting = []
            for tag in self.tags:
                yield from self._hashtag_id(tag, state)
                if self.limit.costs(state, tag):
                    waiting.append(tag)
                    continue
                yield from self._sweep(tag, state, stop)
                if stop.is_set():
                    return
            if waiting:
                wait = self.limit.frees_in(state)
                raise SourceError(
                    f"Instagram hashtag limit reached: {self.limit.used(state)} of {self.limit.limit}"
                    f" distinct hashtags in the last 7 days; #{' #'.join(waiting)} waits {wait:.0f} s"
                    " for a free place",
                    retry_after=min(wait, self.poll_seconds) if len(waiting) < len(self.tags) else wait,
                    rate_limited=len(waiting) == len(self.tags),
                )
            if stop.wait(self.poll_seconds):
                return
