"""The Threads API keyword search, as documented at https://developers.facebook.com/docs/threads/keyword-search.

`GET /keyword_search?q&search_type&search_mode&since&until&limit&after&fields` answers
`{"data": [media…], "paging": {"cursors": {"before", "after"}, "next"}}`, newest first; errors
are Graph API errors, `{"error": {"message", "type", "code", "fbtrace_id"}}`
(https://developers.facebook.com/docs/graph-api/guides/error-handling). Meta counts each
query that returns posts (one without results is not counted): `counted` holds that count.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

START = 1795000000  # 2026-11-18, the first post's time (unix seconds)


def thread(number: int, text: str = "") -> dict[str, Any]:
    """A Threads media object with the fields the keyword search returns; one second apart each."""
    moment = datetime.fromtimestamp(START + number, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    return {
        "id": str(18000000000000000 + number),
        "text": text or f"thread {number} #kredcrew",
        "media_type": "TEXT_POST",
        "permalink": f"https://www.threads.net/@kred_ada/post/C{number:07d}",
        "timestamp": moment,
        "username": "kred_ada",
        "shortcode": f"C{number:07d}",
        "has_replies": False,
        "is_quote_post": False,
        "is_reply": False,
    }


def _epoch(post: dict[str, Any]) -> float:
    return datetime.strptime(post["timestamp"], "%Y-%m-%dT%H:%M:%S%z").timestamp()


def graph_error(
    code: int, message: str, status: int = 400, headers: dict[str, str] | None = None
) -> Response:
    """A Graph API error answer."""
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}}
    return Response(json.dumps(body), status, headers or {}, mimetype="application/json")


def rate_limited() -> Response:
    """Meta's rate limit: code 4, with the minutes to wait in X-Business-Use-Case-Usage."""
    usage = {
        "17841400000000000": [{"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 15}]
    }
    return graph_error(
        4, "Application request limit reached", 400, {"X-Business-Use-Case-Usage": json.dumps(usage)}
    )


class FakeThreads:
    """The keyword search over `posts` (oldest first). `failures` holds what the next requests get
    instead: a status code, "rate" (code 4), "truncated" or ("slow", seconds). `delay` slows every answer."""

    def __init__(self, token: str = "threads-token") -> None:
        self.token = token
        self.posts: list[dict[str, Any]] = []
        self.failures: deque[Any] = deque()
        self.requests: list[dict[str, str]] = []
        self.counted = 0
        self.answered = 0
        self.delay = 0.0
        self.page_size_cap = 100
        self.lock = threading.Lock()
        self.url = ""

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        response = self._respond(Request(environ))
        with self.lock:
            self.answered += 1
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self.requests.append(dict(request.args))
        failure = self.failures.popleft() if self.failures else None
        if self.delay:
            time.sleep(self.delay)
        if isinstance(failure, tuple):
            time.sleep(failure[1])
        if request.headers.get("Authorization") != f"Bearer {self.token}" or failure == 401:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token", 401)
        if failure == "rate":
            return rate_limited()
        if isinstance(failure, int):
            return graph_error(2, "Service temporarily unavailable", failure)
        if request.path != "/v1.0/keyword_search":
            return graph_error(100, f"Unsupported get request: {request.path}")
        args = request.args
        assert args["search_type"] == "RECENT" and args["search_mode"] == "TAG"
        assert {"id", "text", "timestamp", "username", "permalink"} <= set(args["fields"].split(","))
        assert "owner" not in args["fields"], "the keyword search does not return owner"
        body = json.dumps(self._page(args))
        if failure == "truncated":
            body = body[: len(body) // 2]
        return Response(body, 200, mimetype="application/json")

    def _page(self, args: Any) -> dict[str, Any]:
        size = min(int(args.get("limit", 25)), self.page_size_cap)
        assert 1 <= size <= 100
        tag = args["q"].lower()
        since = int(args.get("since") or 0)
        chosen = [p for p in self.posts if f"#{tag}" in p["text"].lower() and _epoch(p) >= since]
        newest_first = list(reversed(chosen))
        offset = int(args["after"].removeprefix("QVFH")) if args.get("after") else 0
        page = newest_first[offset : offset + size]
        if not page:
            return {"data": []}  # not counted by Meta
        with self.lock:
            self.counted += 1
        paging: dict[str, Any] = {
            "cursors": {"before": f"QVFH{offset}", "after": f"QVFH{offset + len(page)}"}
        }
        if offset + len(page) < len(newest_first):
            query = {**args, "after": paging["cursors"]["after"]}
            paging["next"] = f"{self.url}/v1.0/keyword_search?{urlencode(query)}"
        return {"data": page, "paging": paging}
