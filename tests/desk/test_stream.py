"""The editor's stream: filters and paging on GET /api/feeds/<feed>/items (extended, not broken)."""

from __future__ import annotations

import pytest

from stories.elements import add_element


@pytest.fixture
def stream(post):
    """Six posts of every kind, in this seq order."""
    return {
        "plain": post(1, text="plain words"),
        "media": post(2, text="a picture", media=[{"type": "image", "url": "https://example.org/a.jpg"}]),
        "reply": post(3, text="a reply", reply_to="x9"),
        "repost": post(4, text="a repost", repost_of="x8"),
        "german": post(5, text="guten Tag", lang="de-AT"),
        "other": post(6, text="from elsewhere", source="mastodon:example.social"),
    }


def _ids(client, query, headers=None):
    response = client.get(f"/api/feeds/demo/items?{query}", headers=headers or {})
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("media=1", ["media"]),
        ("replies=0", ["plain", "media", "repost", "german", "other"]),
        ("reposts=0", ["plain", "media", "reply", "german", "other"]),
        ("replies=0&reposts=0&media=1", ["media"]),
        ("lang=de", ["german"]),
        ("lang=DE-at", ["german"]),
        ("source=mastodon:example.social", ["other"]),
        ("source=test&q=picture", ["media"]),
    ],
)
def test_filters_narrow_the_stream(client, stream, query, expected):
    assert _ids(client, query) == [stream[name]["id"] for name in expected]


def test_only_not_yet_pinned_leaves_out_the_storys_items(client, db, stream, story, curator_client):
    add_element(db, story, {"type": "item", "item_id": stream["media"]["id"]})
    owner, headers = curator_client("owner")
    assert stream["media"]["id"] not in _ids(owner, "unpinned=s", headers)
    assert len(_ids(owner, "unpinned=s", headers)) == 5


def test_unpinned_names_a_story_the_asker_may_see(client, stream, story):
    assert client.get("/api/feeds/demo/items?unpinned=s").status_code == 404
    assert client.get("/api/feeds/demo/items?unpinned=nope").status_code == 404


def test_load_older_pages_back_from_before_in_seq_order(client, stream):
    newest = client.get("/api/feeds/demo/items?before=99999&limit=2").json["items"]
    assert [i["id"] for i in newest] == [stream["german"]["id"], stream["other"]["id"]]
    older = client.get(f"/api/feeds/demo/items?before={newest[0]['seq']}&limit=2").json["items"]
    assert [i["id"] for i in older] == [stream["reply"]["id"], stream["repost"]["id"]]


def test_without_the_new_parameters_the_answer_is_unchanged(client, stream):
    items = client.get("/api/feeds/demo/items?after=0&limit=3").json["items"]
    assert [i["id"] for i in items] == [stream[n]["id"] for n in ("plain", "media", "reply")]


@pytest.mark.parametrize("query", ["before=-1", "before=x"])
def test_a_bad_before_is_a_400(client, stream, query):
    assert client.get(f"/api/feeds/demo/items?{query}").status_code == 400
