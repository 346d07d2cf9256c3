"""Edits at the source reach every place that shows the post: X's edit history, Mastodon's edited_at.

Against local servers speaking X's recent search (an edit is a new id whose
`edit_history_tweet_ids` starts with the first version's) and Mastodon's hashtag timeline
(a boost of a post edited since carries it with `edited_at`); a story pins the post.
"""

from __future__ import annotations

from aggregator.feeds import create_feed
from tests.sources.conftest import wait_for
from tests.sources.servers import status, tweet


def _viewer_texts(client) -> list[str]:
    return [item["text"] for item in client.get("/api/feeds/kc/items").get_json()["items"]]


def _pin_first(client, headers) -> None:
    item_id = client.get("/api/feeds/kc/items").get_json()["items"][0]["id"]
    client.post("/api/stories", json={"title": "S", "feed": "kc", "status": "live"}, headers=headers)
    created = client.post(
        "/api/stories/s/elements", json={"type": "item", "item_id": item_id}, headers=headers
    )
    assert created.status_code == 201


def _story_text(client) -> str:
    return client.get("/api/stories/s").get_json()["elements"][0]["item"]["text"]


def test_an_x_edit_replaces_the_post_in_the_feed_and_the_story(
    db, client, curators, socket_client, deliver, x_api, collecting
):
    first = tweet(1, "keynote at 9 #kredcrew")
    first["edit_history_tweet_ids"] = [first["id"]]
    x_api.tweets = [first]
    create_feed(db, "kc", "#kredcrew", ["x"])
    settings = {"X_API_URL": x_api.url, "X_BEARER_TOKEN": x_api.token, "X_POLL_SECONDS": 0.05}
    with collecting(**settings):
        wait_for(lambda: _viewer_texts(client) == ["keynote at 9 #kredcrew"])
        _pin_first(client, curators.token())
        viewer = socket_client()
        assert viewer.emit("join", {"story": "s", "after": 0}, callback=True)["ok"]
        edit = tweet(2, "keynote at 10, not 9 #kredcrew")
        edit["edit_history_tweet_ids"] = [first["id"], edit["id"]]
        x_api.tweets.append(edit)
        wait_for(lambda: _viewer_texts(client) == ["keynote at 10, not 9 #kredcrew"])
    assert _story_text(client) == "keynote at 10, not 9 #kredcrew"
    deliver()
    updates = [
        p["args"][0] for p in viewer.get_received() if p["name"] == "story" and p["args"][0]["op"] == "update"
    ]
    assert updates[-1]["element"]["item"]["text"] == "keynote at 10, not 9 #kredcrew"
    assert "keynote at 10" in client.get("/stories/s").get_data(as_text=True)


def test_a_boost_of_a_mastodon_post_edited_since_updates_it(db, client, curators, mastodon, collecting):
    mastodon.add(status(1))
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])
    with collecting():
        wait_for(lambda: _viewer_texts(client) == ["Post 1 #kredcrew"])
        _pin_first(client, curators.token())
        edited = status(1)
        edited["content"] = "<p>Post 1, with the slides link #kredcrew</p>"
        edited["edited_at"] = "2026-11-25T13:00:00.000Z"
        boost = status(2)
        boost["reblog"] = edited
        mastodon.add(boost)
        wait_for(lambda: _viewer_texts(client) == ["Post 1, with the slides link #kredcrew"])
    assert _story_text(client) == "Post 1, with the slides link #kredcrew"
    ops = [r["op"] for r in db.query("SELECT op FROM events WHERE type = 'item' ORDER BY seq")]
    assert ops == ["add", "update"]  # one edit, announced once
