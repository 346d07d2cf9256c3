"""Every text an import stores is plain text or sanitized HTML: the API never hands out hostile markup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aggregator.feeds import create_feed
from bench.synthetic import synthetic_archive
from tests.archive.conftest import FIXTURES

HOSTILE = '<p onclick="steal()">Hi <script>alert(1)</script><a href="javascript:alert(2)">there</a></p>'
NEEDLES = ("<script", "onclick", "javascript:")


def assert_no_hostile_markup(response: Any) -> None:
    assert response.status_code == 200, response.data
    data = response.get_json()
    for item in data.get("items", []):
        item.pop("raw")  # the payload exactly as received, by design: data, never shown
    body = json.dumps(data).lower()
    for needle in NEEDLES:
        assert needle not in body, needle


def run_import(runner: Any, path: Path, fmt: str, *extra: str) -> None:
    result = runner.invoke(args=["import", str(path), "--format", fmt, *extra])
    assert result.exit_code == 0, result.output


def test_a_storify_text_element_keeps_its_formatting_and_loses_its_scripts(
    client: Any, runner: Any, write_json: Any
) -> None:
    data = json.loads((FIXTURES / "storify-v1.json").read_text(encoding="utf-8"))
    data["content"]["elements"][0]["data"]["text"] = HOSTILE
    data["content"]["elements"][1]["data"]["quote"]["text"] = HOSTILE
    data["content"]["elements"][2]["data"]["image"]["caption"] = HOSTILE
    run_import(runner, write_json("storify.json", data), "storify")
    response = client.get("/api/stories/tea-party-on-the-lawn")
    assert_no_hostile_markup(response)
    elements = response.get_json()["elements"]
    assert elements[0]["text"] == "<p>Hi <a>there</a></p>"  # sanitized HTML, editable as such
    assert elements[0]["text_html"] == '<p>Hi <a rel="nofollow noopener noreferrer ugc">there</a></p>'
    assert elements[1]["item"]["text"] == "Hi there"
    assert elements[2]["item"]["media"][0]["alt"] == "Hi there"


def test_a_tagstory_archive_has_its_element_texts_and_annotations_sanitized(
    client: Any, runner: Any, write_json: Any
) -> None:
    archive = synthetic_archive(12, slug="hostile")
    archive["story"]["status"] = "published"
    archive["items"][0]["html"] = HOSTILE
    pinned = next(e for e in archive["elements"] if e["type"] == "item")
    pinned["annotation"] = HOSTILE
    archive["elements"][5]["text"] = HOSTILE
    archive["elements"][0]["text"] = f"Part one {HOSTILE}"  # a heading
    run_import(runner, write_json("hostile.json", archive), "tagstory")
    response = client.get("/api/stories/hostile")
    assert_no_hostile_markup(response)
    elements = response.get_json()["elements"]
    assert elements[5]["text"] == "<p>Hi <a>there</a></p>"


def test_texts_without_hostile_markup_are_kept_as_written(client: Any, runner: Any, write_json: Any) -> None:
    archive = synthetic_archive(12, slug="plain")
    archive["story"]["status"] = "published"
    archive["elements"][5]["text"] = "Tom & Jerry: 1 < 2, <b>bold</b> &amp; fine"
    run_import(runner, write_json("plain.json", archive), "tagstory")
    elements = client.get("/api/stories/plain").get_json()["elements"]
    assert elements[5]["text"] == "Tom & Jerry: 1 < 2, <b>bold</b> &amp; fine"


@pytest.mark.parametrize(
    ("fmt", "line"),
    [
        (
            "jsonl",
            {
                "source": "test",
                "source_id": "1",
                "html": HOSTILE,
                "author": {"name": "T", "url": "javascript:alert(3)"},
                "url": "javascript:alert(4)",
                "media": [{"type": "image", "url": "javascript:alert(5)"}],
            },
        ),
        (
            "mastodon",
            {
                "uri": "https://social.example/users/a/statuses/1",
                "content": HOSTILE,
                "created_at": "2026-07-04T15:10:00.000Z",
                "account": {"acct": "a", "username": "a", "url": "javascript:alert(3)"},
            },
        ),
        ("twarc", {"data": [{"id": "1", "text": "hi https://t.co/x", "author_id": "9"}]}),
        ("jetstream", json.loads((FIXTURES / "jetstream-posts.jsonl").read_text().splitlines()[0])),
    ],
)
def test_posts_imported_into_a_feed_carry_no_hostile_markup(
    db: Any, client: Any, runner: Any, tmp_path: Path, fmt: str, line: dict
) -> None:
    create_feed(db, "summit", "#summit", [])
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    run_import(runner, path, fmt, "--feed", "summit")
    response = client.get("/api/feeds/summit/items")
    assert response.get_json()["items"], "the post was imported"
    assert_no_hostile_markup(response)


def test_texts_a_curator_writes_in_the_editor_are_stored_plain_or_sanitized(
    client: Any, curators: Any
) -> None:
    """The editor's writes (POST and PATCH of elements) go through the same rule as imports."""
    from tests.factories import feed, post, story

    db = client.application.extensions["tagstory.db"]
    demo = feed(db)
    owner = curators.create()
    headers = curators.token()
    pinned = post(db, demo, 1)
    slug = story(db, owner)["slug"]
    url = f"/api/stories/{slug}/elements"
    made = [
        client.post(url, json={"type": "text", "text": HOSTILE}, headers=headers),
        client.post(
            url, json={"type": "item", "item_id": pinned["id"], "annotation": HOSTILE}, headers=headers
        ),
        client.post(
            url, json={"type": "link", "url": "https://example.org/", "text": HOSTILE}, headers=headers
        ),
    ]
    assert [r.status_code for r in made] == [201, 201, 201], [r.data for r in made]
    assert_no_hostile_markup(client.get(f"/api/stories/{slug}"))
    for answer, field in zip(made, ("text", "annotation", "text"), strict=True):
        element = answer.get_json()["id"]
        changed = client.patch(f"{url}/{element}", json={field: f"again {HOSTILE}"}, headers=headers)
        assert changed.status_code == 200, changed.data
    assert_no_hostile_markup(client.get(f"/api/stories/{slug}"))
    harmless = client.post(url, json={"type": "text", "text": "1 < 2 & <b>bold</b>"}, headers=headers)
    assert harmless.get_json()["text"] == "1 < 2 & <b>bold</b>"  # a harmless text keeps its spelling
