"""The YouTube Data API v3 parts a live chat needs, as documented by Google.

- `GET /videos?part=liveStreamingDetails&id=` → `items[].liveStreamingDetails.activeLiveChatId`
  (https://developers.google.com/youtube/v3/docs/videos#liveStreamingDetails);
- `GET /channels?part=id&forHandle=@handle` (https://developers.google.com/youtube/v3/docs/channels/list);
- `GET /search?part=id&channelId=&eventType=live&type=video` (https://developers.google.com/youtube/v3/docs/search/list);
- `GET /liveChat/messages?liveChatId&part&pageToken&maxResults` → `{items, nextPageToken,
  pollingIntervalMillis}`, the history first, oldest first
  (https://developers.google.com/youtube/v3/live/docs/liveChatMessages/list).

Errors are Google's `{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`
with the reasons of https://developers.google.com/youtube/v3/live/docs/errors (liveChatEnded,
liveChatNotFound, rateLimitExceeded) and quotaExceeded (domain youtube.quota).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

REASONS = {
    "quota": (403, "youtube.quota", "quotaExceeded", "You have exceeded your quota."),
    "rate": (403, "youtube.liveChat", "rateLimitExceeded", "Sent too soon after the last."),
    "ended": (403, "youtube.liveChat", "liveChatEnded", "The specified live chat is no longer live."),
    "notfound": (404, "youtube.liveChat", "liveChatNotFound", "The live chat cannot be found."),
    "badkey": (400, "global", "badRequest", "API key not valid. Please pass a valid API key."),
    "authError": (401, "global", "authError", "Invalid Credentials"),
}  # fmt: skip


def chat_message(
    number: int, text: str = "", kind: str = "textMessageEvent", **details: Any
) -> dict[str, Any]:
    """A liveChatMessage resource (https://developers.google.com/youtube/v3/live/docs/liveChatMessages)."""
    snippet: dict[str, Any] = {
        "type": kind,
        "liveChatId": "Cg0KC2tyZWRjcmV3MjAyNg",
        "authorChannelId": "UCkredAda0000000000000A",
        "publishedAt": f"2026-11-25T12:{number // 60 % 60:02d}:{number % 60:02d}.000000+00:00",
        "hasDisplayContent": True,
        "displayMessage": text or f"chat {number} #kredcrew",
    }
    if kind == "textMessageEvent":
        snippet["textMessageDetails"] = {"messageText": text or f"chat {number} #kredcrew"}
    snippet.update(details)
    return {
        "kind": "youtube#liveChatMessage",
        "etag": f"etag{number}",
        "id": f"LCC.msg{number:06d}",
        "snippet": snippet,
        "authorDetails": {
            "channelId": "UCkredAda0000000000000A",
            "channelUrl": "http://www.youtube.com/channel/UCkredAda0000000000000A",
            "displayName": "Ada Kred",
            "profileImageUrl": "https://yt3.ggpht.com/ada.jpg",
            "isVerified": False,
            "isChatOwner": False,
            "isChatSponsor": kind != "textMessageEvent",
            "isChatModerator": False,
        },
    }


def google_error(name: str) -> Response:
    status, domain, reason, message = REASONS[name]
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if name == "badkey":  # Google names the cause in an ErrorInfo detail
        error["details"] = [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
        ]
    body = {"error": error}
    return Response(json.dumps(body), status, mimetype="application/json")


class FakeYouTube:
    """One broadcast `video` with chat `chat` (its `messages`, oldest first), a channel `@kredcrew`
    live on it. `failures`: a name of REASONS, a status code, "truncated" or ("slow", seconds)."""

    def __init__(self, key: str = "yt-key") -> None:
        self.key = key
        self.video = "kredLive001"
        self.chat = "Cg0KC2tyZWRjcmV3MjAyNg"
        self.advertised_chat: str | None = None  # what videos.list names, when not `chat`
        self.channel = "UCkredcrew000000000000A"
        self.live = True  # the channel is live on `video`
        self.ended = False  # the chat has ended
        self.messages: list[dict[str, Any]] = []
        self.failures: deque[Any] = deque()
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        self.interval_ms = 50
        self.page_size = 2000
        self.delay = 0.0
        self.lock = threading.Lock()

    def stop(self) -> None:
        pass

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def chat_requests(self) -> list[dict[str, str]]:
        return [args for _, path, args in self.requests if path.endswith("/liveChat/messages")]

    def _respond(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((time.monotonic(), request.path, dict(request.args)))
        failure = self.failures.popleft() if self.failures else None
        if self.delay:
            time.sleep(self.delay)
        if isinstance(failure, tuple):
            time.sleep(failure[1])
        if request.args.get("key") != self.key:
            return google_error("authError" if "Authorization" in request.headers else "badkey")
        if isinstance(failure, str) and failure in REASONS:
            return google_error(failure)
        if isinstance(failure, int):
            return Response(json.dumps({"error": {"code": failure, "message": "Backend Error"}}), failure)
        body = self._answer(request.path.removeprefix("/youtube/v3"), request.args)
        if not isinstance(body, dict):
            return body
        text = json.dumps(body)
        if failure == "truncated":
            text = text[: len(text) // 2]
        return Response(text, 200, mimetype="application/json")

    def _answer(self, path: str, args: Any) -> Any:
        if path == "/videos":
            assert args["part"] == "liveStreamingDetails"
            if args["id"] != self.video:
                return {"kind": "youtube#videoListResponse", "items": []}
            details = {"actualStartTime": "2026-11-25T12:00:00Z"}
            if self.ended:
                details["actualEndTime"] = "2026-11-25T14:00:00Z"
            else:
                details["activeLiveChatId"] = self.advertised_chat or self.chat
            return {
                "kind": "youtube#videoListResponse",
                "items": [{"id": self.video, "liveStreamingDetails": details}],
            }
        if path == "/channels":
            found = (
                [{"kind": "youtube#channel", "id": self.channel}]
                if args.get("forHandle") == "@kredcrew"
                else []
            )
            return {"kind": "youtube#channelListResponse", "items": found}
        if path == "/search":
            assert args["eventType"] == "live" and args["type"] == "video"
            live = self.live and args["channelId"] == self.channel
            return {
                "kind": "youtube#searchListResponse",
                "items": [{"id": {"kind": "youtube#video", "videoId": self.video}}] if live else [],
            }
        if path == "/liveChat/messages":
            if args["liveChatId"] != self.chat:
                return google_error("notfound")
            if self.ended:
                return google_error("ended")
            assert set(args["part"].split(",")) >= {"snippet", "authorDetails"}
            start = int(args["pageToken"].removeprefix("GO")) if args.get("pageToken") else 0
            with self.lock:
                page = self.messages[start : start + min(self.page_size, int(args.get("maxResults", 500)))]
            return {
                "kind": "youtube#liveChatMessageListResponse",
                "nextPageToken": f"GO{start + len(page)}",
                "pollingIntervalMillis": self.interval_ms,
                "pageInfo": {"totalResults": len(page), "resultsPerPage": len(page)},
                "items": page,
            }
        return google_error("notfound")
