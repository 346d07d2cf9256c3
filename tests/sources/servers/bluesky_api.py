"""A Bluesky PDS/AppView: createSession and searchPosts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response


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
