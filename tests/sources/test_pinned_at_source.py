"""A pinned post edited or deleted at its source changes every place that shows it, live.

`python app.py` collects from a local Mastodon server speaking the hashtag timeline and its
user-token stream (`update`, `status.update`, `delete`); a viewer follows the story and
the feed over a real Socket.IO connection, and reads pages and exports over HTTP.
"""

from __future__ import annotations

import json

import requests
import socketio

from tests.sources.conftest import wait_for
from tests.sources.servers import status

ANNOTATION = "Asked the question everyone had"


def _api(server, method: str, path: str, token: str, **body) -> dict:
    response = requests.request(
        method, server.url + path, json=body or None, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.ok, response.text
    return response.json()


def test_a_pinned_post_edited_then_deleted_at_its_source_changes_live_and_in_exports(
    live_server, mastodon, monkeypatch
):
    monkeypatch.setenv("TAGSTORY_FETCH_ALLOW_PRIVATE", "1")  # the fake Mastodon listens on 127.0.0.1
    mastodon.token = "user-token"
    mastodon.add(status(1), status(2))
    host = mastodon.url.removeprefix("http://")
    server = live_server(
        env={"TAGSTORY_MASTODON_TOKENS": f"{host}=user-token", "TAGSTORY_POLL_SECONDS": "0.2"}
    )
    server.cli("create-curator", "ada")
    token = server.cli("create-token", "ada").strip().splitlines()[-1]
    server.cli("feed", "add", "kc", "#kredcrew", "--source", f"mastodon:{mastodon.url}")
    items = wait_for(
        lambda: (
            len(requests.get(server.url + "/api/feeds/kc/items", timeout=5).json()["items"]) == 2
            and requests.get(server.url + "/api/feeds/kc/items", timeout=5).json()["items"]
        )
    )
    by_text = {item["text"]: item["id"] for item in items}
    _api(server, "POST", "/api/stories", token, title="Summit", feed="kc", status="live")
    for text in ("Post 1 #kredcrew", "Post 2 #kredcrew"):
        _api(
            server,
            "POST",
            "/api/stories/summit/elements",
            token,
            type="item",
            item_id=by_text[text],
            annotation=ANNOTATION if text.startswith("Post 2") else "",
        )

    viewer = socketio.Client(reconnection=False)
    story_events: list[dict] = []
    feed_events: list[dict] = []
    viewer.on("story", story_events.append)
    viewer.on("item", feed_events.append)
    viewer.connect(server.url, transports=["websocket"])
    try:
        assert viewer.call("join", {"story": "summit", "after": 0}, timeout=10)["ok"]
        assert viewer.call("join", {"feed": "kc", "after": 0}, timeout=10)["ok"]

        edited = status(1)
        edited["content"] = "<p>Post 1, corrected #kredcrew</p>"
        edited["edited_at"] = "2026-11-25T13:00:00.000Z"
        mastodon.push("status.update", edited)
        wait_for(
            lambda: any(
                e["op"] == "update" and e["element"]["item"]["text"] == "Post 1, corrected #kredcrew"
                for e in story_events
            )
        )
        wait_for(lambda: any(e["item"].get("text") == "Post 1, corrected #kredcrew" for e in feed_events))
        for page in ("/stories/summit", "/feeds/kc", "/feeds/kc/wall"):
            assert "Post 1, corrected" in requests.get(server.url + page, timeout=5).text

        mastodon.push("delete", status(2)["id"])
        removed = wait_for(
            lambda: [e for e in story_events if e["op"] == "update" and e["element"].get("removed")]
        )
    finally:
        viewer.disconnect()
    element = removed[-1]["element"]
    assert element["removed"] == "author" and element["annotation"] == ANNOTATION
    assert (
        element["position"] == 1 and element["item"]["text"] == "" and element["item"]["author"]["name"] == ""
    )

    page = requests.get(server.url + "/stories/summit", timeout=5).text
    assert "This post was removed by its author." in page and ANNOTATION in page
    assert "Post 2 #kredcrew" not in page and "Post 1, corrected" in page
    for fmt in ("html", "json", "md"):
        exported = requests.get(server.url + f"/stories/summit/export.{fmt}", timeout=5).text
        assert ANNOTATION in exported and "Post 2 #kredcrew" not in exported, fmt
        assert "Post 1, corrected" in exported, fmt
    archive = requests.get(server.url + "/stories/summit/export.json", timeout=5).json()
    assert [e.get("removed") for e in archive["elements"]] == [None, "author"]
    assert "removed by its author" in requests.get(server.url + "/stories/summit/export.md", timeout=5).text

    late = socketio.Client(reconnection=False)
    late.connect(server.url, transports=["websocket"])
    try:
        caught_up = late.call("join", {"story": "summit", "after": 0}, timeout=10)["events"]
    finally:
        late.disconnect()
    assert "Post 2 #kredcrew" not in json.dumps(caught_up)
