"""Local servers on 127.0.0.1 that speak each network's protocol, for the source tests."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LocalServer:
    """A WSGI app served by werkzeug in a thread on a free port of 127.0.0.1."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
        self.stream: list[str] = []  # server-sent events, in order
        self.streamed = threading.Condition()
        self.closed = False

    def add(self, *statuses: dict[str, Any]) -> None:
        with self.lock:
            self.statuses.extend(statuses)

    def push(self, event: str, data: Any) -> None:
        """Send a server-sent event to every stream: update, status.update or delete."""
        payload = data if isinstance(data, str) else json.dumps(data)
        with self.streamed:
            self.stream.append(f"event: {event}\ndata: {payload}\n\n")
            self.streamed.notify_all()

    def stop(self) -> None:
        with self.streamed:
            self.closed = True
            self.streamed.notify_all()

    def _events(self) -> Any:
        position = 0
        while True:
            with self.streamed:
                self.streamed.wait_for(
                    lambda seen=position: self.closed or seen < len(self.stream), timeout=0.2
                )
                if self.closed:
                    return
                chunks, position = self.stream[position:], len(self.stream)
            yield (":thump\n\n" + "".join(chunks)).encode()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append(dict(request.args))
            self.user_agents.add(request.headers.get("User-Agent", ""))
            self.authorizations.append(request.headers.get("Authorization"))
            failure = self.failures.popleft() if self.failures else None
        if self.delay:
            time.sleep(self.delay)
        response = self._respond(request, failure)
        return response(environ, start_response)

    def _respond(self, request: Request, failure: Any) -> Response:
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
            return Response(self._events(), 200, mimetype="text/event-stream")
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


JETSTREAM_FIXTURE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "fixtures"
    / "bluesky-jetstream"
    / "jetstream-v1-2026-07-04.jsonl"
)


class FakeJetstream:
    """A Jetstream instance: replays its log from `cursor` (time_us), then streams what is published.

    Honors `wantedCollections` for commit events. `drop_after` closes a connection after
    that many messages (a network drop); `raw` lines are sent as they are (malformed input).
    """

    def __init__(self, lines: list[str] | None = None) -> None:
        self.log: list[str] = list(lines or [])
        self.connections: list[dict[str, str]] = []
        self.drop_after: int | None = None
        self.changed = threading.Condition()
        self.closed = False

    @classmethod
    def from_fixture(cls) -> FakeJetstream:
        return cls(JETSTREAM_FIXTURE.read_text(encoding="utf-8").splitlines())

    def publish(self, *events: dict[str, Any] | str) -> None:
        with self.changed:
            self.log.extend(e if isinstance(e, str) else json.dumps(e) for e in events)
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def _wanted(self, line: str, cursor: int, collections: list[str]) -> bool:
        try:
            event = json.loads(line)
        except ValueError:
            return True  # malformed lines are sent as they are
        if int(event.get("time_us", 0)) < cursor:
            return False
        collection = (event.get("commit") or {}).get("collection")
        return not (collections and event.get("kind") == "commit" and collection not in collections)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        from simple_websocket import ConnectionClosed, Server

        request = Request(environ)
        self.connections.append(dict(request.args))
        cursor = int(request.args.get("cursor") or 0)
        collections = request.args.getlist("wantedCollections")
        ws = Server.accept(environ)
        sent = position = 0
        try:
            while True:
                with self.changed:
                    while position >= len(self.log) and not self.closed:
                        self.changed.wait(0.2)
                    if self.closed:
                        break
                    line = self.log[position]
                position += 1
                if not self._wanted(line, cursor, collections):
                    continue
                if self.drop_after is not None and sent >= self.drop_after:
                    self.drop_after = None
                    break
                ws.send(line)
                sent += 1
        except ConnectionClosed:
            pass
        with contextlib.suppress(ConnectionClosed):
            ws.close()
        raise ConnectionError("websocket finished")  # tells werkzeug the socket was taken over


def post_event(
    time_us: int,
    text: str,
    rkey: str,
    tags: tuple[str, ...] = (),
    facets: list[dict[str, Any]] | None = None,
    did: str = "did:plc:tagstorytest",
    operation: str = "create",
) -> dict[str, Any]:
    """A Jetstream commit event for a post (create/update) or its deletion."""
    commit: dict[str, Any] = {
        "rev": "3x",
        "operation": operation,
        "collection": "app.bsky.feed.post",
        "rkey": rkey,
    }
    if operation != "delete":
        record_facets = list(facets or [])
        for tag in tags:
            start = text.encode().find(f"#{tag}".encode())
            record_facets.append(
                {
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                    "index": {"byteStart": start, "byteEnd": start + len(tag.encode()) + 1},
                }
            )
        commit["record"] = {
            "$type": "app.bsky.feed.post",
            "createdAt": "2026-07-04T15:00:00.000Z",
            "langs": ["en"],
            "text": text,
            "facets": record_facets,
        }
        commit["cid"] = "bafyreitest"
    return {"did": did, "time_us": time_us, "kind": "commit", "commit": commit}


class FakeRss:
    """A web server with one RSS document, answering 304 to a matching If-None-Match."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str]] = []  # (guid, title, description HTML)
        self.requests: list[dict[str, str]] = []
        self.failures: deque[int] = deque()

    def document(self) -> str:
        items = "".join(
            f"<item><guid>{guid}</guid><title>{escape(title)}</title><link>https://blog.example/{guid}</link>"
            f"<pubDate>Wed, 25 Nov 2026 12:00:{n:02d} GMT</pubDate>"
            f"<description>{escape(body)}</description></item>"
            for n, (guid, title, body) in enumerate(self.entries)
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Kred blog</title>'
            f"<link>https://blog.example/</link><language>en</language>{items}</channel></rss>"
        )

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        self.requests.append(dict(request.headers))
        if self.failures:
            return Response("down", self.failures.popleft())(environ, start_response)
        body = self.document()
        etag = f'"{hashlib.sha1(body.encode()).hexdigest()}"'
        if request.headers.get("If-None-Match") == etag:
            response = Response(status=304, headers={"ETag": etag})
        else:
            response = Response(body, 200, {"ETag": etag}, mimetype="application/rss+xml")
        return response(environ, start_response)


RECORDED = Path(__file__).resolve().parent / "recorded"


def tweet(number: int, text: str = "") -> dict[str, Any]:
    """A v2 tweet by @kred_bob (the recorded response's author), numbered for ordering."""
    return {
        "id": str(1861000000000100000 + number),
        "text": text or f"tweet {number} #kredcrew",
        "author_id": "2244994945",
        "created_at": "2026-11-25T12:00:00.000Z",
        "lang": "en",
    }


class FakeX:
    """The X API v2 recent search: since_id, max_results, next_token pages, expansions in `includes`.

    `failures` holds what the next requests get instead: a status code (429 carries
    x-rate-limit-reset), "truncated" (a cut JSON body) or ("slow", seconds).
    """

    def __init__(self, token: str = "test-bearer") -> None:
        self.token = token
        self.tweets: list[dict[str, Any]] = []  # oldest first
        self.failures: deque[Any] = deque()
        self.requests: list[dict[str, str]] = []
        self.recorded = json.loads((RECORDED / "x_search_recent.json").read_text())
        self.rules: list[dict[str, str]] = []
        self.streamed: list[dict[str, Any]] = []  # filtered-stream messages, in order
        self.changed = threading.Condition()
        self.closed = False

    def push(self, tweet: dict[str, Any], rule_id: str) -> None:
        """Send a post to the filtered stream as matching rule `rule_id`."""
        message = {
            "data": tweet,
            "includes": {"users": self.recorded["includes"]["users"]},
            "matching_rules": [{"id": rule_id, "tag": "tagstory"}],
        }
        with self.changed:
            self.streamed.append(message)
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def _stream(self) -> Any:
        position = 0
        while True:
            with self.changed:
                self.changed.wait_for(
                    lambda seen=position: self.closed or seen < len(self.streamed), timeout=0.2
                )
                if self.closed:
                    return
                messages, position = self.streamed[position:], len(self.streamed)
            yield ("\r\n" + "".join(json.dumps(m) + "\r\n" for m in messages)).encode()

    def _rules(self, request: Request) -> Response:
        if request.method == "POST":
            for rule in (request.get_json() or {}).get("add", []):
                self.rules.append({"id": str(1000 + len(self.rules)), **rule})
            return Response(json.dumps({"data": self.rules[-1:], "meta": {"summary": {"created": 1}}}), 201)
        return Response(json.dumps({"data": self.rules, "meta": {"result_count": len(self.rules)}}), 200)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self.requests.append(dict(request.args))
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
            return Response(self._stream(), 200, mimetype="application/json")
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
        return {"data": page, "includes": {"users": self.recorded["includes"]["users"]}, "meta": meta}


class FakeBlueskyApi:
    """A PDS/AppView: createSession with an app password, then searchPosts (latest first, cursor)."""

    def __init__(self, handle: str = "curator.example", password: str = "app-pass-word") -> None:
        self.handle, self.password = handle, password
        self.posts: list[dict[str, Any]] = []  # postViews, oldest first
        self.searches: list[dict[str, str]] = []

    def add(self, number: int, text: str) -> dict[str, Any]:
        post = {
            "uri": f"at://did:plc:searcher/app.bsky.feed.post/s{number}",
            "cid": "bafyreisearch",
            "author": {
                "did": "did:plc:searcher",
                "handle": "ada.bsky.social",
                "displayName": "Ada",
                "avatar": "https://cdn.bsky.app/img/avatar/plain/did:plc:searcher/x@jpeg",
            },
            "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-07-04T12:00:00.000Z"},
            "indexedAt": "2026-07-04T12:00:01.000Z",
        }
        self.posts.append(post)
        return post

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.path == "/xrpc/com.atproto.server.createSession":
            body = request.get_json() or {}
            if (body.get("identifier"), body.get("password")) != (self.handle, self.password):
                error = {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
                return Response(json.dumps(error), 401, mimetype="application/json")
            session = {"accessJwt": "jwt-1", "refreshJwt": "r", "handle": self.handle, "did": "did:plc:me"}
            return Response(json.dumps(session), 200, mimetype="application/json")
        if request.path != "/xrpc/app.bsky.feed.searchPosts":
            return Response("{}", 404, mimetype="application/json")
        if request.headers.get("Authorization") != "Bearer jwt-1":
            return Response(json.dumps({"error": "AuthMissing"}), 401, mimetype="application/json")
        self.searches.append(dict(request.args))
        tag = request.args["q"].lower()
        found = [p for p in reversed(self.posts) if tag in p["record"]["text"].lower()]
        start = int(request.args.get("cursor") or 0)
        limit = int(request.args.get("limit", 25))
        page = found[start : start + limit]
        body: dict[str, Any] = {"posts": page}
        if start + limit < len(found):
            body["cursor"] = str(start + limit)
        return Response(json.dumps(body), 200, mimetype="application/json")
