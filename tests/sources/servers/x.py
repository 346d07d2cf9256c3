"""The X API v2: recent search, filtered stream and its rules."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.sources.servers.local import StreamLog

RECORDED = Path(__file__).resolve().parent.parent / "recorded"


def tweet(number: int, text: str = "", quotes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A v2 tweet by @kred_bob (the recorded response's author), numbered for ordering; it may quote one."""
    post = {
        "id": str(1861000000000100000 + number),
        "text": text or f"tweet {number} #kredcrew",
        "author_id": "2244994945",
        "created_at": "2026-11-25T12:00:00.000Z",
        "lang": "en",
    }
    if quotes:
        post["referenced_tweets"] = [{"type": "quoted", "id": quotes["id"]}]
    return post


class FakeX:
    """The X API v2 recent search: since_id, max_results, next_token pages, expansions in `includes`.

    `failures` holds what the next requests get instead: a status code (429 carries
    x-rate-limit-reset), "truncated" (a cut JSON body) or ("slow", seconds). `served` counts
    the posts it sent (what X bills): search results, the quoted posts in `includes`, and
    streamed posts; `referenced` holds the posts that tweets quote, by id.
    """

    def __init__(self, token: str = "test-bearer") -> None:
        self.token = token
        self.tweets: list[dict[str, Any]] = []  # oldest first
        self.failures: deque[Any] = deque()
        self.requests: list[dict[str, str]] = []
        self.user_agents: set[str] = set()
        self.recorded = json.loads((RECORDED / "x_search_recent.json").read_text())
        self.rules: list[dict[str, str]] = []
        self.streamed = StreamLog()  # filtered-stream messages, in order
        self.referenced: dict[str, dict[str, Any]] = {}
        self.served = 0
        self.answered = 0  # requests answered, slow ones included
        self.lock = threading.Lock()

    def push(self, tweet: dict[str, Any], rule_id: str) -> None:
        """Send a post to the filtered stream as matching rule `rule_id`."""
        message = {
            "data": tweet,
            "includes": {"users": self.recorded["includes"]["users"]},
            "matching_rules": [{"id": rule_id, "tag": "tagstory"}],
        }
        self.streamed.append(message)

    def stop(self) -> None:
        self.streamed.close()

    def _stream(self, environ: dict[str, Any]) -> Any:
        """The stream of pushed posts; a post pushed after the client hung up is neither sent nor billed."""
        return self.streamed.follow(self._frame, environ=environ)

    def _frame(self, messages: list[dict[str, Any]]) -> bytes:
        with self.lock:
            self.served += len(messages)
        return ("\r\n" + "".join(json.dumps(m) + "\r\n" for m in messages)).encode()

    def _rules(self, request: Request) -> Response:
        if request.method == "POST":
            for rule in (request.get_json() or {}).get("add", []):
                self.rules.append({"id": str(1000 + len(self.rules)), **rule})
            return Response(json.dumps({"data": self.rules[-1:], "meta": {"summary": {"created": 1}}}), 201)
        return Response(json.dumps({"data": self.rules, "meta": {"result_count": len(self.rules)}}), 200)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        response = self._respond(Request(environ))
        with self.lock:
            self.answered += 1
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self.requests.append(dict(request.args))
        self.user_agents.add(request.headers.get("User-Agent", ""))
        failure = self.failures.popleft() if self.failures else None
        if isinstance(failure, tuple):
            time.sleep(failure[1])
        if request.headers.get("Authorization") != f"Bearer {self.token}" or failure == 401:
            return self._error(401, "Unauthorized")
        if isinstance(failure, int):
            headers = {"x-rate-limit-reset": str(int(time.time()) + 900)} if failure == 429 else {}
            return self._error(
                failure, "Too Many Requests" if failure == 429 else "Service Unavailable", headers
            )
        if request.path == "/2/tweets/search/stream/rules":
            return self._rules(request)
        if request.path == "/2/tweets/search/stream":
            return Response(self._stream(request.environ), 200, mimetype="application/json")
        if request.path != "/2/tweets/search/recent":
            return self._error(404, "Not Found")
        body = json.dumps(self._page(request.args))
        if failure == "truncated":
            body = body[: len(body) // 2]
        return Response(body, 200, mimetype="application/json")

    def _error(self, code: int, title: str, headers: dict[str, str] | None = None) -> Response:
        body = {"title": title, "detail": title, "type": "about:blank", "status": code}
        return Response(json.dumps(body), code, headers or {}, mimetype="application/json")

    def _page(self, args: Any) -> dict[str, Any]:
        size = int(args.get("max_results", 10))
        assert 10 <= size <= 100, "X rejects max_results outside 10..100"
        assert set(args["expansions"].split(",")) >= {
            "author_id",
            "attachments.media_keys",
            "referenced_tweets.id",
        }
        chosen = [t for t in self.tweets if int(t["id"]) > int(args.get("since_id") or 0)]
        if args.get("next_token"):
            chosen = [t for t in chosen if int(t["id"]) < int(args["next_token"])]
        newest_first = list(reversed(chosen))
        page, rest = newest_first[:size], newest_first[size:]
        if not page:
            return {"meta": {"result_count": 0}}
        meta = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)}
        if rest:
            meta["next_token"] = page[-1]["id"]
        ids = {ref["id"] for post in page for ref in post.get("referenced_tweets", [])}
        quoted = [self.referenced[i] for i in sorted(ids) if i in self.referenced]
        includes = {"users": self.recorded["includes"]["users"], **({"tweets": quoted} if quoted else {})}
        with self.lock:
            self.served += len(page) + len(quoted)
        return {"data": page, "includes": includes, "meta": meta}
