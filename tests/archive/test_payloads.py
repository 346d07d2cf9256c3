"""The payload converters the live sources can share: X v2, Mastodon and Jetstream into Items."""

from __future__ import annotations

import pytest

from aggregator.items import InvalidItem
from aggregator.sources.bluesky_search import postview_item
from aggregator.sources.jetstream_payload import item_from_commit, item_from_jetstream_event, skip_reason
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


def test_a_quote_is_a_repost_and_unsafe_urls_are_dropped() -> None:
    tweet = {
        "id": "9",
        "text": "look",
        "author_id": "1",
        "referenced_tweets": [{"type": "quoted", "id": "5"}],
        "attachments": {"media_keys": ["m1", {"not": "a key"}]},
    }
    includes = {
        "users": [{"id": "1", "username": "u", "name": "U", "profile_image_url": "javascript:alert(1)"}],
        "media": [
            {"media_key": "m1", "type": "animated_gif", "preview_image_url": "https://p.example/g.jpg"}
        ],
    }
    item = item_from_tweet(tweet, includes)
    assert (item.repost_of, item.author.avatar) == ("5", None)
    assert [(m.type, m.url) for m in item.media] == [("video", "https://p.example/g.jpg")]


def test_a_boost_is_the_boosted_post_and_keeps_the_payload_as_received() -> None:
    boosted = {
        "uri": "https://s.example/users/a/statuses/1",
        "content": "<p>hi</p>",
        "account": {"acct": "a", "username": "a", "url": "https://web.example/@a"},
        "media_attachments": [{"type": "gifv", "url": "https://s.example/g.mp4"}, "junk"],
    }
    boost = {"id": "2", "uri": "https://s.example/users/b/statuses/2", "content": "", "reblog": boosted}
    item = item_from_status(boost, "s.example")
    assert (item.source_id, item.author.handle, item.raw) == (boosted["uri"], "a@s.example", boost)
    assert [(m.type, m.url) for m in item.media] == [("video", "https://s.example/g.mp4")]


def test_an_update_commit_and_a_search_result_convert_like_a_create() -> None:
    record = {
        "text": "hi",
        "embed": {"images": [{"image": {"ref": {"$link": "bafk/../x"}}}, {"image": {"cid": "bafkok"}}]},
    }
    event = {
        "did": "did:plc:a",
        "kind": "commit",
        "commit": {"operation": "update", "rkey": "r", "record": record},
    }
    assert item_from_jetstream_event(event) is None  # not a new post
    item = item_from_commit(event)
    assert item.source_id == "at://did:plc:a/app.bsky.feed.post/r"
    assert [m.url for m in item.media] == [
        "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:a/bafkok@jpeg"
    ]
    view = {"uri": item.source_id, "author": {"did": "did:plc:a", "handle": "a.test"}, "record": record}
    found = postview_item(view)
    assert (found.source_id, found.author.handle) == (item.source_id, "a.test")
    with pytest.raises(InvalidItem):
        postview_item({"uri": item.source_id, "author": {"handle": "no.did"}, "record": record})
