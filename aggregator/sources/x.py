"""X (Twitter) through tweepy: recent search with everything needed to show a post, within a budget.

tweepy is imported here only. `Client.search_recent_tweets` is walked with `Paginator`
(newest first): on first start over the last 7 days, then from `since_id`. The cursor
keeps the sweep's `since_id`, its next page token and the newest id seen, so a killed
collector finishes the sweep it was in. X bills every post read: reads are counted per
UTC day in the cursor and never pass X_DAILY_READ_BUDGET (see `XSource._page_size`).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from aggregator import netpolicy
from aggregator.items import InvalidItem
from aggregator.sources.base import Batch, SourceError, newest_id
from aggregator.sources.http import AUTH_RETRY, refused, timeout_seconds, user_agent
from aggregator.sources.x_payload import is_edit, item_from_tweet

X_HOST = "https://api.twitter.com"  # where tweepy sends every request
PAGE = 100
MIN_PAGE = 10  # X refuses max_results below 10
# X bills the referenced posts in `includes` too: a post, the post it quotes and the one it
# replies to. Sizing a page by this worst case keeps the budget even for a page of quote-replies.
MOST_READS_PER_POST = 3
EXPANSIONS = ["author_id", "attachments.media_keys", "referenced_tweets.id", "referenced_tweets.id.author_id"]
TWEET_FIELDS = [
    "created_at", "lang", "entities", "attachments", "referenced_tweets", "possibly_sensitive",
    "author_id", "conversation_id", "public_metrics", "note_tweet",
]  # fmt: skip
USER_FIELDS = ["name", "username", "profile_image_url", "url"]
MEDIA_FIELDS = ["type", "url", "preview_image_url", "alt_text", "width", "height"]
QUIET_SECONDS = 1.0  # a quiet stream yields an empty batch this often (a chance to notice a pause)


class _Rebased(netpolicy.GuardedAdapter):
    """Sends tweepy's requests to X_API_URL (a local server in tests) with a timeout, within the policy."""

    def __init__(self, base: str, timeout: float | None, allowed_private: bool) -> None:
        super().__init__(allowed_private)
        self.base = base.rstrip("/")
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if request.url and request.url.startswith(X_HOST):
            request.url = self.base + request.url[len(X_HOST) :]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


class _StreamToQueue(tweepy.StreamingClient):
    """tweepy's filtered stream, handing every message (and what it cost) to the source's queue.

    It reads at most `allowance` posts: once what is left cannot pay for another post, it
    disconnects before reading on, in the thread that reads the stream.
    """

    def __init__(
        self, token: str, out: queue.Queue, adapter: HTTPAdapter, user_agent: str, allowance: int
    ) -> None:
        super().__init__(token, return_type=dict, max_retries=0, daemon=True)
        self.out = out
        self.session.mount(X_HOST, adapter)
        self.user_agent = user_agent
        self.allowance = allowance
        self.spent = False

    def on_data(self, raw_data: bytes) -> None:
        try:
            message = json.loads(raw_data)
        except ValueError:  # perhaps a cut post: count it
            self._take(1, ("skip", f"X stream sent a malformed message ({len(raw_data)} bytes)", 1))
            return
        cost = reads_of(message) if isinstance(message, dict) else 1
        self._take(cost, ("message", message, cost))

    def _take(self, cost: int, entry: tuple[str, Any, int]) -> None:
        self.allowance -= cost
        self.out.put(entry)
        if self.allowance < MOST_READS_PER_POST:
            self.spent = True
            self.disconnect()  # tweepy stops reading right after this message

    def on_request_error(self, status_code: int) -> None:
        self.out.put(("error", status_code, 0))
        self.disconnect()  # the source reports it and the collector decides when to retry

    def on_connection_error(self) -> None:
        self.out.put(("error", "connection", 0))
        self.disconnect()

    def on_closed(self, response: requests.Response) -> None:
        self.disconnect()

    def on_exception(self, exception: Exception) -> None:
        self.out.put(("error", type(exception).__name__, 0))

    def on_disconnect(self) -> None:
        self.out.put(("closed", None, 0))


def _wake_on_stop(stop: threading.Event, ended: threading.Event, out: queue.Queue) -> None:
    """Put a `stopped` entry on `out` as soon as `stop` is set, so that a stream's wait ends at once.

    Once its stream has `ended` it returns too, within QUIET_SECONDS.
    """
    while not ended.is_set():
        if stop.wait(QUIET_SECONDS):
            out.put(("stopped", None, 0))
            return


def reads_of(payload: dict[str, Any]) -> int:
    """The posts a search page or a stream message bills: its posts and the referenced ones."""
    data = payload.get("data")
    posts = len(data) if isinstance(data, list) else int(isinstance(data, dict))
    return posts + len((payload.get("includes") or {}).get("tweets") or [])


def _seconds_to_midnight() -> float:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - now).total_seconds())


class XSource:
    """The feed's query on X's recent search, polled with since_id within a daily read budget."""

    def __init__(self, query: str, settings: dict[str, Any]) -> None:
        token = settings["X_BEARER_TOKEN"]
        if not token:
            raise SourceError(
                "X needs TAGSTORY_X_BEARER_TOKEN (an X API bearer token)",
                retry_after=AUTH_RETRY,
                rate_limited=False,
            )
        self.query = query
        self.budget = int(settings["X_DAILY_READ_BUDGET"])
        self.poll_seconds = float(settings["X_POLL_SECONDS"])
        self.backfill = bool(settings["X_BACKFILL"])
        logging.getLogger("tweepy.client").setLevel(logging.INFO)  # its DEBUG lines carry the bearer token
        self.stream = bool(settings["X_STREAM"])
        self.token = token
        self.client = tweepy.Client(bearer_token=token, return_type=dict)
        self.client.user_agent = user_agent(settings)
        self.adapter = _Rebased(
            settings["X_API_URL"],
            timeout_seconds(settings),
            netpolicy.allow_private(settings),
        )
        self.client.session.mount(X_HOST, self.adapter)

    def _left(self, state: dict[str, Any]) -> int:
        """Posts still readable today (the count starts over at midnight UTC)."""
        today = datetime.now(UTC).date().isoformat()
        if state.get("day") != today:
            state.update(day=today, reads=0)
        return self.budget - state["reads"]

    def _spent(self, state: dict[str, Any]) -> SourceError:
        return SourceError(
            f"X daily read budget reached: {state['reads']} of {self.budget} posts read today;"
            " reading resumes at midnight UTC",
            retry_after=_seconds_to_midnight(),
        )

    def _page_size(self, state: dict[str, Any]) -> int:
        """max_results for the next page, from what is left right now; SourceError when nothing fits."""
        size = min(PAGE, self._left(state) // MOST_READS_PER_POST)
        if size < MIN_PAGE:
            raise self._spent(state)
        return size

    def _search(self, state: dict[str, Any], size: int) -> dict[str, Any]:
        """One page of the recent search, its errors as SourceError."""
        try:
            return self.client.search_recent_tweets(
                self.query,
                since_id=state.get("since_id"),
                next_token=state.get("next"),
                max_results=size,
                expansions=EXPANSIONS,
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                media_fields=MEDIA_FIELDS,
            )
        except tweepy.TooManyRequests as error:
            wait = max(1.0, (error.reset_time or time.time() + 60) - time.time())
            raise SourceError(
                f"X rate limit reached (429); waiting {wait:.0f} s", retry_after=wait
            ) from error
        except (tweepy.Unauthorized, tweepy.Forbidden) as error:
            raise SourceError(
                f"X refused the bearer token ({error.response.status_code}): check TAGSTORY_X_BEARER_TOKEN",
                retry_after=AUTH_RETRY,
                rate_limited=False,
            ) from error
        except tweepy.TwitterServerError as error:
            raise SourceError(f"X failed ({error.response.status_code})") from error
        except tweepy.HTTPException as error:
            raise SourceError(f"X answered {error.response.status_code}: {error.api_messages}") from error
        except netpolicy.AddressRefused as error:
            raise refused("X", error) from error
        except requests.Timeout as error:
            raise SourceError("X did not answer in time") from error
        except requests.RequestException as error:  # includes a body that is not JSON
            raise SourceError(f"X request failed: {type(error).__name__}") from error

    def _batch(self, page: dict[str, Any], state: dict[str, Any]) -> Batch:
        tweets = page.get("data") or []
        includes = page.get("includes") or {}
        items, skipped = [], []
        edited = []
        for tweet in reversed(tweets):
            try:
                items.append(item_from_tweet(tweet, includes))
            except (InvalidItem, KeyError, TypeError, AttributeError) as error:
                skipped.append(f"X sent a malformed post ({type(error).__name__}: {error})")
            else:
                if is_edit(tweet):  # stored if new, else it replaces the version collected before
                    edited.append(items[-1])
        meta = page.get("meta") or {}
        state["newest"] = newest_id(state.get("newest"), meta.get("newest_id"))
        state["next"] = meta.get("next_token")
        return Batch(items, None, skipped, changed=edited)

    def _sweep(self, state: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        """Read the search from since_id page by page, each page sized from the budget left then."""
        first = "since_id" not in state
        yield Batch([], json.dumps(state))  # a chance to notice a pause before anything is reserved
        while True:
            size = self._page_size(state)
            reserved = size * MOST_READS_PER_POST
            state["reads"] += (
                reserved  # counted before asking: a collector killed mid-request still counts it
            )
            yield Batch([], json.dumps(state))
            try:
                page = self._search(state, size)
            except SourceError as error:
                if isinstance(error.__cause__, tweepy.HTTPException):  # an error status carries no post
                    state["reads"] -= reserved
                    yield Batch([], json.dumps(state))
                raise  # after a timeout or a cut body the reservation stays counted: X may have sent posts
            state["reads"] += reads_of(page) - reserved
            batch = self._batch(page, state)
            complete = not state["next"] or (first and not self.backfill)
            if complete:  # later sweeps start after its newest post
                state.update(since_id=state.get("newest") or state.get("since_id"), next=None, newest=None)
            batch.cursor = json.dumps(state)
            yield batch
            if complete or stop.is_set():
                return

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Sweep the search from since_id (7 days back the first time), then wait and sweep again."""
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        self._left(state)
        while not stop.is_set():
            yield from self._sweep(state, stop)
            if stop.is_set():
                return
            if "since_id" not in state:
                state["since_id"] = None
            if self.stream:
                yield from self._streamed(state, stop)  # returns when the stream ends; a sweep closes the gap
            elif stop.wait(self.poll_seconds):
                return

    def _rule_id(self, streamer: _StreamToQueue) -> str:
        """The id of the filtered-stream rule for this query (added when missing)."""
        rules = (streamer.get_rules() or {}).get("data") or []
        for rule in rules:
            if rule.get("value") == self.query:
                return rule["id"]
        added = streamer.add_rules(tweepy.StreamRule(value=self.query, tag="tagstory"))
        created = (added or {}).get("data") or []
        if not created:
            raise SourceError(f"X refused the stream rule '{self.query}': {(added or {}).get('errors')}")
        return created[0]["id"]

    def _streamed(self, state: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        """Follow the filtered stream (X_STREAM): posts matching this query's rule, within the budget.

        Every streamed post is billed, another rule's too: each is counted and stored with
        the cursor, and the stream is closed as soon as what is left cannot pay for another.
        """
        allowance = self._left(state)
        if allowance < MOST_READS_PER_POST:
            raise self._spent(state)
        messages: queue.Queue = queue.Queue()
        streamer = _StreamToQueue(self.token, messages, self.adapter, self.client.user_agent, allowance)
        try:
            rule = self._rule_id(streamer)
        except tweepy.TweepyException as error:
            raise SourceError(f"X stream rules failed: {type(error).__name__}") from error
        streamer.filter(
            threaded=True,
            expansions=EXPANSIONS,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
            media_fields=MEDIA_FIELDS,
        )
        ended = threading.Event()
        threading.Thread(target=_wake_on_stop, args=(stop, ended, messages), daemon=True).start()
        try:
            while not stop.is_set():
                try:
                    kind, message, cost = messages.get(timeout=QUIET_SECONDS)
                except queue.Empty:
                    yield Batch([], json.dumps(state))  # a chance to notice a pause
                    continue
                if kind == "stopped":
                    return
                self._left(state)
                state["reads"] += cost
                if kind == "skip":
                    yield Batch([], json.dumps(state), [message])
                elif kind == "error":
                    wait = 60.0 if message == 429 else None
                    raise SourceError(f"X stream failed ({message})", retry_after=wait)
                elif kind == "closed":
                    raise self._spent(state) if streamer.spent else SourceError("X closed the stream")
                elif not any(r.get("id") == rule for r in message.get("matching_rules") or []):
                    yield Batch([], json.dumps(state))  # another rule's post on this token's stream: billed
                else:
                    tweet = message.get("data") or {}
                    page = {"data": [tweet], "includes": message.get("includes") or {}}
                    page["meta"] = {"newest_id": tweet.get("id")}
                    batch = self._batch(page, state)
                    state.update(since_id=newest_id(state.get("since_id"), state.pop("newest")), next=None)
                    batch.cursor = json.dumps(state)
                    yield batch
        finally:
            ended.set()
            streamer.disconnect()
