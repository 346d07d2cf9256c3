"""Bluesky search backfill: the posts of the last days carrying the feed's hashtags.

Anonymous search is closed, so this needs an account handle and an app password
(BLUESKY_HANDLE, BLUESKY_APP_PASSWORD); without them a `bluesky` source starts live.
It runs once, on a source's first start, before the Jetstream connection.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Generator
from typing import Any

from aggregator import sanitize
from aggregator.items import Author, InvalidItem, Item
from aggregator.sources import http
from aggregator.sources.base import Batch, SourceError
from aggregator.sources.jetstream_payload import item_from_record

PAGE = 100


def postview_item(post: Any) -> Item:
    """A search result (app.bsky.feed.defs#postView) as an item; raises InvalidItem when malformed."""
    author = post.get("author") if isinstance(post, dict) else None
    uri = post.get("uri") if isinstance(post, dict) else None
    if not isinstance(author, dict) or not isinstance(uri, str):
        raise InvalidItem("a search result needs 'author' and 'uri'")
    did = author.get("did")
    handle = author.get("handle") if isinstance(author.get("handle"), str) else None
    person = Author(
        name=str(author.get("displayName") or handle or did),
        handle=handle,
        url=sanitize.clean_url(f"https://bsky.app/profile/{handle or did}"),
        avatar=sanitize.clean_url(author.get("avatar")),
    )
    return item_from_record(did, uri.rsplit("/", 1)[-1], post.get("record"), person, post)


class BlueskySearch:
    """`app.bsky.feed.searchPosts` for each hashtag, newest first, a few pages deep."""

    def __init__(
        self, tags: list[str], api: str, handle: str, password: str, settings: dict[str, Any]
    ) -> None:
        self.tags = tags
        self.api = api.rstrip("/")
        self.handle = handle
        self.password = password
        self.pages = int(settings["BLUESKY_BACKFILL_PAGES"])
        self.http = http.Http(settings, f"Bluesky API {self.api}")

    @classmethod
    def from_settings(cls, tags: list[str], settings: dict[str, Any]) -> BlueskySearch | None:
        """A search when the account is configured and BLUESKY_BACKFILL_PAGES is not 0, else None."""
        handle, password = settings["BLUESKY_HANDLE"], settings["BLUESKY_APP_PASSWORD"]
        if not handle or not password or int(settings["BLUESKY_BACKFILL_PAGES"]) == 0:
            return None
        return cls(tags, settings["BLUESKY_API_URL"], handle, password, settings)

    def _log_in(self) -> None:
        try:
            response = self.http.post(
                f"{self.api}/xrpc/com.atproto.server.createSession",
                json={"identifier": self.handle, "password": self.password},
            )
        except SourceError as error:
            if error.retry_after == http.AUTH_RETRY:
                raise SourceError(
                    "Bluesky refused TAGSTORY_BLUESKY_HANDLE / TAGSTORY_BLUESKY_APP_PASSWORD",
                    retry_after=http.AUTH_RETRY,
                    rate_limited=False,
                ) from error
            raise
        token = (self.http.json(response) or {}).get("accessJwt")
        if not isinstance(token, str):
            raise SourceError("Bluesky sent no session token")
        self.http.session.headers["Authorization"] = f"Bearer {token}"

    def backfill(self, cursor: str | None, stop: threading.Event) -> Generator[Batch, None, str]:
        """Yield the search pages; return the Jetstream cursor (the time_us the backfill began)."""
        state = json.loads(cursor) if cursor else {"since_us": int(time.time() * 1_000_000), "tag": 0}
        self._log_in()
        while state["tag"] < len(self.tags) and not stop.is_set():
            params = {"q": f"#{self.tags[state['tag']]}", "sort": "latest", "limit": str(PAGE)}
            if state.get("page"):
                params["cursor"] = state["page"]
            body = self.http.json(self.http.get(f"{self.api}/xrpc/app.bsky.feed.searchPosts", params=params))
            posts = body.get("posts") if isinstance(body, dict) else None
            if not isinstance(posts, list):
                raise SourceError("Bluesky search sent no list of posts")
            items, skipped = [], []
            for post in reversed(posts):
                try:
                    items.append(postview_item(post))
                except (InvalidItem, KeyError, TypeError, AttributeError) as error:
                    skipped.append(f"Bluesky search sent a malformed post ({type(error).__name__}: {error})")
            state["pages"] = state.get("pages", 0) + 1
            state["page"] = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if not posts or not state["page"] or state["pages"] >= self.pages:
                state.update(tag=state["tag"] + 1, page=None, pages=0)
            done = state["tag"] >= len(self.tags)
            yield Batch(items, str(state["since_us"]) if done else json.dumps(state), skipped)
        return str(state["since_us"])
