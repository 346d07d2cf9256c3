"""A feed's insight, checked against posts this test wrote: exact counts, and each figure's
link lists exactly the posts it counts. Curators only (it shows moderation and its rules)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from aggregator.curation import update_settings
from aggregator.items import item_from_dict, store_items
from tests.factories import feed, post_dict

# (n, network, minute, author, text, extra fields)
POSTS = [
    (1, "mastodon", "18:00", "ada", "Opening #Tagstory #live https://example.org/a", {"lang": "en"}),
    (2, "mastodon", "18:00", "ada", "More #tagstory", {"lang": "en-GB"}),
    (3, "bluesky", "18:00", "bob", "Hello #live", {"lang": "fr"}),
    (4, "bluesky", "18:01", "bob", "A reply https://example.org/a.", {"lang": "fr", "reply_to": "x1"}),
    (5, "mastodon", "18:01", "cy", "A repost #tagstory", {"repost_of": "x2"}),
    (6, "bluesky", "18:02", "ada", "spam word here", {"lang": "en"}),
    (
        7,
        "bluesky",
        "18:02",
        "dee",
        "A picture",
        {"media": [{"type": "image", "url": "https://example.org/p.png"}]},
    ),
    (8, "mastodon", "18:03", "troll", "Blocked #tagstory", {"lang": "en"}),
    (9, "mastodon", "18:05", "ada", "Outside the window #tagstory", {"lang": "en"}),
]


@pytest.fixture
def written(db: Any) -> dict[str, Any]:
    """The feed `demo` with the posts above; spam and the troll are hidden by its rules."""
    demo = feed(db)
    update_settings(db, demo, {"rules": {"blocked_words": ["spam"], "blocked_authors": ["troll"]}}, "ada")
    for n, network, minute, author, text, extra in POSTS:
        data = post_dict(
            n,
            source=network,
            text=text,
            author={"name": author.title(), "handle": author},
            created_at=f"2012-05-29T{minute}:{n:02d}Z",
            **extra,
        )
        store_items(db, demo, [item_from_dict(data, source=network)])
    return demo


WINDOW = {"since": "2012-05-29T18:00:00Z", "until": "2012-05-29T18:05:00Z"}


def _insight(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/feeds/demo/insight", query_string=WINDOW, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _posts(client: Any, headers: dict[str, str], figure: dict[str, Any]) -> list[int]:
    """The source ids of the posts a figure's link lists."""
    response = client.get(figure["posts"], headers=headers)
    assert response.status_code == 200, response.json
    return sorted(int(item["source_id"]) for item in response.json["items"])


def test_the_numbers_are_exact_and_each_links_to_its_posts(client, curators, written):
    headers = curators.token()
    numbers = _insight(client, headers)
    assert numbers["window"]["since"] == "2012-05-29T18:00:00.000Z"
    assert numbers["window"]["until"] == "2012-05-29T18:05:00.000Z"
    assert numbers["total"]["count"] == 8
    assert _posts(client, headers, numbers["total"]) == [1, 2, 3, 4, 5, 6, 7, 8]

    volume = {(r["minute"][11:16], r["network"]): r for r in numbers["volume"]}
    assert {key: r["count"] for key, r in volume.items()} == {
        ("18:00", "bluesky"): 1,
        ("18:00", "mastodon"): 2,
        ("18:01", "bluesky"): 1,
        ("18:01", "mastodon"): 1,
        ("18:02", "bluesky"): 2,
        ("18:03", "mastodon"): 1,
    }
    assert _posts(client, headers, volume[("18:00", "mastodon")]) == [1, 2]
    assert _posts(client, headers, volume[("18:02", "bluesky")]) == [6, 7]
    assert numbers["networks"] == ["bluesky", "mastodon"]

    authors = {r["author"]: r for r in numbers["contributors"]}
    assert [(r["author"], r["count"]) for r in numbers["contributors"]] == [
        ("ada", 3),
        ("bob", 2),
        ("cy", 1),
        ("dee", 1),
        ("troll", 1),
    ]
    assert _posts(client, headers, authors["ada"]) == [1, 2, 6]

    tags = {r["hashtag"]: r for r in numbers["hashtags"]}
    assert [(r["hashtag"], r["count"]) for r in numbers["hashtags"]] == [("tagstory", 4), ("live", 2)]
    assert _posts(client, headers, tags["tagstory"]) == [1, 2, 5, 8]
    assert _posts(client, headers, tags["live"]) == [1, 3]

    assert [(r["link"], r["count"]) for r in numbers["links"]] == [("https://example.org/a", 2)]
    assert _posts(client, headers, numbers["links"][0]) == [1, 4]
    assert [(r["type"], r["count"]) for r in numbers["media"]] == [("image", 1)]
    assert _posts(client, headers, numbers["media"][0]) == [7]

    assert (numbers["replies"]["count"], numbers["replies"]["share"]) == (1, 0.125)
    assert (numbers["reposts"]["count"], numbers["reposts"]["share"]) == (1, 0.125)
    assert _posts(client, headers, numbers["replies"]) == [4]
    assert _posts(client, headers, numbers["reposts"]) == [5]

    languages = {r["lang"]: r for r in numbers["languages"]}
    assert {lang: r["count"] for lang, r in languages.items()} == {"en": 4, "fr": 2, None: 2}
    assert _posts(client, headers, languages["en"]) == [1, 2, 6, 8]
    assert _posts(client, headers, languages["fr"]) == [3, 4]

    moderation = numbers["moderation"]
    assert {s: moderation[s]["count"] for s in ("approved", "pending", "hidden")} == {
        "approved": 6,
        "pending": 0,
        "hidden": 2,
    }
    assert _posts(client, headers, moderation["hidden"]) == [6, 8]
    assert _posts(client, headers, moderation["approved"]) == [1, 2, 3, 4, 5, 7]
    rules = {r["reason"]: r for r in moderation["rules"]}
    assert {reason: r["count"] for reason, r in rules.items()} == {
        "blocked word: spam": 1,
        "blocked author: troll": 1,
    }
    assert _posts(client, headers, rules["blocked word: spam"]) == [6]
    assert _posts(client, headers, rules["blocked author: troll"]) == [8]


def test_the_whole_feed_without_a_window(client, curators, written):
    numbers = client.get("/api/feeds/demo/insight", headers=curators.token()).json
    assert numbers["total"]["count"] == 9
    assert numbers["window"]["since"] is None and numbers["window"]["first"] == "2012-05-29T18:00:01.000Z"


def test_only_curators_see_it(client, written):
    assert client.get("/api/feeds/demo/insight").status_code == 401
    assert client.get("/feeds/demo/insight").status_code == 403
    assert client.get("/feeds/demo/insight.csv").status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"since": "yesterday"},
        {"until": "2012-13-40"},
        {"since": "2012-05-29T19:00Z", "until": "2012-05-29T18:00Z"},
    ],
)
def test_a_bad_window_is_a_400(client, curators, written, query):
    headers = curators.token()
    response = client.get("/api/feeds/demo/insight", query_string=query, headers=headers)
    assert response.status_code == 400
    assert "since" in response.json["error"] or "until" in response.json["error"]
    assert client.get("/api/feeds/demo/items", query_string=query, headers=headers).status_code == 400


def test_the_csv_is_the_pages_table(client, curators, written):
    curators.login(client)
    page = client.get("/feeds/demo/insight", query_string=WINDOW)
    assert page.status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get("/feeds/demo/insight.csv", query_string=WINDOW).text)))
    html = page.text
    assert len(rows) == html.count('<tr data-figure="')
    for row in rows:
        assert f"<td>{row['key']}</td>" in html or row["figure"] == "links"  # links are escaped in HTML
        if row["posts"]:
            assert f'href="{row["posts"].replace("&", "&amp;")}">{row["count"]}</a>' in html
    counts = {(r["figure"], r["key"]): int(r["count"]) for r in rows}
    assert counts[("total", "posts")] == 8 and counts[("moderation", "hidden")] == 2
    assert counts[("hidden by rule", "blocked word: spam")] == 1


def test_a_storys_insight_counts_the_posts_it_pins(client, curators, written):
    headers = curators.token()
    slug = client.post("/api/stories", json={"title": "Pins", "feed": "demo"}, headers=headers).json["slug"]
    items = client.get(
        "/api/feeds/demo/items", query_string={"status": "approved,hidden"}, headers=headers
    ).json
    by_number = {int(item["source_id"]): item["id"] for item in items["items"]}
    for n in (1, 3, 6):
        pinned = client.post(
            f"/api/stories/{slug}/elements", json={"type": "item", "item_id": by_number[n]}, headers=headers
        )
        assert pinned.status_code == 201, pinned.json
    numbers = client.get(f"/api/stories/{slug}/insight", headers=headers).json
    assert numbers["story"] == slug and numbers["total"]["count"] == 3
    assert _posts(client, headers, numbers["total"]) == [1, 3, 6]
    assert [(r["hashtag"], r["count"]) for r in numbers["hashtags"]] == [("live", 2), ("tagstory", 1)]
    assert _posts(client, headers, numbers["hashtags"][0]) == [1, 3]
    assert numbers["moderation"]["hidden"]["count"] == 1
    assert client.get(f"/api/stories/{slug}/insight").status_code == 401
    curators.login(client)
    page = client.get(f"/stories/{slug}/insight")
    assert page.status_code == 200 and "the posts pinned in" in page.text


def test_a_story_without_a_feed_has_no_insight(client, curators):
    headers = curators.token()
    slug = client.post("/api/stories", json={"title": "Alone"}, headers=headers).json["slug"]
    response = client.get(f"/api/stories/{slug}/insight", headers=headers)
    assert response.status_code == 400 and "no feed" in response.json["error"]


def test_a_post_in_the_last_minute_of_year_9999_is_counted_and_linked(client, curators, db):
    headers = curators.token()
    demo = feed(db)
    store_items(db, demo, [item_from_dict(post_dict(1, created_at="9999-12-31T23:59:30Z"))])
    numbers = client.get("/api/feeds/demo/insight", headers=headers).json
    assert [r["count"] for r in numbers["volume"]] == [1]
    assert _posts(client, headers, numbers["volume"][0]) == [1]
