"""YouTube live chat: the chat of one broadcast, polled at the interval the API itself returns.

`youtube:VIDEO_ID` follows that broadcast; `youtube:@handle` or `youtube:channel/UC…` follows
whatever the channel has live (channels.list `forHandle`, then search.list
`eventType=live`, 100 quota units, looked up again YOUTUBE_CHANNEL_RECHECK_SECONDS after a
stream ends). videos.list `liveStreamingDetails.activeLiveChatId` names the chat;
liveChatMessages.list returns the history first, then new messages, with `nextPageToken`
(the resumable cursor, stored with the items) and `pollingIntervalMillis`, which is waited
before the next request (https://developers.google.com/youtube/v3/live/docs/liveChatMessages/list).
Quota: 10,000 units per Google Cloud project per day, reset at midnight Pacific time; a
chat poll costs 5 units. The units spent today are shown in the health; `quotaExceeded`
waits until that midnight.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from aggregator.jsontext import as_dict, as_list
from aggregator.sources import http
from aggregator.sources.base import Batch, SourceError, SpecError
from aggregator.sources.query import hashtags, mentions_any
from aggregator.sources.youtube_payload import ENDED, deleted_message_id, items_from_messages, message_kind

PACIFIC = ZoneInfo("America/Los_Angeles")  # where YouTube's daily quota resets
COST = {"videos": 1, "channels": 1, "search": 100, "liveChat/messages": 5}
MAX_RESULTS = 2000  # liveChatMessages.list's largest maxResults
_VIDEO = re.compile(r"^[A-Za-z0-9_-]{11}$")
_HANDLE = re.compile(r"^@[A-Za-z0-9._-]{3,30}$")
_CHANNEL = re.compile(r"^channel/(UC[A-Za-z0-9_-]{22})$")


def parse_target(target: str) -> tuple[str, str]:
    """('video', ID), ('handle', '@name') or ('channel', 'UC…'); SpecError for anything else."""
    target = target.strip()
    if _VIDEO.match(target):
        return "video", target
    if _HANDLE.match(target):
        return "handle", target
    channel = _CHANNEL.match(target)
    if channel:
        return "channel", channel.group(1)
    raise SpecError(
        "youtube needs a live video or a channel: youtube:VIDEO_ID (11 characters),"
        " youtube:@handle or youtube:channel/UC…"
    )


class ChatEnded(SourceError):
    """The broadcast's chat is over (liveChatEnded, chatEndedEvent, or no active chat after the end)."""


def _lasting(message: str) -> SourceError:
    """A problem that waiting a little will not solve: tried again after 15 minutes, not a rate limit."""
    return SourceError(message, retry_after=http.AUTH_RETRY, rate_limited=False)


def _seconds_to_pacific_midnight() -> float:
    now = datetime.now(PACIFIC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - now).total_seconds())


def _reasons(response: requests.Response) -> list[str]:
    try:
        error = as_dict(as_dict(response.json()).get("error"))
    except ValueError:
        return []
    entries = as_list(error.get("errors")) + as_list(error.get("details"))  # details: google.rpc.ErrorInfo
    return [str(as_dict(entry).get("reason")) for entry in entries]


def _explain(response: requests.Response) -> SourceError | None:
    """Google's error reasons (https://developers.google.com/youtube/v3/docs/errors) as SourceErrors."""
    reasons = set(_reasons(response))
    if reasons & {"quotaExceeded", "dailyLimitExceeded"}:
        wait = _seconds_to_pacific_midnight()
        return SourceError(
            "YouTube API quota exhausted (quotaExceeded): the project's daily units are spent;"
            f" polling resumes at midnight Pacific time, in {wait:.0f} s",
            retry_after=wait,
        )
    if reasons & {"rateLimitExceeded", "userRateLimitExceeded"} or response.status_code == 429:
        wait = http.retry_after(response) or 60.0
        return SourceError(
            f"YouTube rate limit reached (rateLimitExceeded); waiting {wait:.0f} s", retry_after=wait
        )
    if "liveChatEnded" in reasons:
        return ChatEnded("YouTube: the live chat has ended (liveChatEnded)")
    if "liveChatNotFound" in reasons:
        return SourceError(
            "YouTube live chat not found (liveChatNotFound): the broadcast has no chat, or it was removed",
            retry_after=http.AUTH_RETRY,
            rate_limited=False,
        )
    if "liveChatDisabled" in reasons:
        return SourceError(
            "YouTube: the broadcast's live chat is disabled (liveChatDisabled)",
            retry_after=http.AUTH_RETRY,
            rate_limited=False,
        )
    refused = {"API_KEY_INVALID", "keyInvalid", "keyExpired", "authError", "forbidden", "accessNotConfigured"}
    if reasons & refused or (response.status_code in (401, 403)):
        return SourceError(
            f"YouTube refused the credential ({response.status_code} {', '.join(sorted(reasons))}):"
            " check TAGSTORY_YOUTUBE_API_KEY or TAGSTORY_YOUTUBE_OAUTH_TOKEN and that the"
            " YouTube Data API v3 is enabled for its project",
            retry_after=http.AUTH_RETRY,
            rate_limited=False,
        )
    return None


class YouTubeSource:
    """The live chat of one broadcast, or of whatever a channel has live."""

    def __init__(self, target: str, query: str, settings: dict[str, Any]) -> None:
        self.kind, self.name = parse_target(target)
        key, token = settings["YOUTUBE_API_KEY"], settings["YOUTUBE_OAUTH_TOKEN"]
        if not key and not token:
            raise SourceError(
                "YouTube needs TAGSTORY_YOUTUBE_API_KEY (a Google Cloud API key with the YouTube"
                " Data API v3 enabled) or TAGSTORY_YOUTUBE_OAUTH_TOKEN",
                retry_after=http.AUTH_RETRY,
                rate_limited=False,
            )
        self.base = str(settings["YOUTUBE_API_URL"]).rstrip("/")
        self.tags = hashtags(query) if settings["YOUTUBE_HASHTAG_ONLY"] else []
        self.recheck = float(settings["YOUTUBE_CHANNEL_RECHECK_SECONDS"])
        self.daily_units = int(settings["YOUTUBE_DAILY_QUOTA_UNITS"])
        self.http = http.Http(settings, "YouTube")
        self.key = None if token else key
        if token:
            self.http.session.headers["Authorization"] = f"Bearer {token}"

    def _get(self, state: dict[str, Any], resource: str, **params: Any) -> dict[str, Any]:
        """One API call, its units counted (per Pacific day) in the state."""
        today = datetime.now(PACIFIC).date().isoformat()
        units = state.setdefault("units", {})
        if units.get("day") != today:
            units.update(day=today, used=0)
        units["used"] += COST.get(resource, 1)
        if self.key:
            params["key"] = self.key
        response = self.http.get(f"{self.base}/{resource}", explain=_explain, params=params)
        body = self.http.json(response)
        if not isinstance(body, dict):
            raise SourceError(f"YouTube sent a {resource} answer that is not an object")
        return body

    def _cursor(self, state: dict[str, Any]) -> str:
        units = state.get("units") or {}
        state["quota"] = {
            "used": int(units.get("used") or 0),
            "limit": self.daily_units,
            "window": "1 day (until midnight Pacific time)",
            "counted_at": datetime.now(PACIFIC).isoformat(timespec="seconds"),
            "resumes_at": None,
        }
        return json.dumps(state)

    def _live_video(self, state: dict[str, Any]) -> str:
        """The video to follow: the spec's, or the channel's current live stream."""
        if self.kind == "video":
            return self.name
        channel = state.get("channel") or (self.name if self.kind == "channel" else None)
        if not channel:
            found = as_list(self._get(state, "channels", part="id", forHandle=self.name).get("items"))
            channel = as_dict(found[0]).get("id") if found else None
            if not isinstance(channel, str):
                raise _lasting(f"YouTube has no channel {self.name}")
            state["channel"] = channel
        live = as_list(
            self._get(
                state, "search", part="id", channelId=channel, eventType="live", type="video", maxResults=1
            ).get("items")
        )
        video = as_dict(as_dict(live[0]).get("id")).get("videoId") if live else None
        if not isinstance(video, str):
            raise SourceError(
                f"YouTube channel {self.name} is not live now; looking again in {self.recheck:.0f} s",
                retry_after=self.recheck,
                rate_limited=False,
            )
        return video

    def _chat_of(self, state: dict[str, Any], video: str) -> str:
        found = as_list(self._get(state, "videos", part="liveStreamingDetails", id=video).get("items"))
        if not found:
            raise _lasting(f"YouTube has no video {video}")
        details = as_dict(as_dict(found[0]).get("liveStreamingDetails"))
        chat = details.get("activeLiveChatId")
        if isinstance(chat, str) and chat:
            return chat
        if details.get("actualEndTime"):
            raise ChatEnded(f"YouTube: the broadcast {video} has ended; its live chat with it")
        if not details:
            raise _lasting(f"YouTube video {video} is not a live broadcast")
        raise SourceError(
            f"YouTube broadcast {video} has no active live chat yet; looking again in {self.recheck:.0f} s",
            retry_after=self.recheck,
            rate_limited=False,
        )

    def _page(self, state: dict[str, Any]) -> tuple[Batch, float]:
        """One poll of the chat: the batch (cursor = the next page token) and the wait the API asks."""
        params = {"liveChatId": state["chat"], "part": "id,snippet,authorDetails", "maxResults": MAX_RESULTS}
        if state.get("page"):
            params["pageToken"] = state["page"]
        answer = self._get(state, "liveChat/messages", **params)
        messages = as_list(answer.get("items"))
        items, skipped = items_from_messages({"items": messages}, state["video"])
        deleted = [("youtube", ident) for ident in map(deleted_message_id, messages) if ident]
        skipped = [reason for reason in skipped if "(not a chat post)" not in reason]  # bans, polls
        if self.tags:
            items = [item for item in items if mentions_any(item.text, self.tags)]
        ended = any(message_kind(message) == ENDED for message in messages)
        if isinstance(answer.get("nextPageToken"), str):
            state["page"] = answer["nextPageToken"]
        wait = answer.get("pollingIntervalMillis")
        seconds = float(wait) / 1000 if isinstance(wait, (int, float)) and wait >= 0 else 5.0
        batch = Batch(items, self._cursor(state), skipped, deleted=deleted)
        return batch, (-1.0 if ended else seconds)

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Find the chat (once; it is kept in the cursor), then poll it at the API's own interval."""
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        try:
            while not stop.is_set():
                if not state.get("chat"):
                    video = self._live_video(state)
                    state.update(video=video, chat=self._chat_of(state, video), page=None)
                    yield Batch([], self._cursor(state))
                batch, wait = self._page(state)
                yield batch
                if wait < 0:
                    raise ChatEnded("YouTube: the live chat has ended (chatEndedEvent)")
                if stop.wait(wait):
                    return
        except ChatEnded as ended:
            if self.kind == "video":
                return  # the broadcast is over: the source is finished
            for name in ("video", "chat", "page"):
                state.pop(name, None)
            yield Batch([], self._cursor(state))
            raise SourceError(
                f"{ended}; looking for the next live stream of {self.name} in {self.recheck:.0f} s",
                retry_after=self.recheck,
                rate_limited=False,
            ) from ended
