"""The JSON API of PRODUCT.md: feeds, items, stories, elements; and hostile input never makes a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import cheap_passwords, feed, post

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


@pytest.fixture
def auth(curators) -> dict[str, str]:
    """Bearer headers of the curator ada."""
    return curators.token("ada")


@pytest.fixture
def demo(db) -> dict[str, Any]:
    """The feed `demo` with three posts."""
    created = feed(db)
    for n in range(3):
        post(db, created, n, text=f"post {n} about {'kittens' if n == 1 else 'summits'}")
    return created


def _story(client, auth, **fields) -> dict[str, Any]:
    response = client.post(
        "/api/stories", json={"title": "Live story", "feed": "demo", **fields}, headers=auth
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _add(client, auth, slug, body) -> dict[str, Any]:
    response = client.post(f"/api/stories/{slug}/elements", json=body, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _positions(client, slug) -> list[tuple[int, str]]:
    elements = client.get(f"/api/stories/{slug}").get_json()["elements"]
    return [(e["position"], e.get("text") or e.get("item_id")) for e in elements]


# --- feeds -----------------------------------------------------------------------------------


def test_feeds_index_lists_every_feed_with_counts(client, demo):
    feeds = client.get("/api/feeds").get_json()
    assert [(f["name"], f["query"], f["item_count"], f["last_seq"]) for f in feeds] == [
        ("demo", "#demo", 3, 3)
    ]
    assert {"id", "sources"} <= set(feeds[0])


def test_creating_a_feed_with_sources_shows_their_health(client, auth):
    body = {"name": "kc", "query": "#kredcrew", "sources": ["replay:demo/kredcrew-2012-05-29.jsonl"]}
    created = client.post("/api/feeds", json=body, headers=auth)
    assert created.status_code == 201
    assert created.get_json()["sources"] == ["replay:demo/kredcrew-2012-05-29.jsonl"]
    shown = client.get("/api/feeds/kc", headers=auth).get_json()
    source = shown["sources"][0]
    assert source["spec"] == "replay:demo/kredcrew-2012-05-29.jsonl"
    assert {"state", "last_success", "items", "last_error", "rate_limit_reset"} <= set(source)


def test_a_feed_name_is_taken_once(client, auth, demo):
    response = client.post("/api/feeds", json={"name": "demo", "query": "#x", "sources": []}, headers=auth)
    assert response.status_code == 400 and "exists" in response.get_json()["error"]


# --- items -----------------------------------------------------------------------------------


def test_items_come_in_seq_order_after_a_seq_with_a_limit(client, demo):
    page = client.get("/api/feeds/demo/items").get_json()
    assert [i["seq"] for i in page["items"]] == [1, 2, 3] and page["last_seq"] == 3
    assert {i["status"] for i in page["items"]} == {"approved"}
    page = client.get("/api/feeds/demo/items?after=1&limit=1").get_json()
    assert [i["seq"] for i in page["items"]] == [2] and page["last_seq"] == 2
    page = client.get("/api/feeds/demo/items?after=3").get_json()
    assert page == {"items": [], "last_seq": 3}


def test_items_carry_their_raw_payload_and_the_normalized_fields(client, demo):
    item = client.get("/api/feeds/demo/items?limit=1").get_json()["items"][0]
    expected = {"id", "source", "source_id", "url", "author", "text", "html", "media", "created_at"}
    assert expected | {"collected_at", "reply_to", "repost_of", "lang", "sensitive", "raw"} <= set(item)
    assert item["raw"]["source_id"] == "0"


@pytest.mark.parametrize(
    ("q", "texts"),
    [
        ("kittens", ["post 1 about kittens"]),
        ("KITT", ["post 1 about kittens"]),
        ("summits post", ["post 0 about summits", "post 2 about summits"]),
        ("author2", ["post 2 about summits"]),
        ("nothing", []),
        ('"unbalanced AND OR NOT ( * ^', []),
        ("!!!", []),
        ("x" * 5000, []),
    ],
)
def test_q_is_a_full_text_search(client, demo, q, texts):
    response = client.get("/api/feeds/demo/items", query_string={"q": q})
    assert response.status_code == 200
    assert [i["text"] for i in response.get_json()["items"]] == texts


def test_posting_an_item_runs_the_pipeline(client, auth, demo):
    body = {"text": "<b>hi</b> https://example.org", "author": {"name": "Bot", "handle": "bot"}}
    response = client.post("/api/feeds/demo/items", json=body, headers=auth)
    assert response.status_code == 201
    item = response.get_json()
    assert item["seq"] == 4 and item["status"] == "approved" and item["source"] == "api"
    assert item["html"].startswith("&lt;b&gt;hi&lt;/b&gt; <a href=")
    assert item["raw"] == body  # kept exactly as received
    listed = client.get("/api/feeds/demo/items?after=3").get_json()["items"]
    assert [i["id"] for i in listed] == [item["id"]]


def test_posting_the_same_source_id_twice_is_one_item(client, auth, demo):
    body = {"text": "once", "author": {"name": "Bot"}, "source_id": "hook-1"}
    first = client.post("/api/feeds/demo/items", json=body, headers=auth)
    second = client.post("/api/feeds/demo/items", json=body, headers=auth)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert client.get("/api/feeds/demo").get_json()["item_count"] == 4


def test_moderating_an_item_hides_it_from_viewers_and_logs_an_event(client, auth, demo, db):
    item = client.get("/api/feeds/demo/items?limit=1").get_json()["items"][0]
    response = client.patch(f"/api/feeds/demo/items/{item['id']}", json={"status": "hidden"}, headers=auth)
    assert response.status_code == 200
    assert response.get_json()["status"] == "hidden" and response.get_json()["seq"] == 4
    assert item["id"] not in [i["id"] for i in client.get("/api/feeds/demo/items").get_json()["items"]]
    event = db.query_one("SELECT room, op FROM events ORDER BY seq DESC LIMIT 1")
    assert (event["room"], event["op"]) == ("feed:demo", "status")
    back = client.patch(f"/api/feeds/demo/items/{item['id']}", json={"status": "approved"}, headers=auth)
    assert back.status_code == 200
    ids = [i["id"] for i in client.get("/api/feeds/demo/items").get_json()["items"]]
    assert ids[-1] == item["id"]  # it comes back at its new seq, so followers see it again


# --- stories and elements ---------------------------------------------------------------------


def test_creating_and_showing_a_story(client, auth, demo):
    created = _story(client, auth, description="About it", status="live")
    assert created["slug"] == "live-story" and created["elements"] == []
    shown = client.get("/api/stories/live-story").get_json()
    assert (shown["title"], shown["description"], shown["status"], shown["curators"]) == (
        "Live story",
        "About it",
        "live",
        ["ada"],
    )
    assert _story(client, auth)["slug"] == "live-story-2"


def test_patching_a_story_changes_its_meta(client, auth, demo):
    _story(client, auth)
    body = {"title": "New title", "description": "New words", "status": "published", "byline": "Ada L."}
    response = client.patch("/api/stories/live-story", json=body, headers=auth)
    assert response.status_code == 200
    shown = client.get("/api/stories/live-story").get_json()
    assert {k: shown[k] for k in body} == body


def test_elements_are_added_at_a_position_moved_edited_and_removed_densely(client, auth, demo):
    slug = _story(client, auth, status="live")["slug"]
    items = client.get("/api/feeds/demo/items").get_json()["items"]
    a = _add(client, auth, slug, {"type": "text", "text": "A"})
    b = _add(client, auth, slug, {"type": "text", "text": "B", "style": "heading"})
    pinned = _add(client, auth, slug, {"type": "item", "item_id": items[0]["id"], "position": 0})
    assert pinned["position"] == 0 and pinned["item"]["id"] == items[0]["id"]
    top = _add(client, auth, slug, {"type": "text", "text": "TOP", "position": 0})
    middle = _add(client, auth, slug, {"type": "text", "text": "MID", "position": 2})
    far = _add(client, auth, slug, {"type": "text", "text": "END", "position": 999})
    assert _positions(client, slug) == [
        (0, "TOP"),
        (1, items[0]["id"]),
        (2, "MID"),
        (3, "A"),
        (4, "B"),
        (5, "END"),
    ]
    moved = client.patch(f"/api/stories/{slug}/elements/{far['id']}", json={"position": 0}, headers=auth)
    assert moved.status_code == 200 and moved.get_json()["position"] == 0
    client.patch(f"/api/stories/{slug}/elements/{top['id']}", json={"position": 99}, headers=auth)
    assert [p for p, _ in _positions(client, slug)] == list(range(6))
    assert [t for _, t in _positions(client, slug)] == ["END", items[0]["id"], "MID", "A", "B", "TOP"]
    annotated = client.patch(
        f"/api/stories/{slug}/elements/{pinned['id']}", json={"annotation": "Why it *matters*"}, headers=auth
    ).get_json()
    assert annotated["annotation"] == "Why it *matters*"
    edited = client.patch(f"/api/stories/{slug}/elements/{a['id']}", json={"text": "A2"}, headers=auth)
    assert edited.get_json()["text"] == "A2"
    for element in (middle, b):
        assert client.delete(f"/api/stories/{slug}/elements/{element['id']}", headers=auth).status_code == 204
    assert _positions(client, slug) == [(0, "END"), (1, items[0]["id"]), (2, "A2"), (3, "TOP")]


def test_every_element_change_is_one_story_event_in_order(client, auth, demo, db):
    slug = _story(client, auth, status="live")["slug"]
    first = _add(client, auth, slug, {"type": "text", "text": "one"})
    _add(client, auth, slug, {"type": "text", "text": "two"})
    client.patch(f"/api/stories/{slug}/elements/{first['id']}", json={"position": 1}, headers=auth)
    client.patch(f"/api/stories/{slug}/elements/{first['id']}", json={"text": "uno"}, headers=auth)
    client.delete(f"/api/stories/{slug}/elements/{first['id']}", headers=auth)
    client.patch(f"/api/stories/{slug}", json={"title": "T"}, headers=auth)
    ops = [r["op"] for r in db.query("SELECT op FROM events WHERE room = ? ORDER BY seq", [f"story:{slug}"])]
    assert ops == ["add", "add", "move", "update", "remove", "meta"]


def test_an_annotation_is_sanitized(client, auth, demo):
    slug = _story(client, auth, status="live")["slug"]
    item = client.get("/api/feeds/demo/items").get_json()["items"][0]
    body = {
        "type": "item",
        "item_id": item["id"],
        "annotation": "<img src=x onerror=alert(1)><script>x</script>ok",
    }
    element = _add(client, auth, slug, body)
    assert element["annotation_html"] == "ok"


# --- hostile and bad input ---------------------------------------------------------------------

HUGE = "x" * 1_000_001
BAD_BODIES = {
    "POST /api/feeds": [
        {"name": 5, "query": "#x"},
        {"name": "x", "query": ["#x"]},
        {"name": "x", "query": "#x", "sources": "replay:x"},
        {"name": "x", "query": "#x", "sources": [5]},
        {"name": "x", "query": "#x", "sources": ["nope:somewhere"]},
        {"name": "x", "query": "#x", "sources": [""]},
        {"name": "x", "query": "#x", "sources": ["replay"]},
        {"name": "Bad Name!", "query": "#x"},
        {"name": HUGE, "query": "#x"},
        {"name": "x", "query": HUGE},
        {"name": "x", "query": ""},
        {},
    ],
    "POST /api/feeds/demo/items": [
        {"text": "x"},
        {"text": "x", "author": "me"},
        {"text": "x", "author": {"name": 5.5}},
        {"text": HUGE, "author": {"name": "x"}},
        {"text": 5.5, "author": {"name": "x"}},
        {"author": {"name": "x"}},
        {"text": "x", "author": {"name": "x"}, "media": "x"},
        {"text": "x", "author": {"name": "x"}, "media": [5]},
        {"text": "x", "author": {"name": "x"}, "source_id": {"a": 1}},
        {"text": "x", "author": {"name": "x"}, "created_at": ["2012"]},
        {"text": "x", "author": {"name": "x"}, "lang": "x" * 100},
    ],
    "PATCH /api/feeds/demo/items/{item}": [
        {"status": "deleted"},
        {"status": 5},
        {"status": ["hidden"]},
        {"status": {"a": 1}},
        {"status": None},
        {},
    ],
    "POST /api/stories": [
        {},
        {"title": 5},
        {"title": ""},
        {"title": "   "},
        {"title": HUGE},
        {"title": "x", "feed": 5},
        {"title": "x", "feed": ["demo"]},
        {"title": "x", "slug": 5},
        {"title": "x", "slug": ["a"]},
        {"title": "x", "slug": "Bad Slug"},
        {"title": "x", "slug": "live-story"},
        {"title": "x", "status": "secret"},
        {"title": "x", "status": 5},
        {"title": "x", "description": 5},
        {"title": "x", "description": HUGE},
    ],
    "PATCH /api/stories/{story}": [
        {},
        {"unknown": "x"},
        {"title": None},
        {"title": 5},
        {"title": ""},
        {"status": "gone"},
        {"description": None},
        {"byline": None},
        {"byline": 5},
        {"description": HUGE},
        {"cover": "javascript:alert(1)"},
        {"cover": 5},
    ],
    "POST /api/stories/{story}/elements": [
        {},
        {"type": "video"},
        {"type": None},
        {"type": ["text"]},
        {"type": "text"},
        {"type": "text", "text": ""},
        {"type": "text", "text": 5},
        {"type": "text", "text": HUGE},
        {"type": "text", "text": "x", "style": "shout"},
        {"type": "text", "text": "x", "style": ["heading"]},
        {"type": "text", "text": "x", "position": -1},
        {"type": "text", "text": "x", "position": "0"},
        {"type": "text", "text": "x", "position": 1.5},
        {"type": "text", "text": "x", "position": True},
        {"type": "item"},
        {"type": "item", "item_id": "nope"},
        {"type": "item", "item_id": 5},
        {"type": "item", "item_id": ["x"]},
        {"type": "item", "item_id": "{item}", "annotation": 5},
        {"type": "link", "url": "javascript:alert(1)"},
        {"type": "link", "url": 5},
        {"type": "link", "url": "https://ok.example", "title": 5},
    ],
    "PATCH /api/stories/{story}/elements/{element}": [
        {},
        {"nothing": 1},
        {"position": -1},
        {"position": "1"},
        {"position": None},
        {"text": 5},
        {"text": ""},
        {"text": HUGE},
        {"annotation": "x"},
        {"style": "shout"},
        {"style": None},
    ],
}


@pytest.fixture
def world(client, auth, demo) -> dict[str, str]:
    """A live story `live-story` with a text element, and the id of an item of `demo`."""
    item = client.get("/api/feeds/demo/items").get_json()["items"][0]["id"]
    _story(client, auth, status="live")
    element = _add(client, auth, "live-story", {"type": "text", "text": "first"})
    return {"story": "live-story", "item": item, "element": element["id"]}


def _fill(value: Any, world: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in world:
        return world[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def _short(body: dict[str, Any]) -> str:
    return repr({k: v if len(repr(v)) < 40 else f"<{len(repr(v))} chars>" for k, v in body.items()})


@pytest.mark.parametrize("route", BAD_BODIES)
def test_a_bad_body_gets_a_400_with_a_clear_error(client, auth, world, subtests, route):
    method, url = route.split(" ")
    for body in BAD_BODIES[route]:
        with subtests.test(body=_short(body)):
            response = client.open(url.format(**world), method=method, json=_fill(body, world), headers=auth)
            assert response.status_code == 400, (response.status_code, response.get_json())
            error = response.get_json()["error"]
            assert isinstance(error, str) and 5 < len(error) < 300


WRITE_URLS = [
    ("POST", "/api/feeds"),
    ("POST", "/api/feeds/demo/items"),
    ("PATCH", "/api/feeds/demo/items/{item}"),
    ("POST", "/api/stories"),
    ("PATCH", "/api/stories/{story}"),
    ("POST", "/api/stories/{story}/elements"),
    ("PATCH", "/api/stories/{story}/elements/{element}"),
]


NOT_JSON_OBJECTS = [
    ("not json", "text/plain"),
    ("{broken", "application/json"),
    ("[1, 2]", "application/json"),
    ('"a string"', "application/json"),
    ("null", "application/json"),
    ("", "application/json"),
    (b"\xff\xfe\x00", "application/json"),
]


@pytest.mark.parametrize(("method", "url"), WRITE_URLS)
def test_a_body_that_is_not_a_json_object_gets_a_400(client, auth, world, subtests, method, url):
    for data, content_type in NOT_JSON_OBJECTS:
        with subtests.test(data=data, content_type=content_type):
            response = client.open(
                url.format(**world), method=method, data=data, content_type=content_type, headers=auth
            )
            assert response.status_code == 400
            assert "JSON object" in response.get_json()["error"]


UNKNOWN = [
    ("GET", "/api/feeds/nope"),
    ("GET", "/api/feeds/nope/items"),
    ("POST", "/api/feeds/nope/items"),
    ("PATCH", "/api/feeds/demo/items/nope"),
    ("PATCH", "/api/feeds/nope/items/{item}"),
    ("GET", "/api/stories/nope"),
    ("PATCH", "/api/stories/nope"),
    ("POST", "/api/stories/nope/elements"),
    ("PATCH", "/api/stories/{story}/elements/nope"),
    ("PATCH", "/api/stories/nope/elements/{element}"),
    ("DELETE", "/api/stories/{story}/elements/nope"),
    ("GET", "/api/nothing-here"),
    ("GET", "/api/feeds/%00%ff"),
]


def test_unknown_ids_get_a_404_with_a_clear_error(client, auth, world, subtests):
    body = {"status": "hidden", "text": "x", "author": {"name": "x"}, "type": "text", "title": "x"}
    for method, url in UNKNOWN:
        with subtests.test(method=method, url=url):
            response = client.open(url.format(**world), method=method, json=body, headers=auth)
            assert response.status_code == 404, response.get_json()
            assert response.get_json()["error"]


def test_an_unknown_feed_for_a_new_story_is_refused(client, auth, world):
    response = client.post("/api/stories", json={"title": "x", "feed": "nope"}, headers=auth)
    assert 400 <= response.status_code < 500 and "nope" in response.get_json()["error"]


def test_a_wrong_method_gets_a_json_405(client, world):
    response = client.put("/api/feeds")
    assert response.status_code == 405 and response.get_json()["error"]


BAD_PAGING = [
    "after=-1",
    "after=abc",
    "after=1.5",
    "after=",
    "after=99999999999999999999999",
    "limit=-5",
    "limit=x",
    "limit=1e3",
    "limit=99999999999999999999999",
    "after=0x10",
    "after=%00",
]


def test_bad_after_or_limit_gets_a_400(client, world, subtests):
    for query in BAD_PAGING:
        with subtests.test(query=query):
            response = client.get(f"/api/feeds/demo/items?{query}")
            assert response.status_code == 400, response.get_json()
            assert "must be" in response.get_json()["error"]


def test_a_huge_limit_is_capped_and_a_zero_limit_still_answers(client, world):
    assert client.get("/api/feeds/demo/items?limit=100000").status_code == 200
    assert len(client.get("/api/feeds/demo/items?limit=0").get_json()["items"]) <= 1


def test_a_body_larger_than_the_limit_gets_a_json_413(client, auth, world, app):
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/api/feeds/demo/items", data=huge, content_type="application/json", headers=auth)
    assert response.status_code == 413 and response.get_json()["error"]


def test_a_deeply_nested_body_gets_a_400(client, auth, world):
    nested = "[" * 200_000 + "]" * 200_000
    response = client.post("/api/stories", data=nested, content_type="application/json", headers=auth)
    assert response.status_code == 400 and response.get_json()["error"]


def test_a_method_not_allowed_says_which_are(client):
    """RFC 9110: a 405 carries Allow, for the API and for pages."""
    answer = client.put("/api/feeds")
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert client.post("/").headers.get("Allow")
