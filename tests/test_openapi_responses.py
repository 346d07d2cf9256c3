"""Real answers of the app, made by hand, match docs/openapi.json: a drift in a shape fails here
first, and fast (the generated requests are in test_openapi_fuzz.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis

from aggregator.feeds import add_source
from tests.factories import cheap_passwords, feed, post
from tests.test_openapi_routes import spec

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

SCHEMA = schemathesis.openapi.from_dict(spec())


def conforms(path: str, method: str, response: Any, status: int = 200) -> Any:
    """Assert the answer has `status`, documented for the operation, and a body that matches; return it."""
    assert response.status_code == status, response.get_json()
    operation = SCHEMA[path][method]
    assert str(status) in operation.definition.raw["responses"], f"{status} is not documented"
    operation.validate_response(response)
    return response.get_json()


@pytest.fixture
def auth(curators) -> dict[str, str]:
    return curators.token("ada")


@pytest.fixture
def kredcrew(db) -> dict[str, Any]:
    """A feed with a source and three posts, one of them pending."""
    created = feed(db, "kredcrew")
    add_source(db, created, "mastodon:mastodon.social")
    for n in range(3):
        post(db, created, n, media=[{"type": "image", "url": "https://example.org/a.png", "alt": "a"}])
    return created


def test_feeds_read_by_anyone_and_by_a_curator_match_the_spec(client, auth, kredcrew):
    listed = conforms("/api/feeds", "GET", client.get("/api/feeds"))
    assert [f["name"] for f in listed] == ["kredcrew"]
    for headers in ({}, auth):
        shown = conforms("/api/feeds/{feed}", "GET", client.get("/api/feeds/kredcrew", headers=headers))
        assert shown["sources"][0]["state"] == "idle"
    conforms("/api/feeds/{feed}", "GET", client.get("/api/feeds/nope"), 404)


def test_items_pages_and_a_posted_item_match_the_spec(client, auth, kredcrew):
    page = conforms("/api/feeds/{feed}/items", "GET", client.get("/api/feeds/kredcrew/items?limit=2"))
    assert len(page["items"]) == 2 and page["items"][0]["media"]
    conforms(
        "/api/feeds/{feed}/items",
        "GET",
        client.get("/api/feeds/kredcrew/items?status=approved,pending,hidden", headers=auth),
    )
    conforms("/api/feeds/{feed}/items", "GET", client.get("/api/feeds/kredcrew/items?after=-1"), 400)
    body = {"text": "from an integration", "author": {"name": "Bot"}, "source_id": "i-1"}
    created = conforms(
        "/api/feeds/{feed}/items",
        "POST",
        client.post("/api/feeds/kredcrew/items", json=body, headers=auth),
        201,
    )
    again = client.post("/api/feeds/kredcrew/items", json=body, headers=auth)
    assert conforms("/api/feeds/{feed}/items", "POST", again)["id"] == created["id"]
    hidden = client.patch(
        f"/api/feeds/kredcrew/items/{created['id']}", json={"status": "hidden"}, headers=auth
    )
    assert conforms("/api/feeds/{feed}/items/{item_id}", "PATCH", hidden)["status"] == "hidden"


def test_a_story_with_every_kind_of_element_matches_the_spec(client, auth, kredcrew):
    story = conforms(
        "/api/stories",
        "POST",
        client.post(
            "/api/stories", json={"title": "Summit", "feed": "kredcrew", "status": "live"}, headers=auth
        ),
        201,
    )
    slug = story["slug"]
    item_id = client.get("/api/feeds/kredcrew/items").get_json()["items"][0]["id"]
    elements = [
        {"type": "item", "item_id": item_id, "annotation": "*the* opening"},
        {"type": "text", "text": "Morning", "style": "heading"},
        {"type": "link", "url": "https://example.org/slides"},
    ]
    for element in elements:
        response = client.post(f"/api/stories/{slug}/elements", json=element, headers=auth)
        conforms("/api/stories/{slug}/elements", "POST", response, 201)
    shown = conforms("/api/stories/{slug}", "GET", client.get(f"/api/stories/{slug}"))
    assert [e["type"] for e in shown["elements"]] == ["item", "text", "link"]
    text = shown["elements"][1]
    stale = client.patch(
        f"/api/stories/{slug}/elements/{text['id']}", json={"text": "x", "version": 99}, headers=auth
    )
    assert (
        conforms("/api/stories/{slug}/elements/{element_id}", "PATCH", stale, 409)["current"]["id"]
        == text["id"]
    )
    conforms("/api/stories", "GET", client.get("/api/stories"))
    conforms("/api/stories/{slug}/history", "GET", client.get(f"/api/stories/{slug}/history", headers=auth))


def test_the_desk_and_the_errors_match_the_spec(client, auth, kredcrew):
    conforms(
        "/api/feeds/{feed}/moderation", "GET", client.get("/api/feeds/kredcrew/moderation", headers=auth)
    )
    item_id = client.get("/api/feeds/kredcrew/items").get_json()["items"][0]["id"]
    blocked = client.post(f"/api/feeds/kredcrew/items/{item_id}/block-author", headers=auth)
    assert conforms("/api/feeds/{feed}/items/{item_id}/block-author", "POST", blocked)["hidden"] == [item_id]
    audit = conforms("/api/feeds/{feed}/audit", "GET", client.get("/api/feeds/kredcrew/audit", headers=auth))
    assert audit[0]["actor"] == "ada"
    conforms("/api/feeds", "POST", client.post("/api/feeds", json={"name": "kredcrew", "query": "#k"}), 401)
    conforms("/api/feeds", "POST", client.post("/api/feeds", data="not json", headers=auth), 400)
    conforms(
        "/api/feeds/{feed}/sources",
        "POST",
        client.post("/api/feeds/kredcrew/sources", json={"spec": "gopher"}, headers=auth),
        400,
    )


def test_a_drifted_shape_fails_validation(client, kredcrew):
    """What the spec used to say (a feed's sources as strings) is refused: the check can fail."""
    response = client.get("/api/feeds/kredcrew")
    drifted = {**response.get_json(), "sources": ["mastodon:mastodon.social"]}
    response.set_data(json.dumps(drifted))
    with pytest.raises(AssertionError, match="is not of type"):
        SCHEMA["/api/feeds/{feed}"]["GET"].validate_response(response)
