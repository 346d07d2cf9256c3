"""`flask --app app forget AUTHOR`: a person's posts leave every feed, story and export, and stay out.

The posts come from local servers speaking Mastodon's and Bluesky's protocols through the
collector; viewers follow over Socket.IO and read over HTTP, as anyone would.
"""

from __future__ import annotations

import json

from aggregator.feeds import create_feed
from tests.sources.conftest import feed_texts, wait_for
from tests.sources.servers import post_event, status

LIVE_US = 1783175999000000


def _by(number: int, user: str) -> dict:
    post = status(number)
    post["uri"] = f"https://mastodon.example/users/{user}/statuses/{number}"
    post["content"] = f"<p>{user} says {number} #kredcrew</p>"
    post["account"] = {**post["account"], "username": user, "acct": user, "display_name": user.title()}
    post["account"]["url"] = f"https://mastodon.example/@{user}"
    return post


def _pin(client, headers, item_id: str) -> None:
    story = client.post(
        "/api/stories", json={"title": "Summit", "feed": "kc", "status": "live"}, headers=headers
    )
    assert story.status_code == 201
    response = client.post(
        "/api/stories/summit/elements",
        json={"type": "item", "item_id": item_id, "annotation": "The best question of the day"},
        headers=headers,
    )
    assert response.status_code == 201


def _exports(client) -> str:
    return "".join(
        client.get(f"/stories/summit/export.{fmt}").get_data(as_text=True) for fmt in ("html", "json", "md")
    )


def test_forget_removes_an_author_everywhere_and_refuses_their_next_posts(
    app, db, client, runner, curators, socket_client, deliver, mastodon, collecting
):
    mastodon.add(_by(1, "alice"), _by(2, "alice"), _by(3, "bob"))
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])
    with collecting():
        wait_for(lambda: len(feed_texts(db, "kc")) == 3)
    items = {i["text"]: i for i in client.get("/api/feeds/kc/items").get_json()["items"]}
    _pin(client, curators.token(), items["alice says 1 #kredcrew"]["id"])
    assert "alice says 1" in _exports(client)
    feed_viewer, story_viewer = socket_client(), socket_client()
    assert feed_viewer.emit("join", {"feed": "kc", "after": 0}, callback=True)["ok"]
    assert story_viewer.emit("join", {"story": "summit", "after": 0}, callback=True)["ok"]

    refused = runner.invoke(args=["forget", "@alice@mastodon.example"], input="n\n")
    assert refused.exit_code == 1 and "2 post(s)" in refused.output and "1 story" in refused.output
    assert len(client.get("/api/feeds/kc/items").get_json()["items"]) == 3  # nothing happened

    done = runner.invoke(args=["forget", "https://mastodon.example/@alice", "--yes", "--by", "ada"])
    assert done.exit_code == 0, done.output
    assert "Removed 2 post(s) from 1 feed(s) and 1 story(ies)" in done.output
    deliver()

    shown = client.get("/api/feeds/kc/items").get_json()["items"]
    assert [i["text"] for i in shown if not i["deleted"]] == ["bob says 3 #kredcrew"]
    feed_events = [p["args"][0]["item"] for p in feed_viewer.get_received() if p["name"] == "item"]
    assert {e["id"] for e in feed_events if e.get("deleted")} == {
        items["alice says 1 #kredcrew"]["id"],
        items["alice says 2 #kredcrew"]["id"],
    }
    story_events = [p["args"][0] for p in story_viewer.get_received() if p["name"] == "story"]
    assert story_events[-1]["op"] == "update" and story_events[-1]["element"]["removed"] == "author"
    assert story_events[-1]["element"]["annotation"] == "The best question of the day"
    element = client.get("/api/stories/summit").get_json()["elements"][0]
    assert element["removed"] == "author" and element["annotation"] == "The best question of the day"
    exports = _exports(client)
    assert "The best question of the day" in exports and "removed by its author" in exports
    late = socket_client()
    caught_up = json.dumps(late.emit("join", {"story": "summit", "after": 0}, callback=True)["events"])
    everything = exports + caught_up + json.dumps(client.get("/api/feeds/kc/items").get_json())
    assert "alice" not in everything.lower() and "Alice" not in everything

    # The audit: who, when, how many; the forgotten list keeps no name.
    entry = db.query_one("SELECT * FROM forget_log")
    assert (entry["actor"], entry["network"], entry["items"], entry["feeds"], entry["stories"]) == (
        "ada",
        "mastodon",
        2,
        1,
        1,
    )
    assert entry["at"]
    stored = json.dumps([dict(r) for r in db.query("SELECT * FROM forgotten_authors")])
    assert "alice" not in stored

    mastodon.add(_by(4, "alice"), _by(5, "bob"))
    with collecting():
        wait_for(lambda: "bob says 5 #kredcrew" in feed_texts(db, "kc"))
    assert not [t for t in feed_texts(db, "kc") if "alice" in t]


def test_forget_a_bluesky_handle_finds_the_posts_jetstream_stored_by_did(
    app, db, client, runner, jetstream, appview, collecting
):
    app.config.update(BLUESKY_APPVIEW_URL=appview.url, FETCH_ALLOW_PRIVATE=True)
    jetstream.publish(
        post_event(LIVE_US, "carol's post #kredcrew", "c1", did="did:plc:carol"),
        post_event(LIVE_US + 1, "dan's post #kredcrew", "d1", did="did:plc:dan"),
    )
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])
    with collecting():
        wait_for(lambda: len(feed_texts(db, "kc")) == 2)
    done = runner.invoke(args=["forget", "carol.bsky.social", "--yes"])
    assert done.exit_code == 0, done.output
    assert "Removed 1 post(s)" in done.output
    texts = [i["text"] for i in client.get("/api/feeds/kc/items").get_json()["items"] if not i["deleted"]]
    assert texts == ["dan's post #kredcrew"]


def test_an_author_nobody_could_recognize_gets_a_clear_message(runner):
    result = runner.invoke(args=["forget", "not an author!"])
    assert result.exit_code == 1 and "names no author" in result.output
    result = runner.invoke(args=["forget", "https://example.org/about"])
    assert result.exit_code == 1 and "not a profile URL" in result.output


def test_a_curator_can_forget_the_author_of_a_post_through_the_api(
    db, client, curators, mastodon, collecting
):
    mastodon.add(_by(1, "alice"), _by(2, "bob"))
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])
    with collecting():
        wait_for(lambda: len(feed_texts(db, "kc")) == 2)
    alice = next(
        i for i in client.get("/api/feeds/kc/items").get_json()["items"] if i["text"].startswith("alice")
    )
    assert client.post(f"/api/feeds/kc/items/{alice['id']}/forget").status_code == 401
    answer = client.post(f"/api/feeds/kc/items/{alice['id']}/forget", headers=curators.token("ada"))
    assert answer.status_code == 200 and answer.get_json() == {"items": 1, "feeds": 1, "stories": 0}
    texts = [i["text"] for i in client.get("/api/feeds/kc/items").get_json()["items"] if not i["deleted"]]
    assert texts == ["bob says 2 #kredcrew"]
    assert db.query_one("SELECT actor FROM forget_log")["actor"] == "ada"
    again = client.post(f"/api/feeds/kc/items/{alice['id']}/forget", headers=curators.token("ada"))
    assert again.status_code == 400 and "deleted already" in again.get_json()["error"]
