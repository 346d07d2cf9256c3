"""A web server with one RSS document and ETags."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from html import escape
from typing import Any

from werkzeug.wrappers import Request, Response


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
