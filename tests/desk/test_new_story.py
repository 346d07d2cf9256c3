"""Starting a story without the API ("New story" on the home and feed pages), moving it to
another feed later, and a post pinned once per story (issue 11)."""

from __future__ import annotations

import re

from tests import factories
from tests.desk.conftest import events_named


def _form_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_new_story_on_the_home_page_offers_the_feeds_and_opens_the_editor(curator_client, feed, db):
    factories.feed(db, "other")
    ada, _headers = curator_client("ada")
    home = ada.get("/").get_data(as_text=True)
    assert 'id="new-story"' in home
    assert re.search(r'<select id="story-feed" name="feed"[^>]*>.*value="demo".*value="other"', home, re.S)
    answer = ada.post(
        "/stories",
        data={
            "title": "Day one",
            "feed": "other",
            "description": "The keynotes",
            "csrf_token": _form_token(home),
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/stories/day-one/edit"
    story = ada.get("/api/stories/day-one").json
    assert (story["feed"], story["description"], story["status"], story["owner"]) == (
        "other",
        "The keynotes",
        "draft",
        "ada",
    )
    editor = ada.get("/stories/day-one/edit")
    assert editor.status_code == 200 and 'data-feed="other"' in editor.get_data(as_text=True)


def test_new_story_on_a_feed_page_chooses_that_feed(curator_client, feed, db):
    factories.feed(db, "other")
    ada, _headers = curator_client("ada")
    page = ada.get("/feeds/other").get_data(as_text=True)
    assert '<option value="other" selected>' in page
    assert '<option value="demo">' in page


def test_new_story_refuses_bad_input_with_a_message_not_a_500(curator_client, feed, client):
    ada, _headers = curator_client("ada")
    token = _form_token(ada.get("/").get_data(as_text=True))
    empty = ada.post("/stories", data={"title": "  ", "feed": "demo", "csrf_token": token})
    assert empty.status_code == 302 and empty.headers["Location"] == "/feeds/demo#new-story"
    assert "title" in ada.get("/feeds/demo").get_data(as_text=True).split("flash")[1]
    unknown = ada.post("/stories", data={"title": "X", "feed": "nope", "csrf_token": token})
    assert unknown.status_code == 302 and unknown.headers["Location"] == "/#new-story"
    assert "no feed &#39;nope&#39;" in ada.get("/").get_data(as_text=True)
    assert ada.post("/stories", data={"title": "X", "feed": "demo"}).status_code == 400  # no CSRF token
    assert client.post("/stories", data={"title": "X"}).status_code == 403  # not a curator
    assert 'id="new-story"' not in client.get("/").get_data(as_text=True)
    assert ada.get("/api/stories").json == []


def test_a_story_moves_to_another_feed_and_its_viewers_are_restated(
    curator_client, story, db, socket_client, deliver
):
    factories.feed(db, "other")
    owner, headers = curator_client("owner")
    owner.patch("/api/stories/s", json={"status": "live"}, headers=headers)
    deliver()
    viewer = socket_client()
    viewer.emit("join", {"story": "s", "after": 0}, callback=True)
    moved = owner.patch("/api/stories/s", json={"feed": "other"}, headers=headers)
    assert moved.status_code == 200 and moved.json["feed"] == "other"
    deliver()
    ops = [(e["op"], (e.get("meta") or {}).get("feed")) for e in events_named(viewer, "story")]
    assert ops[:2] == [("meta", "other"), ("reset", None)]
    assert owner.get("/stories/s/edit").get_data(as_text=True).count('data-feed="other"') == 1
    refused = owner.patch("/api/stories/s", json={"feed": "nope"}, headers=headers)
    assert refused.status_code == 400 and "no feed 'nope'" in refused.json["error"]
    assert owner.patch("/api/stories/s", json={"feed": 3}, headers=headers).status_code == 400


def test_the_same_post_pinned_twice_is_a_409_naming_the_first_pin(curator_client, story, post):
    owner, headers = curator_client("owner")
    item = post(1)
    owner.post("/api/stories/s/elements", json={"type": "text", "text": "intro"}, headers=headers)
    pin = {"type": "item", "item_id": item["id"]}
    first = owner.post("/api/stories/s/elements", json=pin, headers=headers)
    assert first.status_code == 201
    again = owner.post("/api/stories/s/elements", json={**pin, "position": 0}, headers=headers)
    assert again.status_code == 409
    assert "pinned in the story already, at position 2" in again.json["error"]
    assert again.json["current"]["id"] == first.json["id"]
    assert [e["type"] for e in owner.get("/api/stories/s").json["elements"]] == ["text", "item"]
    owner.delete(f"/api/stories/s/elements/{first.json['id']}", headers=headers)  # undo of a pin, then redo
    assert owner.post("/api/stories/s/elements", json=pin, headers=headers).status_code == 201
