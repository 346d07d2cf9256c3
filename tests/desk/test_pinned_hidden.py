"""A pinned post that moderation takes out of the story's feed never reaches the story's viewers.

Hidden or held there, it shows as "hidden by the curators" on the story page, over the socket,
in a late viewer's catch-up and in every export, while the story's curators still see it in
the editor and the API; approved again, it comes back everywhere.
"""

from __future__ import annotations

import json
from typing import Any

from tests.desk.conftest import events_named

SECRET = "the private detail a curator hid"


def _live_story_with_pin(db, story, post, owner_headers, owner) -> dict[str, Any]:
    item = post(1, text=SECRET)
    post(2, text="an ordinary post")
    owner.patch("/api/stories/s", json={"status": "live"}, headers=owner_headers)
    response = owner.post(
        "/api/stories/s/elements",
        json={"type": "item", "item_id": item["id"], "annotation": "Why it matters"},
        headers=owner_headers,
    )
    assert response.status_code == 201
    return item


def test_a_pinned_post_hidden_in_the_feed_leaves_every_viewer_of_the_story(
    app, db, client, story, post, curator_client, socket_client, deliver
):
    owner, headers = curator_client("owner")
    item = _live_story_with_pin(db, story, post, headers, owner)
    viewer = socket_client(client)
    assert viewer.emit("join", {"story": "s", "after": 0}, callback=True)["ok"]
    events_named(viewer, "story")
    assert SECRET in client.get("/stories/s").get_data(as_text=True)

    for status in ("hidden", "pending"):
        assert (
            owner.patch(
                f"/api/feeds/demo/items/{item['id']}", json={"status": status}, headers=headers
            ).status_code
            == 200
        )
        deliver()
        if status == "hidden":
            update = events_named(viewer, "story")[-1]
            assert update["op"] == "update" and update["element"]["removed"] == "curators"
            assert update["element"]["annotation"] == "Why it matters" and SECRET not in json.dumps(update)
        page = client.get("/stories/s").get_data(as_text=True)
        assert "This post is hidden by the curators." in page and "Why it matters" in page
        assert SECRET not in page
        for fmt in ("html", "json", "md"):
            assert SECRET not in client.get(f"/stories/s/export.{fmt}").get_data(as_text=True), (status, fmt)
        viewer_api = client.get("/api/stories/s").get_json()["elements"][0]
        assert viewer_api["removed"] == "curators" and SECRET not in json.dumps(viewer_api)
        late = socket_client(app.test_client())
        caught_up = late.emit("join", {"story": "s", "after": 0}, callback=True)["events"]
        assert SECRET not in json.dumps(caught_up)

    curator_view = owner.get("/api/stories/s").get_json()["elements"][0]
    assert curator_view["removed"] == "curators" and curator_view["item"]["text"] == SECRET
    editor = owner.get("/stories/s/edit").get_data(as_text=True)
    assert SECRET in editor and "This post is hidden by the curators." in editor

    assert (
        owner.patch(
            f"/api/feeds/demo/items/{item['id']}", json={"status": "approved"}, headers=headers
        ).status_code
        == 200
    )
    deliver()
    back = events_named(viewer, "story")[-1]
    assert back["element"]["removed"] is None and back["element"]["item"]["text"] == SECRET
    assert SECRET in client.get("/stories/s").get_data(as_text=True)
    assert SECRET in client.get("/stories/s/export.json").get_data(as_text=True)


def test_blocking_the_author_of_a_pinned_post_keeps_it_and_its_story(
    app, db, client, story, post, curator_client
):
    owner, headers = curator_client("owner")
    _live_story_with_pin(db, story, post, headers, owner)
    item_id = client.get("/api/stories/s").get_json()["elements"][0]["item_id"]
    assert owner.post(f"/api/feeds/demo/items/{item_id}/block-author", headers=headers).status_code == 200
    assert SECRET in client.get("/stories/s").get_data(
        as_text=True
    )  # pinned posts stay (block_author's rule)
