"""The payload converters the live sources can share: X v2, Mastodon and Jetstream into Items."""

from __future__ import annotations

import pytest

from aggregator.items import InvalidItem
from aggregator.sources.jetstream_payload import item_from_jetstream_event, skip_reason
from aggregator.sources.mastodon_payload import item_from_status
from aggregator.sources.x_payload import item_from_tweet


def test_a_flattened_twarc_tweet_carries_its_author_inline() -> None:
    tweet = {
        "id": "7",
        "text": "a &lt;b&gt; &amp; #tag",
        "author": {"id": "1", "username": "someone", "name": "Some One"},
        "entities": {"hashtags": [{"start": 14, "end": 18, "tag": "tag"}]},
        "created_at": "2026-07-04T15:00:00.000Z",
    }
    item = item_from_tweet(tweet)
    assert (item.text, item.author.handle, item.url) == (
        "a <b> & #tag",
        "someone",
        "https://x.com/someone/status/7",
    )
    link = '<a href="https://x.com/hashtag/tag" rel="nofollow noopener noreferrer ugc">#tag</a>'
    assert item.render_html() == f"a &lt;b&gt; &amp; {link}"


def test_a_long_post_uses_its_note_tweet_text() -> None:
    tweet = {"id": "8", "text": "short…", "note_tweet": {"text": "the whole long text"}, "author_id": "1"}
    assert (
        item_from_tweet(tweet, {"users": [{"id": "1", "username": "u", "name": "U"}]}).text
        == "the whole long text"
    )


def test_a_tweet_without_id_is_invalid() -> None:
    with pytest.raises(InvalidItem):
        item_from_tweet({"text": "no id"})


def test_a_local_mastodon_account_gets_its_server_in_the_handle() -> None:
    status = {
        "uri": "https://s.example/users/a/statuses/1",
        "content": "<p>hi</p>",
        "account": {"acct": "a", "username": "a", "url": "https://s.example/@a"},
    }
    item = item_from_status(status)
    assert (item.source, item.source_id, item.author.handle, item.text) == (
        "mastodon",
        "https://s.example/users/a/statuses/1",
        "a@s.example",
        "hi",
    )


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"kind": "identity"}, "identity event"),
        (
            {"kind": "commit", "commit": {"operation": "delete", "collection": "app.bsky.feed.post"}},
            "commit delete app.bsky.feed.post",
        ),
        ("nonsense", "not a JSON object"),
    ],
)
def test_jetstream_events_that_are_not_new_posts_say_why(event: object, reason: str) -> None:
    assert skip_reason(event) == reason
    assert item_from_jetstream_event(event) is None  # type: ignore[arg-type]


def test_facet_offsets_are_utf8_bytes_not_characters() -> None:
    text = "é👋 #x"
    event = {
        "did": "did:plc:a",
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "r",
            "record": {
                "text": text,
                "createdAt": "2026-07-04T15:00:00Z",
                "facets": [
                    {
                        "index": {"byteStart": 7, "byteEnd": 9},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "x"}],
                    },
                    {
                        "index": {"byteStart": 5, "byteEnd": 99},
                        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://bad.example"}],
                    },
                ],
            },
        },
    }
    item = item_from_jetstream_event(event)
    assert item is not None and item.links == [(3, 5, "https://bsky.app/hashtag/x")]
    assert item.created_at == "2026-07-04T15:00:00.000Z"
