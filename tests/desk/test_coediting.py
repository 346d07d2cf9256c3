"""Co-editing a story: versions and conflicts, story roles, presence, and losing the right live."""

from __future__ import annotations

import pytest

from tests.desk.conftest import events_named


def _add_text(client, headers, text="Hello", **extra):
    response = client.post(
        "/api/stories/s/elements", json={"type": "text", "text": text, **extra}, headers=headers
    )
    assert response.status_code == 201, response.json
    return response.json


def test_elements_carry_a_version_that_every_edit_and_move_raises(curator_client, story):
    owner, headers = curator_client("owner")
    first = _add_text(owner, headers, "one")
    _add_text(owner, headers, "two")
    assert first["version"] == 1
    edited = owner.patch(
        f"/api/stories/s/elements/{first['id']}", json={"text": "uno", "version": 1}, headers=headers
    )
    assert edited.json["version"] == 2
    moved = owner.patch(f"/api/stories/s/elements/{first['id']}", json={"position": 1}, headers=headers)
    assert (moved.json["position"], moved.json["version"]) == (1, 3)


def test_a_stale_edit_gets_409_with_the_current_element_and_changes_nothing(
    curator_client, story, socket_client, deliver
):
    owner, headers = curator_client("owner")
    element = _add_text(owner, headers, "draft")
    owner.patch(
        f"/api/stories/s/elements/{element['id']}", json={"text": "theirs", "version": 1}, headers=headers
    )
    deliver()
    follower = socket_client(owner)
    after = follower.emit("join", {"story": "s", "after": 0}, callback=True)["last_seq"]
    stale = owner.patch(
        f"/api/stories/s/elements/{element['id']}", json={"text": "mine", "version": 1}, headers=headers
    )
    assert stale.status_code == 409
    assert "changed since you opened it" in stale.json["error"]
    assert stale.json["current"]["text"] == "theirs"
    assert stale.json["current"]["version"] == 2
    assert owner.get("/api/stories/s").json["elements"][0]["text"] == "theirs"
    deliver()
    assert events_named(follower, "story") == []
    assert follower.emit("join", {"story": "s", "after": after}, callback=True)["events"] == []


@pytest.mark.parametrize("version", ["2", True, None, 1.5])
def test_a_malformed_version_is_a_400(curator_client, story, version):
    owner, headers = curator_client("owner")
    element = _add_text(owner, headers)
    response = owner.patch(
        f"/api/stories/s/elements/{element['id']}", json={"text": "x", "version": version}, headers=headers
    )
    assert response.status_code == 400


def test_concurrent_moves_converge_to_the_log_order_for_everyone(
    curator_client, story, socket_client, deliver
):
    owner, headers = curator_client("owner")
    ids = [_add_text(owner, headers, str(n))["id"] for n in range(4)]
    watchers = [socket_client(owner), socket_client(owner)]
    for watcher in watchers:
        watcher.emit("join", {"story": "s", "after": 0}, callback=True)
    owner.patch(f"/api/stories/s/elements/{ids[0]}", json={"position": 3}, headers=headers)
    owner.patch(f"/api/stories/s/elements/{ids[3]}", json={"position": 0}, headers=headers)
    deliver()
    final = [e["id"] for e in owner.get("/api/stories/s").json["elements"]]
    for watcher in watchers:
        order = list(ids)
        for event in events_named(watcher, "story"):
            order.remove(event["element"]["id"])
            order.insert(event["element"]["position"], event["element"]["id"])
        assert order == final


def test_owner_invites_and_removes_an_editor_who_gains_and_loses_the_right(curator_client, story):
    owner, headers = curator_client("owner")
    bea, bea_headers = curator_client("bea")
    assert (
        bea.post(
            "/api/stories/s/elements", json={"type": "text", "text": "x"}, headers=bea_headers
        ).status_code
        == 404
    )
    invited = owner.post("/api/stories/s/editors", json={"name": "bea"}, headers=headers)
    assert invited.status_code == 201
    assert invited.json["curators"] == ["owner", "bea"]
    assert (
        bea.post(
            "/api/stories/s/elements", json={"type": "text", "text": "x"}, headers=bea_headers
        ).status_code
        == 201
    )
    removed = owner.delete("/api/stories/s/editors/bea", headers=headers)
    assert removed.status_code == 200 and removed.json["curators"] == ["owner"]
    assert (
        bea.post(
            "/api/stories/s/elements", json={"type": "text", "text": "x"}, headers=bea_headers
        ).status_code
        == 404
    )


def test_only_the_owner_changes_editors(curator_client, story):
    owner, headers = curator_client("owner")
    curator_client("cy")
    bea, bea_headers = curator_client("bea")
    owner.post("/api/stories/s/editors", json={"name": "bea"}, headers=headers)
    assert bea.post("/api/stories/s/editors", json={"name": "cy"}, headers=bea_headers).status_code == 403
    assert bea.delete("/api/stories/s/editors/bea", headers=bea_headers).status_code == 403


@pytest.mark.parametrize(
    ("body", "status"), [({"name": "nobody"}, 404), ({"name": 3}, 400), ({}, 400), ({"name": "owner"}, 400)]
)
def test_inviting_a_bad_name_is_refused_clearly(curator_client, story, body, status):
    owner, headers = curator_client("owner")
    response = owner.post("/api/stories/s/editors", json=body, headers=headers)
    assert response.status_code == status and response.json["error"]


def test_removing_someone_who_is_not_an_editor_is_404(curator_client, story):
    owner, headers = curator_client("owner")
    curator_client("bea")
    assert owner.delete("/api/stories/s/editors/bea", headers=headers).status_code == 404


def test_role_changes_are_story_events(curator_client, story, socket_client, deliver):
    owner, headers = curator_client("owner")
    curator_client("bea")
    follower = socket_client(owner)
    follower.emit("join", {"story": "s", "after": 0}, callback=True)
    owner.post("/api/stories/s/editors", json={"name": "bea"}, headers=headers)
    deliver()
    (event,) = events_named(follower, "story")
    assert event["op"] == "meta" and event["meta"] == {"curators": ["owner", "bea"]}


def test_presence_lists_who_is_editing_and_drops_those_who_leave(curator_client, story, socket_client):
    owner, headers = curator_client("owner")
    bea, _ = curator_client("bea")
    owner.post("/api/stories/s/editors", json={"name": "bea"}, headers=headers)
    mine, hers = socket_client(owner), socket_client(bea)
    assert mine.emit("editing", {"story": "s"}, callback=True) == {"ok": True, "editors": ["owner"]}
    assert hers.emit("editing", {"story": "s"}, callback=True)["editors"] == ["bea", "owner"]
    assert events_named(mine, "presence")[-1]["editors"] == ["bea", "owner"]
    hers.disconnect()
    assert events_named(mine, "presence")[-1]["editors"] == ["owner"]


def test_a_viewer_cannot_announce_editing(client, story, socket_client):
    viewer = socket_client()
    assert viewer.emit("editing", {"story": "s"}, callback=True)["ok"] is False
    assert viewer.emit("editing", "s", callback=True)["ok"] is False


def test_removing_an_editor_cuts_their_open_socket_at_once(curator_client, story, socket_client):
    owner, headers = curator_client("owner")
    bea, _ = curator_client("bea")
    owner.post("/api/stories/s/editors", json={"name": "bea"}, headers=headers)
    mine, hers = socket_client(owner), socket_client(bea)
    mine.emit("editing", {"story": "s"}, callback=True)
    assert hers.emit("join", {"story": "s", "after": 0}, callback=True)["ok"]
    hers.emit("editing", {"story": "s"}, callback=True)
    owner.delete("/api/stories/s/editors/bea", headers=headers)
    assert events_named(hers, "revoked") == [{"story": "s"}]
    assert not hers.is_connected()
    assert events_named(mine, "presence")[-1]["editors"] == ["owner"]
    again = socket_client(bea)
    assert again.emit("join", {"story": "s", "after": 0}, callback=True)["ok"] is False
    assert again.emit("editing", {"story": "s"}, callback=True)["ok"] is False


def test_history_says_who_did_what_and_when(curator_client, story):
    owner, headers = curator_client("owner")
    element = _add_text(owner, headers)
    owner.patch(f"/api/stories/s/elements/{element['id']}", json={"text": "changed"}, headers=headers)
    owner.delete(f"/api/stories/s/elements/{element['id']}", headers=headers)
    history = owner.get("/api/stories/s/history", headers=headers).json
    assert [(h["op"], h["actor"], h["element_id"]) for h in history] == [
        ("remove", "owner", element["id"]),
        ("update", "owner", element["id"]),
        ("add", "owner", element["id"]),
    ]
    assert all(h["at"] for h in history)


def test_history_is_for_the_story_curators_only(client, curator_client, story):
    bea, headers = curator_client("bea")
    assert client.get("/api/stories/s/history").status_code == 401
    assert bea.get("/api/stories/s/history", headers=headers).status_code == 404
