"""A curator features a feed's item (issue 9): the API says so, viewers' events carry it, the
wall serves it first, and a bad value or an anonymous caller is refused."""

from __future__ import annotations

import re

import pytest

from tests.desk.conftest import events_named


def _feature(client, headers, item_id, body):
    return client.patch(f"/api/feeds/demo/items/{item_id}", json=body, headers=headers)


def test_a_featured_item_comes_first_on_the_wall(client, curator_client, feed, post):
    ada, headers = curator_client("ada")
    older = post(1, created_at="2012-05-29T18:00:00Z")
    newer = post(2, created_at="2012-05-29T18:05:00Z")
    answer = _feature(ada, headers, older["id"], {"featured": True})
    assert answer.status_code == 200 and answer.json["featured"] is True
    assert answer.json["status"] == "approved"
    listed = {i["id"]: i["featured"] for i in client.get("/api/feeds/demo/items").json["items"]}
    assert listed == {older["id"]: True, newer["id"]: False}
    wall = client.get("/feeds/demo/wall").get_data(as_text=True)
    assert re.findall(r'data-item-id="([^"]+)"', wall)[:2] == [older["id"], newer["id"]]
    assert 'class="item featured"' in wall
    assert _feature(ada, headers, older["id"], {"featured": False}).json["featured"] is False
    wall = client.get("/feeds/demo/wall").get_data(as_text=True)
    assert re.findall(r'data-item-id="([^"]+)"', wall)[:2] == [newer["id"], older["id"]]


def test_featuring_is_an_event_a_viewer_follows(curator_client, feed, post, socket_client, deliver):
    ada, headers = curator_client("ada")
    item = post(1)
    viewer = socket_client()
    after = viewer.emit("join", {"feed": "demo", "after": 0}, callback=True)["last_seq"]
    _feature(ada, headers, item["id"], {"featured": True})
    deliver()
    shown = [e["item"] for e in events_named(viewer, "item")]
    assert (shown[-1]["id"], shown[-1]["featured"]) == (item["id"], True)
    caught_up = viewer.emit("join", {"feed": "demo", "after": after}, callback=True)["events"]
    assert caught_up[-1]["data"]["item"]["featured"] is True


@pytest.mark.parametrize("body", [{"featured": "yes"}, {"featured": 1}, {"featured": None}, {}])
def test_a_bad_featured_value_is_a_clear_400(curator_client, feed, post, body):
    ada, headers = curator_client("ada")
    answer = _feature(ada, headers, post(1)["id"], body)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert "featured" in answer.json["error"] or "status" in answer.json["error"]


def test_only_a_curator_features(client, feed, post):
    assert _feature(client, {}, post(1)["id"], {"featured": True}).status_code in (401, 403)


def test_featuring_an_unknown_item_is_a_404(curator_client, feed):
    ada, headers = curator_client("ada")
    assert _feature(ada, headers, "nope", {"featured": True}).status_code == 404
