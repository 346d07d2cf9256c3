"""Who may write: every write route of the API, and every socket event a viewer might try."""

from __future__ import annotations

from typing import Any

import pytest

from aggregator.feeds import add_source, sources_of
from stories.elements import add_element
from stories.roles import add_editor
from tests.factories import cheap_passwords, feed, post, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

# (method, url template, body, expected status for a curator of the story)
WRITES = [
    ("POST", "/api/feeds", {"name": "new", "query": "#new", "sources": []}, 201),
    ("POST", "/api/feeds/demo/items", {"text": "hi", "author": {"name": "Integration"}}, 201),
    ("PATCH", "/api/feeds/demo/items/{item}", {"status": "hidden"}, 200),
    ("POST", "/api/feeds/demo/sources", {"spec": "replay:more.jsonl"}, 201),
    ("PATCH", "/api/feeds/demo/sources/{source}", {"state": "paused"}, 200),
    ("DELETE", "/api/feeds/demo/sources/{source}", None, 204),
    ("POST", "/api/stories", {"title": "Another", "feed": "demo"}, 201),
    ("PATCH", "/api/stories/{story}", {"title": "Renamed"}, 200),
    ("POST", "/api/stories/{story}/elements", {"type": "text", "text": "more"}, 201),
    ("PATCH", "/api/stories/{story}/elements/{element}", {"text": "changed"}, 200),
    ("DELETE", "/api/stories/{story}/elements/{element}", None, 204),
    ("PATCH", "/api/feeds/demo", {"moderation": "manual"}, 200),
    ("POST", "/api/feeds/demo/items/{item}/block-author", None, 200),
    ("POST", "/api/feeds/demo/items/{item}/forget", None, 200),
    ("POST", "/api/stories/{story}/editors", {"name": "dee"}, 201),
    ("DELETE", "/api/stories/{story}/editors/cy", None, 200),
]
STORY_WRITES = [w for w in WRITES if "{story}" in w[1]]
IDS = [f"{method} {url}" for method, url, *_ in WRITES]


@pytest.fixture
def world(db, curators) -> dict[str, Any]:
    """A feed with an item, and a live story owned by ada (editor: cy; closed to other curators) with one
    element; dee is a curator ada may invite."""
    demo = feed(db)
    add_source(db, demo, "replay:demo.jsonl")
    source = sources_of(db, demo["id"])[0]["id"]
    item = post(db, demo, 1)
    owned = story(db, curators.create("ada"))
    add_editor(db, owned, curators.create("cy")["name"], {"name": "ada"})
    curators.create("dee")
    element = add_element(db, owned, {"type": "text", "text": "first"}, actor="ada")
    return {"item": item["id"], "story": owned["slug"], "element": element["id"], "source": source}


def _send(client, method, url, world, body, headers=None):
    return client.open(url.format(**world), method=method, json=body, headers=headers or {})


def _state(db) -> tuple:
    """Everything a write could change."""
    tables = ("events", "items", "feed_items", "feeds", "sources", "stories", "elements")
    counts = tuple(db.query_one(f"SELECT count(*) AS n FROM {t}")["n"] for t in tables)
    stories = tuple(tuple(r) for r in db.query("SELECT slug, title, status FROM stories"))
    elements = tuple(tuple(r) for r in db.query("SELECT id, position, text FROM elements"))
    statuses = tuple(tuple(r) for r in db.query("SELECT item_id, status FROM feed_items"))
    sources = tuple(tuple(r) for r in db.query("SELECT id, spec, state FROM sources"))
    return counts, stories, elements, statuses, sources


def test_the_table_covers_every_write_route_of_the_api(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    }
    covered = set()
    for method, url, *_ in WRITES:
        for rule in app.url_map.iter_rules():
            if method in rule.methods and rule.rule.count("/") == url.count("/"):
                pattern = rule.rule.split("/")
                if all(p == u or p.startswith("<") for p, u in zip(pattern, url.split("/"), strict=True)):
                    covered.add((method, rule.rule))
    assert routes == covered


@pytest.mark.parametrize(("method", "url", "body", "ok"), WRITES, ids=IDS)
def test_anonymous_writes_are_refused_with_401(client, db, world, method, url, body, ok):
    before = _state(db)
    response = _send(client, method, url, world, body)
    assert response.status_code == 401
    assert "error" in response.get_json()
    assert _state(db) == before


@pytest.mark.parametrize(("method", "url", "body", "ok"), WRITES, ids=IDS)
def test_a_wrong_token_is_refused_with_401(client, db, world, method, url, body, ok):
    before = _state(db)
    response = _send(client, method, url, world, body, {"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert _state(db) == before


@pytest.mark.parametrize("csrf", [None, "", "wrong"])
@pytest.mark.parametrize(("method", "url", "body", "ok"), WRITES, ids=IDS)
def test_session_writes_without_the_csrf_token_are_refused_with_403(
    client, db, curators, world, method, url, body, ok, csrf
):
    curators.login(client, "ada")
    before = _state(db)
    headers = {} if csrf is None else {"X-CSRF-Token": csrf}
    response = _send(client, method, url, world, body, headers)
    assert response.status_code == 403
    assert "CSRF" in response.get_json()["error"]
    assert _state(db) == before


@pytest.mark.parametrize(
    ("method", "url", "body", "ok"), STORY_WRITES, ids=[f"{m} {u}" for m, u, *_ in STORY_WRITES]
)
def test_a_curator_of_another_story_is_refused_with_403(client, db, curators, world, method, url, body, ok):
    csrf = curators.login(client, "bob")
    before = _state(db)
    for headers in ({"X-CSRF-Token": csrf}, curators.token("bob")):
        response = _send(client, method, url, world, body, headers)
        assert response.status_code == 403, response.get_json()
        assert "curators" in response.get_json()["error"]
    assert _state(db) == before


@pytest.mark.parametrize(("method", "url", "body", "ok"), WRITES, ids=IDS)
def test_the_stories_curator_may_write_with_session_and_csrf(
    client, db, curators, world, method, url, body, ok
):
    csrf = curators.login(client, "ada")
    before = _state(db)
    response = _send(client, method, url, world, body, {"X-CSRF-Token": csrf})
    assert response.status_code == ok, response.get_json()
    assert _state(db) != before


@pytest.mark.parametrize(("method", "url", "body", "ok"), WRITES, ids=IDS)
def test_the_stories_curator_may_write_with_a_token_and_no_csrf(
    app, db, curators, world, method, url, body, ok
):
    headers = curators.token("ada")
    before = _state(db)
    response = _send(app.test_client(), method, url, world, body, headers)
    assert response.status_code == ok, response.get_json()
    assert _state(db) != before


def test_an_open_story_accepts_every_curator(client, db, curators):
    feed(db)
    open_story = story(db, curators.create("ada"), open_to_curators=True)
    response = client.post(
        f"/api/stories/{open_story['slug']}/elements",
        json={"type": "text", "text": "from bob"},
        headers=curators.token("bob"),
    )
    assert response.status_code == 201


def test_a_draft_is_hidden_from_viewers_and_other_curators(client, db, curators):
    draft = story(db, curators.create("ada"), status="draft")
    assert client.get(f"/api/stories/{draft['slug']}").status_code == 404
    assert client.get(f"/api/stories/{draft['slug']}", headers=curators.token("bob")).status_code == 404
    assert client.get(f"/api/stories/{draft['slug']}", headers=curators.token("ada")).status_code == 200
    assert draft["slug"] not in [s["slug"] for s in client.get("/api/stories").get_json()]


def test_viewers_see_only_approved_items_whatever_status_they_ask_for(client, db, curators, world):
    headers = curators.token("ada")
    client.patch(f"/api/feeds/demo/items/{world['item']}", json={"status": "hidden"}, headers=headers)
    anonymous = client.get("/api/feeds/demo/items?status=hidden,pending").get_json()
    assert anonymous["items"] == []
    curator = client.get("/api/feeds/demo/items?status=hidden", headers=headers).get_json()
    assert [i["id"] for i in curator["items"]] == [world["item"]]


SOCKET_EVENTS = ["item", "story", "pin", "add", "update", "move", "remove", "meta", "status", "delete"]
SOCKET_PAYLOADS = [
    lambda w: {"story": w["story"], "op": "add", "element": {"type": "text", "text": "x"}},
    lambda w: {"story": w["story"], "op": "remove", "element": {"id": w["element"]}},
    lambda w: {"story": w["story"], "op": "meta", "meta": {"title": "pwned"}},
    lambda w: {"feed": "demo", "item": {"id": w["item"], "status": "hidden"}},
    lambda w: {"feed": "demo", "text": "spam", "author": {"name": "x"}},
]


def _try_every_socket_write(sio, world) -> None:
    for name in SOCKET_EVENTS:
        for payload in SOCKET_PAYLOADS:
            sio.emit(name, payload(world))
        sio.emit(name, "garbage")


def test_viewers_cannot_change_anything_over_the_socket(db, socket_client, world, deliver):
    deliver()
    viewer = socket_client()
    assert viewer.emit("join", {"story": world["story"]}, callback=True)["ok"]
    before = _state(db)
    _try_every_socket_write(viewer, world)
    assert deliver() == 0
    assert _state(db) == before
    assert viewer.get_received() == []


def test_curators_cannot_bypass_http_rights_over_the_socket(
    db, client, socket_client, curators, world, deliver
):
    deliver()
    curators.login(client, "ada")
    curator = socket_client()
    before = _state(db)
    _try_every_socket_write(curator, world)
    assert deliver() == 0
    assert _state(db) == before


@pytest.mark.parametrize("forged", ["é", "\u2603" * 10, "x" * 10_000])
def test_a_non_ascii_or_huge_csrf_token_is_refused_not_a_crash(client, curators, world, forged):
    curators.login(client, "ada")
    response = client.post(
        "/api/stories", json={"title": "x"}, headers={"X-CSRF-Token": forged.encode().decode("latin-1")}
    )
    assert response.status_code == 403
    assert client.post("/logout", data={"csrf_token": forged}).status_code == 400


@pytest.mark.parametrize(
    "url", ["/api/feeds/demo/moderation", "/api/feeds/demo/audit", "/api/stories/{story}/history"]
)
def test_curator_reads_need_a_login_but_no_csrf_token(client, curators, world, url):
    assert client.get(url.format(**world)).status_code == 401
    curators.login(client, "ada")
    response = client.get(url.format(**world))
    assert response.status_code == 200, response.json
