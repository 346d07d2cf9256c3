"""X (Twitter) through tweepy: recent search with everything needed to show a post, within a budget.

tweepy is imported here only. `Client.search_recent_tweets` is walked with `Paginator`
(newest first): on first start over the last 7 days, then from `since_id`. The cursor
keeps the sweep's `since_id`, its next page token and the newest id seen, so a killed
collector finishes the sweep it was in. X bills every post read: reads are counted per
UTC day in the cursor and the source stops at X_DAILY_READ_BUDGET until midnight UTC.
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
from aggregator.sources import Batch, SourceError
from aggregator.sources.http import AUTH_RETRY, DEFAULT_USER_AGENT, refused
from aggregator.sources.x_payload import item_from_tweet

X_HOST = "https://api.twitter.com"  # where tweepy sends every request
PAGE = 100
EXPANSIONS = ["author_id", "attachments.media_keys", "referenced_tweets.id", "referenced_tweets.id.author_id"]
TWEET_FIELDS = [
    "created_at", "lang", "entities", "attachments", "referenced_tweets", "possibly_sensitive",
    "author_id", "conversation_id", "public_metrics", "note_tweet",
]  # fmt: skip
USER_FIELDS = ["name", "username", "profile_image_url", "url"]
MEDIA_FIELDS = ["type", "url", "preview_image_url", "alt_text", "width", "height"]


class _Rebased(netpolicy.GuardedAdapter):
    """Sends tweepy's requests to X_API_URL (a local server in tests) with a timeout, within the policy."""

    def __init__(self, base: str, timeout: float, allowed_private: bool) -> None:
        super().__init__(allowed_private)
        self.base = base.rstrip("/")
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if request.url and request.url.startswith(X_HOST):
            request.url = self.base + request.url[len(X_HOST) :]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


class _StreamToQueue(tweepy.StreamingClient):
    """tweepy's filtered stream, handing every message to the source's queue."""

    def __init__(self, token: str, out: queue.Queue, adapter: HTTPAdapter, user_agent: str) -> None:
        super().__init__(token, return_type=dict, max_retries=0, daemon=True)
        self.out = out
        self.session.mount(X_HOST, adapter)
        self.user_agent = user_agent

    def on_data(self, raw_data: bytes) -> None:
        try:
            message = json.loads(raw_data)
        except ValueError:
            self.out.put(("skip", f"X stream sent a malformed message ({len(raw_data)} bytes)"))
            return
        self.out.put(("message", message))

    def on_request_error(self, status_code: int) -> None:
        self.out.put(("error", status_code))
        self.disconnect()  # the source reports it and the collector decides when to retry

    def on_connection_error(self) -> None:
        self.out.put(("error", "connection"))
        self.disconnect()

    def on_closed(self, response: requests.Response) -> None:
        self.disconnect()

    def on_exception(self, exception: Exception) -> None:
        self.out.put(("error", type(exception).__name__))

    def on_disconnect(self) -> None:
        self.out.put(("closed", None))


def _seconds_to_midnight() -> float:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - now).total_seconds())


def _newer(a: str | None, b: str | None) -> str | None:
    candidates = [x for x in (a, b) if x]
    return max(candidates, key=lambda x: (len(x), x)) if candidates else None


class XSource:
    """The feed's query on X's recent search, polled with since_id within a daily read budget."""

    def __init__(self, query: str, settings: dict[str, Any]) -> None:
        token = settings.get("X_BEARER_TOKEN")
        if not token:
            raise SourceError(
                "X needs TAGSTORY_X_BEARER_TOKEN (an X API bearer token)",
                retry_after=AUTH_RETRY,
                rate_limited=False,
            )
        self.query = query
        self.budget = int(settings.get("X_DAILY_READ_BUDGET") or 0)
        self.poll_seconds = float(settings.get("X_POLL_SECONDS") or 60)
        self.backfill = bool(settings.get("X_BACKFILL", True))
        logging.getLogger("tweepy.client").setLevel(logging.INFO)  # its DEBUG lines carry the bearer token
        self.stream = bool(settings.get("X_STREAM"))
        self.token = token
        self.client = tweepy.Client(bearer_token=token, return_type=dict)
        self.client.user_agent = settings.get("USER_AGENT") or DEFAULT_USER_AGENT
        self.adapter = _Rebased(
            settings.get("X_API_URL") or X_HOST,
            float(settings.get("HTTP_TIMEOUT") or 20),
            netpolicy.allow_private(settings),
        )
        self.client.session.mount(X_HOST, self.adapter)

    def _check_budget(self, state: dict[str, Any]) -> int:
        """Posts still readable today; raise SourceError once the budget is spent."""
        today = datetime.now(UTC).date().isoformat()
        if state.get("day") != today:
            state.update(day=today, reads=0)
        left = self.budget - state["reads"]
        if left <= 0:
            raise SourceError(
                f"X daily read budget reached: {state['reads']} of {self.budget} posts read today;"
                " polling resumes at midnight UTC",
                retry_after=_seconds_to_midnight(),
            )
        return left

    def _pages(self, state: dict[str, Any], first: bool) -> Iterator[dict[str, Any]]:
        left = self._check_budget(state)
        pages = tweepy.Paginator(
            self.client.search_recent_tweets,
            self.query,
            since_id=state.get("since_id"),
            pagination_token=state.get("next"),
            limit=1 if first and not self.backfill else float("inf"),
            max_results=max(10, min(PAGE, left)),
            expansions=EXPANSIONS,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
            media_fields=MEDIA_FIELDS,
        )
        try:
            yield from pages
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
        for tweet in reversed(tweets):
            try:
                items.append(item_from_tweet(tweet, includes))
            except (InvalidItem, KeyError, TypeError, AttributeError) as error:
                skipped.append(f"X sent a malformed post ({type(error).__name__}: {error})")
        state["reads"] += len(tweets) + len(includes.get("tweets") or [])
        meta = page.get("meta") or {}
        state["newest"] = _newer(state.get("newest"), meta.get("newest_id"))
        state["next"] = meta.get("next_token")
        return Batch(items, None, skipped)

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Sweep the search from since_id (7 days back the first time), then wait and sweep again."""
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        while not stop.is_set():
            first = "since_id" not in state
            for page in self._pages(state, first):
                batch = self._batch(page, state)
                if not state["next"] or (first and not self.backfill):  # the sweep is complete:
                    state.update(  # later sweeps start after its newest post
                        since_id=state.get("newest") or state.get("since_id"), next=None, newest=None
                    )
                batch.cursor = json.dumps(state)
                yield batch
                if stop.is_set():
                    return
                self._check_budget(state)
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
        """Follow the filtered stream (X_STREAM): posts matching this query's rule, within the budget."""
        messages: queue.Queue = queue.Queue()
        streamer = _StreamToQueue(self.token, messages, self.adapter, self.client.user_agent)
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
        try:
            while not stop.is_set():
                try:
                    kind, message = messages.get(timeout=1.0)
                except queue.Empty:
                    yield Batch([], json.dumps(state))  # a chance to notice a pause
                    continue
                if kind == "skip":
                    yield Batch([], json.dumps(state), [message])
                elif kind == "error":
                    wait = 60.0 if message == 429 else None
                    raise SourceError(f"X stream failed ({message})", retry_after=wait)
                elif kind == "closed":
                    raise SourceError("X closed the stream")
                elif not any(r.get("id") == rule for r in message.get("matching_rules") or []):
                    self._check_budget(state)
                    state["reads"] += 1  # another rule's post on this token's stream is billed too
                else:
                    self._check_budget(state)
                    tweet = message.get("data") or {}
                    page = {"data": [tweet], "includes": message.get("includes") or {}}
                    page["meta"] = {"newest_id": tweet.get("id")}
                    batch = self._batch(page, state)
                    state.update(since_id=_newer(state.get("since_id"), state.pop("newest")), next=None)
                    batch.cursor = json.dumps(state)
                    yield batch
        finally:
            streamer.disconnect()
