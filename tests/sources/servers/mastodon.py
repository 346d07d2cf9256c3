"""A Mastodon server: the hashtag timeline and the hashtag stream."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from tests.sources.servers.local import StreamLog


def status(number: int, tag: str = "kredcrew", server: str = "mastodon.example") -> dict[str, Any]:
    """A Mastodon status in the API's JSON shape."""
    return {
        "id": str(100000 + number),
        "uri": f"https://{server}/users/ada/statuses/{number}",
        "url": f"https://{server}/@ada/{number}",
        "created_at": f"2026-11-25T12:{number // 60 % 60:02d}:{number % 60:02d}.000Z",
        "content": f'<p>Post {number} <a href="https://{server}/tags/{tag}" class="hashtag">#{tag}</a></p>',
        "spoiler_text": "",
        "sensitive": False,
        "language": "en",
        "account": {
            "id": "1",
            "username": "ada",
            "acct": "ada",
            "display_name": "Ada",
            "url": f"https://{server}/@ada",
            "avatar": f"https://{server}/avatars/ada.png",
        },
        "media_attachments": [],
        "tags": [{"name": tag, "url": f"https://{server}/tags/{tag}"}],
        "reblog": None,
    }


class FakeMastodon:
    """The hashtag timeline of a Mastodon server: max_id / min_id / since_id, limit, Link headers.

    `failures` holds what the next requests get instead of a page: an HTTP status code,
    "truncated" (a cut JSON body) or ("slow", seconds). `delay` slows every request down.
    """

    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []  # oldest first
        self.failures: deque[Any] = deque()
        self.delay = 0.0
        self.requests: list[dict[str, str]] = []
        self.user_agents: set[str] = set()
        self.authorizations: list[str | None] = []
        self.lock = threading.Lock()
        self.url = ""
        self.token: str | None = None  # the user token its streaming API wants
        self.events = StreamLog()  # server-sent events, in order
        self.limited_until = 0.0  # time.time() before which every request gets a 429 (see `rate_limit`)
        self.arrivals: list[float] = []  # when each request arrived (time.time())

    def add(self, *statuses: dict[str, Any]) -> None:
        with self.lock:
            self.statuses.extend(statuses)

    def push(self, event: str, data: Any) -> None:
        """Send a server-sent event to every stream: update, status.update or delete."""
        payload = data if isinstance(data, str) else json.dumps(data)
        self.events.append(f"event: {event}\ndata: {payload}\n\n")

    def stop(self) -> None:
        self.events.close()

    def rate_limit(self, seconds: float) -> float:
        """Answer every request with a 429 for `seconds`, its X-RateLimit-Reset saying when it ends.

        The open streams break at the same moment, so their loops reconnect into the limit.
        """
        with self.lock:
            self.limited_until = time.time() + seconds
            self.events.drop()
            return self.limited_until

    def arrived_between(self, start: float, end: float) -> int:
        """How many requests arrived in [start, end) (time.time())."""
        with self.lock:
            return sum(start <= arrival < end for arrival in self.arrivals)

    def _events(self, generation: int) -> Any:
        return self.events.follow(lambda chunks: (":thump\n\n" + "".join(chunks)).encode(), generation)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        with self.lock:
            self.arrivals.append(time.time())
            if self.arrivals[-1] < self.limited_until:
                return self._limited(self.limited_until)(environ, start_response)
            generation = self.events.generation
            self.requests.append(dict(request.args))
            self.user_agents.add(request.headers.get("User-Agent", ""))
            self.authorizations.append(request.headers.get("Authorization"))
            failure = self.failures.popleft() if self.failures else None
        if self.delay:
            time.sleep(self.delay)
        response = self._respond(request, failure, generation)
        return response(environ, start_response)

    def _limited(self, reset: float) -> Response:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(reset)) + f".{int(reset % 1 * 1000):03d}Z"
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": stamp}
        return Response(json.dumps({"error": "Too many requests"}), 429, headers, mimetype="application/json")

    def _respond(self, request: Request, failure: Any, generation: int) -> Response:
        if isinstance(failure, tuple) and failure[0] == "slow":
            time.sleep(failure[1])
        elif isinstance(failure, int):
            headers = {}
            if failure == 429:
                headers = {
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": time.strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 120)
                    ),
                }
            return Response(json.dumps({"error": "nope"}), failure, headers, mimetype="application/json")
        if request.path == "/api/v1/streaming/hashtag":
            if not self.token or request.headers.get("Authorization") != f"Bearer {self.token}":
                return Response(json.dumps({"error": "Error processing your request"}), 401)
            return Response(self._events(generation), 200, mimetype="text/event-stream")
        if not request.path.startswith("/api/v1/timelines/tag/"):
            return Response(json.dumps({"error": "Record not found"}), 404, mimetype="application/json")
        tags = {request.path.rsplit("/", 1)[1].lower(), *(t.lower() for t in request.args.getlist("any[]"))}
        page, link = self._page(request.args, tags)
        body = json.dumps(page)
        if failure == "truncated":
            body = body[: len(body) // 2]
        headers = {"Link": link} if link else {}
        return Response(body, 200, headers, mimetype="application/json")

    def _page(self, args: Any, tags: set[str]) -> tuple[list[dict[str, Any]], str]:
        limit = min(int(args.get("limit", 20)), 40)
        key = int
        with self.lock:
            chosen = [s for s in self.statuses if tags & {t["name"].lower() for t in s["tags"]}]
        if args.get("max_id"):
            chosen = [s for s in chosen if key(s["id"]) < key(args["max_id"])]
        if args.get("since_id"):
            chosen = [s for s in chosen if key(s["id"]) > key(args["since_id"])]
        if args.get("min_id"):
            chosen = [s for s in chosen if key(s["id"]) > key(args["min_id"])][:limit]
        else:
            chosen = chosen[-limit:]
        page = list(reversed(chosen))  # newest first, like Mastodon
        if not page:
            return page, ""
        base = f"{self.url}/api/v1/timelines/tag/{next(iter(tags))}"
        older = f"{base}?{urlencode({'limit': limit, 'max_id': page[-1]['id']})}"
        newer = f"{base}?{urlencode({'limit': limit, 'min_id': page[0]['id']})}"
        return page, f'<{older}>; rel="next", <{newer}>; rel="prev"'
