"""The Instagram Graph API hashtag search, as documented at
https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/hashtag-search:

- `GET /ig_hashtag_search?user_id=&q=` → `{"data": [{"id"}]}`;
- `GET /{hashtag-id}/recent_media?user_id=&fields=&limit=&after=` → `{"data": [media…],
  "paging": {"cursors": {"after"}, "next"}}`, newest first, 50 at most a page, media of the
  last 24 hours only, and `username` refused
  (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-hashtag/recent-media).

Errors are Graph API errors (see tests/sources/servers/threads.py). `searched` lists the
hashtags queried, in order (what the 30-per-7-days limit counts).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from tests.sources.servers.threads import graph_error, rate_limited


def ig_media(number: int, tag: str = "kredcrew", caption: str = "") -> dict[str, Any]:
    """An IG Media object with the fields a hashtag's recent_media returns; one second apart each."""
    return {
        "id": str(17900000000000000 + 100000 * (sum(map(ord, tag)) % 1000) + number),
        "caption": caption or f"photo {number} #{tag}",
        "media_type": "IMAGE",
        "media_url": f"https://scontent.cdninstagram.com/v/photo{number}.jpg",
        "permalink": f"https://www.instagram.com/p/K{number:07d}/",
        "timestamp": f"2026-11-25T{number // 3600 % 24:02d}:{number // 60 % 60:02d}:{number % 60:02d}+0000",
        "comments_count": 0,
        "like_count": number % 7,
    }


class FakeInstagram:
    """Hashtags (`media[tag]`, oldest first) of a business account `user`; `failures` as FakeThreads."""

    def __init__(self, user: str = "17841400000000000", token: str = "ig-token") -> None:
        self.user = user
        self.token = token
        self.media: dict[str, list[dict[str, Any]]] = {}
        self.failures: deque[Any] = deque()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.searched: list[str] = []
        self.delay = 0.0
        self.page_size = 50
        self.lock = threading.Lock()
        self.url = ""

    def hashtag_id(self, tag: str) -> str:
        return str(17843000000000000 + sum(ord(c) for c in tag))

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((request.path, dict(request.args)))
        failure = self.failures.popleft() if self.failures else None
        if self.delay:
            time.sleep(self.delay)
        if isinstance(failure, tuple):
            time.sleep(failure[1])
        if request.headers.get("Authorization") != f"Bearer {self.token}" or failure == 401:
            return graph_error(190, "Error validating access token: Session has expired", 400)
        if failure == "rate":
            return rate_limited()
        if isinstance(failure, int):
            return graph_error(2, "Service temporarily unavailable", failure)
        if request.args.get("user_id") != self.user:
            return graph_error(100, "Param user_id must be an Instagram business or creator account id")
        body = self._answer(request.path.removeprefix("/v21.0"), request.args)
        if not isinstance(body, dict):
            return body
        text = json.dumps(body)
        if failure == "truncated":
            text = text[: len(text) // 2]
        return Response(text, 200, mimetype="application/json")

    def _answer(self, path: str, args: Any) -> Any:
        if path == "/ig_hashtag_search":
            tag = args["q"].lower()
            with self.lock:
                self.searched.append(tag)
            return {"data": [{"id": self.hashtag_id(tag)}]}
        ident, _, edge = path.strip("/").partition("/")
        tags = [tag for tag in self.media if self.hashtag_id(tag) == ident]
        if edge != "recent_media" or not tags:
            return graph_error(100, f"Unsupported get request. Object with ID '{ident}' does not exist")
        if "username" in args.get("fields", ""):
            return graph_error(100, "(#100) Tried accessing nonexisting field (username)")
        size = min(int(args.get("limit", 25)), self.page_size)
        assert size <= 50, "recent_media pages hold 50 at most"
        newest_first = list(reversed(self.media[tags[0]]))
        offset = int(args["after"].removeprefix("QVFI")) if args.get("after") else 0
        page = newest_first[offset : offset + size]
        answer: dict[str, Any] = {"data": page}
        if offset + len(page) < len(newest_first):
            after = f"QVFI{offset + len(page)}"
            answer["paging"] = {
                "cursors": {"after": after},
                "next": f"{self.url}{path}?{urlencode({**args, 'after': after})}",
            }
        return answer
