"""YouTube live chat against a local server speaking the documented Data API v3."""

from __future__ import annotations

import signal
from itertools import pairwise

import pytest

import aggregator.collector as collector_module
from aggregator.db import Database
from aggregator.feeds import create_feed, sources_of
from aggregator.sources import SpecError, parse_spec
from aggregator.sources.youtube_payload import item_from_chat_message
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers.youtube import chat_message


def _settings(api, **more):
    return {"YOUTUBE_API_URL": api.url + "/youtube/v3", "YOUTUBE_API_KEY": api.key, **more}


def _error(db):
    return source_row(db, "kc")["last_error"] or ""


PAID = [
    chat_message(101, kind="superChatEvent", superChatDetails={
        "amountMicros": "5000000", "currency": "EUR", "amountDisplayString": "€5.00",
        "userComment": "great talk #kredcrew", "tier": 2,
    }),
    chat_message(102, kind="superStickerEvent", superStickerDetails={
        "superStickerMetadata": {"stickerId": "s1", "altText": "a waving cat", "language": "en"},
        "amountDisplayString": "€2.00", "tier": 1,
    }),
    chat_message(103, kind="newSponsorEvent", newSponsorDetails={
        "memberLevelName": "Crew", "isUpgrade": False,
    }),
    chat_message(104, kind="memberMilestoneChatEvent", memberMilestoneChatDetails={
        "userComment": "still here", "memberMonth": 6, "memberLevelName": "Crew",
    }),
]  # fmt: skip


def test_text_super_chat_sticker_and_membership_messages_are_marked():
    texts = [item_from_chat_message(m, "kredLive001").text for m in [chat_message(0), *PAID]]
    assert texts == [
        "chat 0 #kredcrew",
        "Super Chat €5.00: great talk #kredcrew",
        "Super Sticker €2.00: a waving cat",
        "New member (Crew)",
        "Member for 6 months: still here",
    ]
    item = item_from_chat_message(PAID[0], "kredLive001")
    assert item.raw["snippet"]["type"] == "superChatEvent" and item.author.name == "Ada Kred"
    assert item.url == "https://www.youtube.com/watch?v=kredLive001"
    assert item_from_chat_message(chat_message(5, kind="userBannedEvent")) is None


@pytest.mark.parametrize(
    "spec", ["youtube", "youtube:short", "youtube:@a", "youtube:channel/XY123", "youtube:../x"]
)
def test_a_spec_without_a_video_or_channel_is_refused(spec):
    with pytest.raises(SpecError, match="youtube needs a live video or a channel"):
        parse_spec(spec)


def test_history_then_new_messages_at_the_interval_the_api_returns(db, youtube_api, collecting):
    youtube_api.messages = [chat_message(n) for n in range(3)]
    youtube_api.interval_ms = 300
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    with collecting(**_settings(youtube_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 3)
        youtube_api.messages += [chat_message(3), *PAID]
        wait_for(lambda: len(feed_texts(db, "kc")) == 8)
        wait_for(lambda: len(youtube_api.chat_requests()) >= 5)
    assert feed_texts(db, "kc")[:4] == [f"chat {n} #kredcrew" for n in range(4)]
    tokens = [r.get("pageToken") for r in youtube_api.chat_requests()]
    assert tokens[0] is None and tokens[1] == "GO3"  # each poll goes on from the last nextPageToken
    polls = [at for at, path, _ in youtube_api.requests if path.endswith("/liveChat/messages")]
    assert all(later - earlier >= 0.3 for earlier, later in pairwise(polls))  # pollingIntervalMillis
    health = sources_of(db, source_row(db, "kc")["feed_id"])[0]
    # videos.list costs 1 unit, each poll 5 (the last one may have been in flight when it stopped)
    assert health["quota"]["limit"] == 10000 and health["quota"]["used"] >= 1 + 5 * (len(polls) - 1)


def test_a_message_deleted_in_the_chat_is_deleted_in_the_feed(db, youtube_api, collecting):
    youtube_api.messages = [chat_message(n) for n in range(2)]
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    with collecting(**_settings(youtube_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 2)
        youtube_api.messages.append(
            chat_message(
                9, kind="messageDeletedEvent", messageDeletedDetails={"deletedMessageId": "LCC.msg000001"}
            )
        )
        wait_for(
            lambda: db.query_one("SELECT deleted FROM items WHERE source_id = 'LCC.msg000001'")["deleted"]
        )
    assert feed_texts(db, "kc")[0] == "chat 0 #kredcrew"


def test_hashtag_only_keeps_the_messages_that_carry_the_feed_hashtag(db, youtube_api, collecting):
    youtube_api.messages = [chat_message(0), chat_message(1, "no tag here"), PAID[0], PAID[2]]
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    with collecting(**_settings(youtube_api, YOUTUBE_HASHTAG_ONLY=True)):
        wait_for(lambda: len(youtube_api.chat_requests()) >= 2)
    assert feed_texts(db, "kc") == ["chat 0 #kredcrew", "Super Chat €5.00: great talk #kredcrew"]


def test_a_channel_handle_follows_its_current_live_stream_then_waits_for_the_next(
    db, youtube_api, collecting
):
    youtube_api.messages = [chat_message(0)]
    create_feed(db, "kc", "#kredcrew", ["youtube:@kredcrew"])
    with collecting(**_settings(youtube_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 1)
        youtube_api.ended, youtube_api.live = True, False
        wait_for(lambda: "looking for the next live stream of @kredcrew" in _error(db))
    paths = [path for _, path, _ in youtube_api.requests]
    assert paths[:3] == ["/youtube/v3/channels", "/youtube/v3/search", "/youtube/v3/videos"]
    assert "liveChatEnded" in _error(db) and source_row(db, "kc")["rate_limit_reset"] is None


def test_an_ended_broadcast_finishes_its_source(db, youtube_api, collecting):
    youtube_api.messages = [chat_message(0)]
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    with collecting(**_settings(youtube_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 1)
        youtube_api.ended = True
        wait_for(lambda: source_row(db, "kc")["state"] == "finished")


@pytest.mark.parametrize(
    ("failure", "says"),
    [("quota", "quota exhausted (quotaExceeded)"), ("rate", "rate limit reached (rateLimitExceeded)")],
)
def test_quota_and_rate_limit_errors_wait_for_their_reset(db, youtube_api, collecting, failure, says):
    youtube_api.failures.append(failure)
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    with collecting(**_settings(youtube_api)):
        row = wait_for(lambda: (r := source_row(db, "kc"))["rate_limit_reset"] and r)
    assert says in row["last_error"] and len(youtube_api.requests) == 1


def test_a_wrong_or_missing_key_and_a_missing_chat_are_said_plainly(db, youtube_api, collecting):
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    with collecting(**_settings(youtube_api, YOUTUBE_API_KEY="wrong-key")):
        wait_for(lambda: "refused the credential" in _error(db))
    assert "API_KEY_INVALID" in _error(db) and "wrong-key" not in _error(db)
    with collecting(**_settings(youtube_api, YOUTUBE_API_KEY=None)):
        wait_for(lambda: _error(db).startswith("YouTube needs TAGSTORY_YOUTUBE_API_KEY"))
    youtube_api.advertised_chat = "removed-chat"  # the video names a chat the API no longer knows
    with collecting(**_settings(youtube_api)):
        wait_for(lambda: "liveChatNotFound" in _error(db))


def test_truncated_json_and_503_are_retried_from_the_same_page(db, youtube_api, collecting):
    youtube_api.messages = [chat_message(n) for n in range(5)]
    youtube_api.page_size = 2
    youtube_api.failures.extend([None, None, "truncated", 503])
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    start, collector_module.BACKOFF_START = collector_module.BACKOFF_START, 0.05
    try:
        with collecting(**_settings(youtube_api)):
            wait_for(lambda: len(feed_texts(db, "kc")) == 5)
    finally:
        collector_module.BACKOFF_START = start
    assert feed_texts(db, "kc") == [f"chat {n} #kredcrew" for n in range(5)]


@pytest.mark.process  # starts `flask collect` twice, killing the first
def test_a_collector_killed_mid_chat_resumes_from_its_page_token(youtube_api, tmp_path):
    from bench.support import stop_process
    from tests.sources.test_collect_process import _collect

    total = 600
    youtube_api.messages = [chat_message(n) for n in range(total)]
    youtube_api.page_size = 20
    youtube_api.delay = 0.05
    database = str(tmp_path / "youtube.sqlite")
    db = Database(database)
    create_feed(db, "kc", "#kredcrew", [f"youtube:{youtube_api.video}"])
    env = {
        "TAGSTORY_FETCH_ALLOW_PRIVATE": "1",
        "TAGSTORY_YOUTUBE_API_URL": youtube_api.url + "/youtube/v3",
        "TAGSTORY_YOUTUBE_API_KEY": youtube_api.key,
    }
    stored = lambda: db.query_one("SELECT count(*) AS n FROM feed_items")["n"]  # noqa: E731
    first = _collect(database, tmp_path, "first", **env)
    try:
        wait_for(lambda: stored() >= 100, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop_process(first)
    at_kill, asked = stored(), len(youtube_api.requests)
    assert 0 < at_kill < total
    second = _collect(database, tmp_path, "second", **env)
    try:
        wait_for(lambda: stored() == total, timeout=60)
    finally:
        stop_process(second)
    _, path, resumed = youtube_api.requests[asked]
    assert (
        path.endswith("/liveChat/messages") and resumed["pageToken"] == f"GO{at_kill}"
    )  # no videos.list again
    texts = [r["text"] for r in db.query("SELECT i.text FROM feed_items m JOIN items i ON i.id = m.item_id")]
    assert sorted(texts) == sorted(f"chat {n} #kredcrew" for n in range(total))
    db.close()
