"""Mastodon: the hashtag timeline of one server, backfilled through its Link pages, then polled.

`GET /api/v1/timelines/tag/:tag` with `limit=40`: on first start it walks back through the
`Link: rel="next"` pages, then polls with `min_id`; with a user token for the server
(MASTODON_TOKENS) it follows the hashtag stream instead, which also carries edits
(`status.update`) and deletes, after a `min_id` catch-up. The cursor (JSON) holds the newest id
seen and, during backfill, the `max_id` of the next older page, so a killed collector
resumes with no gap. Items use the status `uri` as their id, so the same post seen
through several servers is one item.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import requests

from aggregator.items import InvalidItem
from aggregator.sources import http
from aggregator.sources.base import Batch, SourceError, SpecError, newest_id
from aggregator.sources.mastodon_payload import item_from_status
from aggregator.sources.query import hashtags

PAGE = 40
WINDOW = 300.0  # seconds over which a server counts requests
STREAM_SILENCE = 90.0  # seconds without even a heartbeat after which the stream is deemed dead
SEEN_LIMIT = 100_000  # status ids remembered to recognize streamed deletes
RESET_MARGIN = 1.0  # seconds added to a server's rate-limit reset: its clock and ours differ
TURN_POLL = 0.5  # seconds between two looks at `stop` while another loop has the server's turn


class ServerPace:
    """The pace of requests to each Mastodon server, shared by every loop of one collector.

    Per host: one request at a time (so a 429 or `X-RateLimit-Remaining: 0` is known
    before the next request goes out), at most `limit` requests per 5 minutes, and none
    before a rate limit the server announced has reset. Polling, backfill and streaming
    of every feed that follows the host all go through `send`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostPace] = {}

    def _host(self, host: str) -> _HostPace:
        with self._lock:
            return self._hosts.setdefault(host, _HostPace())

    def send(
        self, host: str, limit: int, stop: threading.Event, request: Callable[[], requests.Response]
    ) -> requests.Response | None:
        """Send `request` to `host` when its turn comes; None if `stop` was set meanwhile."""
        pace = self._host(host)
        while not pace.lock.acquire(timeout=TURN_POLL):
            if stop.is_set():
                return None
        try:
            while (wait := pace.wait(limit)) > 0:
                if stop.wait(wait):
                    return None
            if stop.is_set():
                return None
            pace.sent.append(time.monotonic())
            try:
                response = request()
            except SourceError as error:
                if error.rate_limited and error.retry_after:
                    pace.hold(error.retry_after)
                raise
            if response.headers.get("X-RateLimit-Remaining", "").strip() == "0":
                pace.hold(min(http.retry_after(response, "X-RateLimit-Reset") or 1.0, WINDOW))
            return response
        finally:
            pace.lock.release()


class _HostPace:
    """One server's pace: its turn lock, the requests of the last window, and a rate-limit hold."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: deque[float] = deque()
        self.held_until = 0.0  # time.monotonic() before which nothing is sent

    def wait(self, limit: int) -> float:
        """Seconds until the next request may go out (0: now)."""
        now = time.monotonic()
        while self.sent and now - self.sent[0] > WINDOW:
            self.sent.popleft()
        window = WINDOW - (now - self.sent[0]) if len(self.sent) >= limit else 0.0
        return max(window, self.held_until - now, 0.0)

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds` (a server's reset) and a margin for clocks that differ."""
        self.held_until = max(self.held_until, time.monotonic() + seconds + RESET_MARGIN)


def server_url(target: str) -> str:
    """`mastodon.social` or `https://mastodon.social/` -> `https://mastodon.social`."""
    target = target.strip().rstrip("/")
    if not target:
        raise SpecError("mastodon needs a server: mastodon:SERVER (a host or a URL)")
    url = target if "://" in target else f"https://{target}"
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SpecError(f"'{target}' is not a Mastodon server host or URL")
    return f"{parsed.scheme}://{parsed.netloc.lower()}"


def tokens(settings: dict[str, Any]) -> dict[str, str]:
    """MASTODON_TOKENS `host=token,host=token` as a dict (never logged)."""
    pairs = (part.split("=", 1) for part in (settings["MASTODON_TOKENS"] or "").split(",") if "=" in part)
    return {host.strip().lower(): token.strip() for host, token in pairs}


def _edited(status: dict[str, Any]) -> bool:
    """Whether a polled status (or the post it boosts) was edited (`edited_at`)."""
    post = status["reblog"] if isinstance(status.get("reblog"), dict) else status
    return bool(post.get("edited_at"))


class MastodonSource:
    """The hashtag timeline of one Mastodon server."""

    def __init__(self, target: str, query: str, settings: dict[str, Any], pace: ServerPace) -> None:
        self.pace = pace  # its collector's: shared with every other loop on the same server
        self.base = server_url(target)
        self.host = urlparse(self.base).netloc.lower()
        self.tags = hashtags(query)
        if not self.tags:
            raise SourceError(f"the query '{query}' has no hashtag for Mastodon to follow")
        self.poll_seconds = float(settings["MASTODON_POLL_SECONDS"])
        self.backfill_pages = int(settings["MASTODON_BACKFILL_PAGES"])
        self.per_window = int(settings["MASTODON_REQUESTS_PER_5_MINUTES"])
        self.what = f"Mastodon server {self.host}"
        self.http = http.Http(settings, self.what)
        token = tokens(settings).get(self.host)
        if token:
            self.http.session.headers["Authorization"] = f"Bearer {token}"
        # The streaming API needs a user token and follows one tag; otherwise the timeline is polled.
        self.streaming = bool(token) and len(self.tags) == 1
        self.seen: dict[str, str] = {}  # this server's status ids -> uri, to recognize a streamed delete

    def _page(self, stop: threading.Event, **params: str) -> tuple[list[Any], requests.Response] | None:
        url = f"{self.base}/api/v1/timelines/tag/{quote(self.tags[0])}"
        query = {"limit": str(PAGE), **params}
        if len(self.tags) > 1:
            query["any[]"] = self.tags[1:]  # type: ignore[assignment]
        response = self._send(stop, lambda: self.http.get(url, "X-RateLimit-Reset", params=query))
        if response is None:
            return None
        statuses = self.http.json(response)
        if not isinstance(statuses, list):
            raise SourceError(f"{self.what} sent a timeline that is not a list")
        return statuses, response

    def _send(
        self, stop: threading.Event, request: Callable[[], requests.Response]
    ) -> requests.Response | None:
        """Every request to the server waits for its turn in its collector's pace."""
        return self.pace.send(self.host, self.per_window, stop, request)

    def _batch(self, statuses: list[Any], state: dict[str, Any]) -> Batch:
        items, skipped, edited = [], [], []
        for status in reversed(statuses):  # oldest first
            try:
                items.append(item_from_status(status, self.host))
            except (InvalidItem, KeyError, TypeError, AttributeError) as error:
                skipped.append(f"{self.what}: malformed status ({type(error).__name__}: {error})")
            else:
                self._remember(status.get("id"), status.get("uri"))  # a boost's uri names no item: no delete
                if _edited(status):  # e.g. a boost of a post edited since: it replaces the one stored
                    edited.append(items[-1])
            if isinstance(status, dict) and isinstance(status.get("id"), str):
                state["top"] = newest_id(state.get("top"), status["id"])
        return Batch(items, json.dumps(state), skipped, changed=edited)

    def _remember(self, status_id: Any, uri: Any) -> None:
        """Keep which uri a status id of this server names, to recognize its streamed delete."""
        if not isinstance(status_id, str) or not isinstance(uri, str):
            return
        self.seen[status_id] = uri
        if len(self.seen) > SEEN_LIMIT:
            del self.seen[next(iter(self.seen))]

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Backfill through older pages on first start, then poll for newer statuses."""
        state: dict[str, Any] = json.loads(cursor) if cursor else {"backfilled": False, "pages": 0}
        while not state.get("backfilled") and not stop.is_set():
            params = {"max_id": state["next"]} if state.get("next") else {}
            page = self._page(stop, **params)
            if page is None:
                return
            statuses, response = page
            older = parse_qs(urlparse(response.links.get("next", {}).get("url", "")).query).get("max_id")
            state["pages"] = state.get("pages", 0) + 1
            state["next"] = older[0] if older and statuses else None
            limit_reached = self.backfill_pages and state["pages"] >= self.backfill_pages
            if state["next"] is None or limit_reached:
                state = {"backfilled": True, "top": state.get("top")}
            yield self._batch(statuses, state)
        while not stop.is_set():
            if self.streaming:
                yield from self._stream(state, stop)  # returns when the stream ends; it catches up first
                continue
            if not (yield from self._catch_up(state, stop)) or stop.wait(self.poll_seconds):
                return

    def _catch_up(self, state: dict[str, Any], stop: threading.Event) -> Generator[Batch, None, bool]:
        """Poll newer statuses (min_id) until a page is not full; False if `stop` was set."""
        while not stop.is_set():
            page = self._page(stop, **({"min_id": state["top"]} if state.get("top") else {}))
            if page is None:
                return False
            yield self._batch(page[0], state)
            if len(page[0]) < PAGE:
                return True
        return False

    def _stream(self, state: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        """Follow the user-token hashtag stream: new posts, edits (status.update) and deletes.

        The stream opens first and the timeline is polled after, so nothing posted while the
        stream waited for its turn (or for a rate limit to reset) falls between the two.
        """
        url = f"{self.base}/api/v1/streaming/hashtag"
        response = self._send(
            stop,
            lambda: self.http.get(
                url, "X-RateLimit-Reset", params={"tag": self.tags[0]}, stream=True, timeout=STREAM_SILENCE
            ),
        )
        if response is None:
            return
        with response:
            if not (yield from self._catch_up(state, stop)):
                return
            event, data = "", []
            try:
                for line in response.iter_lines(decode_unicode=True):
                    if stop.is_set():
                        return
                    if line.startswith(":"):  # heartbeat: a chance to notice a pause
                        yield Batch([], json.dumps(state))
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif not line and event:
                        yield self._streamed(event, "\n".join(data), state)
                        event, data = "", []
            except requests.RequestException as error:
                raise SourceError(f"{self.what} stream broke off: {type(error).__name__}") from error
        raise SourceError(f"{self.what} closed its stream")

    def _streamed(self, event: str, data: str, state: dict[str, Any]) -> Batch:
        """One server-sent event as a batch."""
        if event == "delete":
            uri = self.seen.get(data)
            return Batch([], json.dumps(state), deleted=[("mastodon", uri)] if uri else [])
        try:
            status = json.loads(data)
        except ValueError:
            return Batch([], json.dumps(state), [f"{self.what}: malformed {event} event"])
        if event == "status.update":
            batch = self._batch([status], dict(state))
            batch.changed, batch.items, batch.cursor = batch.items, [], json.dumps(state)
            return batch
        if event == "update":
            return self._batch([status], state)
        return Batch([], json.dumps(state))
