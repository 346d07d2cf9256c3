"""A story's status takes its room with it: what a draft writes never reaches its viewers.

Curators act through the HTTP API; viewers and curators follow over Socket.IO test clients.
"""

from __future__ import annotations

import json

import pytest

from tests.desk.conftest import events_named

DRAFT = "this story is a draft: only its curators can follow it"


def _join_all(sio, slug, after=0):
    """Join from `after`, paging until in the room; return the events received."""
    events = []
    while True:
        ack = sio.emit("join", {"story": slug, "after": after}, callback=True)
        assert ack["ok"], ack
        events += ack["events"]
        after = ack["last_seq"]
        if not ack["more"]:
            return events, after


def _replay(events):
    """The element texts a viewer ends with, applying the events in order as story.js does."""
    elements = []
    for event in events:
        data = event["data"]
        if data["op"] == "reset":
            elements = []
        elif data["op"] == "add":
            elements.insert(data["element"]["position"], data["element"])
        elif data["op"] == "remove":
            elements = [e for e in elements if e["id"] != data["element"]["id"]]
        elif data["op"] == "update":
            elements = [data["element"] if e["id"] == data["element"]["id"] else e for e in elements]
    return [e.get("text") for e in elements]


@pytest.fixture
def owner(curator_client):
    client, headers = curator_client("owner")

    def act(method, path, body=None):
        response = client.open(f"/api/stories/s{path}", method=method, json=body, headers=headers)
        assert response.status_code < 300, response.json
        return response.json

    act.client = client
    return act


def test_what_a_draft_removed_or_rewrote_is_not_replayed_once_published(owner, story, socket_client, deliver):
    secret = owner("POST", "/elements", {"type": "text", "text": "the secret plan"})
    owner("DELETE", f"/elements/{secret['id']}")
    kept = owner("POST", "/elements", {"type": "text", "text": "first words"})
    owner("PATCH", f"/elements/{kept['id']}", {"text": "final words"})
    owner("POST", "/elements", {"type": "text", "text": "second"})
    owner("PATCH", "", {"status": "published"})
    deliver()
    events, _ = _join_all(socket_client(), "s")
    assert "secret plan" not in json.dumps(events) and "first words" not in json.dumps(events)
    assert events[0]["data"]["op"] == "reset" and events[0]["data"]["meta"]["status"] == "published"
    assert _replay(events) == ["final words", "second"]
    api = owner.client.get("/api/stories/s").json["elements"]
    assert [e["text"] for e in api] == _replay(events)


def test_viewers_leave_the_room_when_the_story_goes_back_to_draft(owner, story, socket_client, deliver):
    owner("PATCH", "", {"status": "live"})
    owner("POST", "/elements", {"type": "text", "text": "public"})
    deliver()
    viewer, curator = socket_client(), socket_client(owner.client)
    _, viewer_last = _join_all(viewer, "s")
    _join_all(curator, "s")
    owner("PATCH", "", {"status": "draft"})
    deliver()
    draft_only = owner("POST", "/elements", {"type": "text", "text": "draft only"})
    deliver()
    received = viewer.get_received()
    assert [p["args"][0] for p in received if p["name"] == "withdrawn"] == [{"story": "s", "error": DRAFT}]
    assert "draft only" not in json.dumps(received)
    assert [e["element"]["text"] for e in events_named(curator, "story") if e["op"] == "add"] == [
        "draft only"
    ]
    assert viewer.emit("join", {"story": "s", "after": viewer_last}, callback=True) == {
        "ok": False,
        "error": DRAFT,
    }
    # published again: the viewer catches up from where it was, to the story as it is now
    owner("DELETE", f"/elements/{draft_only['id']}")
    owner("POST", "/elements", {"type": "text", "text": "back"})
    owner("PATCH", "", {"status": "live"})
    deliver()
    events, _ = _join_all(viewer, "s", viewer_last)
    assert "draft only" not in json.dumps(events)
    assert _replay(events) == ["public", "back"]
