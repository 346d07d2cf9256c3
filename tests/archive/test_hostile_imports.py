"""Hostile files are refused or neutralized, and the data already there is never lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aggregator.feeds import create_feed, get_feed, list_items
from bench.synthetic import synthetic_archive
from stories.archive import to_archive
from stories.model import get_header
from tests.archive.conftest import FIXTURES, curated_story
from tests.factories import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def snapshot(db: Any) -> tuple[int, int, int, int]:
    """Counts of everything an import could change."""
    return tuple(
        db.query_one(f"SELECT count(*) AS n FROM {table}")["n"]
        for table in ("stories", "elements", "items", "feed_items")
    )


@pytest.fixture
def existing(db: Any) -> dict[str, Any]:
    """A story and a feed with items, there before the hostile import."""
    create_feed(db, "summit", "#summit", [])
    story = curated_story(db)
    return {"story": to_archive(db, story), "counts": snapshot(db)}


def test_script_and_javascript_urls_in_an_archive_are_neutralized(
    db: Any, existing: dict, write_json: Any, runner: Any
) -> None:
    archive = synthetic_archive(12, slug="hostile")
    item = archive["items"][0]
    item["html"] = (
        '<p onclick="x()">hi <script>alert(1)</script>'
        '<a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)></p>'
    )
    item["url"] = "javascript:alert(4)"
    item["author"]["avatar"] = "javascript:alert(5)"
    item["media"] = [{"type": "image", "url": "data:text/html,<script>alert(6)</script>", "alt": "x"}]
    archive["elements"][5]["text"] = '<b>bold</b><script>alert(7)</script><a href="javascript:alert(8)">y</a>'
    archive["elements"][7] = {
        "type": "link",
        "url": "https://example.org/ok",
        "title": "<script>alert(9)</script>",
    }
    result = runner.invoke(args=["import", str(write_json("hostile.json", archive)), "--format", "tagstory"])
    assert result.exit_code == 0, result.output
    dump = json.dumps(to_archive(db, get_header(db, "hostile")))
    stored = [dict(row) for row in db.query("SELECT html, url, author_avatar, media FROM items")]
    stored += [dict(row) for row in db.query("SELECT text_html, annotation_html FROM elements")]
    rendered = json.dumps(stored)
    for needle in ("<script", "javascript:", "onclick", "onerror", "<img", "data:text"):
        assert needle not in rendered, needle
    assert "<b>bold</b>" in rendered
    assert "alert(9)" in dump  # a link title is text: kept, and escaped wherever it is shown


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "tagstory-archive", "version": 1, "story": {"title": "x"', "broken JSON: Expecting"),
        ('{"format": "something-else"}', "not a Tagstory archive: 'format' must be \"tagstory-archive\""),
        ('{"format": "tagstory-archive", "version": 99, "story": {}}', "archive version 99 is not supported"),
        ("<html><body>no archive here</body></html>", "is it a Tagstory export?"),
    ],
)
def test_broken_archives_get_a_clear_error_and_change_nothing(
    db: Any, existing: dict, runner: Any, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--format", "tagstory"])
    assert result.exit_code == 1
    assert message in result.output and "nothing was imported" in result.output
    assert snapshot(db) == existing["counts"]


def test_a_bad_element_deep_in_a_big_archive_is_named_and_nothing_is_kept(
    db: Any, existing: dict, write_json: Any, runner: Any
) -> None:
    archive = synthetic_archive(2000, slug="big")
    archive["elements"][1499] = {"type": "text", "text": "x", "style": "shout"}
    result = runner.invoke(args=["import", str(write_json("big.json", archive)), "--format", "tagstory"])
    assert "element 1500: 'style' must be one of heading, paragraph" in result.output
    assert snapshot(db) == existing["counts"]


def test_a_broken_line_in_a_post_file_is_named_and_nothing_is_kept(
    db: Any, existing: dict, runner: Any, tmp_path: Path
) -> None:
    lines = (FIXTURES / "jetstream-posts.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "broken.jsonl"
    path.write_text(
        "\n".join([*lines[:3], '{"did": "did:plc:x", "kind": "commit", ', *lines[3:]]), encoding="utf-8"
    )
    result = runner.invoke(args=["import", str(path), "--format", "jetstream", "--feed", "summit"])
    assert result.exit_code == 1
    assert "line 4: broken JSON" in result.output
    assert snapshot(db) == existing["counts"]


def test_a_file_that_is_not_utf8_is_refused(db: Any, existing: dict, runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"text": "caf\xe9"}\n'.encode("latin-1"))
    result = runner.invoke(args=["import", str(path), "--format", "jsonl", "--feed", "summit"])
    assert result.exit_code == 1 and "not UTF-8 text" in result.output
    assert snapshot(db) == existing["counts"]


def test_a_50_mb_upload_is_refused_with_a_clear_413(
    client: Any, curators: Any, db: Any, existing: dict
) -> None:
    csrf = curators.login(client)
    # A hand-made multipart body: the test client would spool a file this big to an unclosed temp file.
    body = (
        (
            f'--cut\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            '--cut\r\nContent-Disposition: form-data; name="format"\r\n\r\ntagstory\r\n'
            '--cut\r\nContent-Disposition: form-data; name="file"; filename="huge.json"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + b'{"x": "'
        + b"a" * (50 * 1024 * 1024)
        + b'"}\r\n--cut--\r\n'
    )
    response = client.post("/import", data=body, content_type="multipart/form-data; boundary=cut")
    assert response.status_code == 413
    assert "larger than this server accepts (32 MB, the IMPORT_MAX_BYTES setting)" in response.get_data(
        as_text=True
    )
    assert snapshot(db) == existing["counts"]
    assert get_feed(db, "summit") is not None and list_items(db, get_feed(db, "summit"), after=0) == []


def test_a_storify_element_of_an_unknown_type_is_named(
    db: Any, existing: dict, write_json: Any, runner: Any
) -> None:
    data = json.loads((FIXTURES / "storify-v1.json").read_text(encoding="utf-8"))
    data["content"]["elements"][3]["type"] = "poll"
    result = runner.invoke(args=["import", str(write_json("storify.json", data)), "--format", "storify"])
    assert result.exit_code == 1
    assert "Storify element 4: unknown type 'poll'" in result.output
    assert snapshot(db) == existing["counts"]


def unreadable_storify(index: int, data: Any) -> dict[str, Any]:
    """The fixture Storify story (6 elements) padded to 18, with element `index` (1-based) unreadable."""
    story = json.loads((FIXTURES / "storify-v1.json").read_text(encoding="utf-8"))
    elements = story["content"]["elements"]
    elements += [{**element, "id": f"{element['id']}-{n}"} for n in (2, 3) for element in elements[:6]]
    elements[index - 1]["data"] = data
    return story


UNREADABLE = [
    (
        14,
        "a quote as a string",
        "Storify element 14 (quote) cannot be read: 'data.quote.text' must be a string",
    ),
    (15, {"image": {"caption": "no src"}}, "Storify element 15 (image) cannot be read: 'data.image.src'"),
    (13, ["text"], "Storify element 13 (text) cannot be read: 'data.text' must be a string"),
    (17, {"video": "clip"}, "Storify element 17 (video) cannot be read: 'data.video.src' must be a string"),
]


@pytest.mark.parametrize(("index", "data", "message"), UNREADABLE)
def test_an_unreadable_storify_element_is_named_and_nothing_is_imported(
    db: Any, existing: dict, write_json: Any, runner: Any, index: int, data: Any, message: str
) -> None:
    path = write_json("storify.json", unreadable_storify(index, data))
    result = runner.invoke(args=["import", str(path), "--format", "storify"])
    assert result.exit_code == 1, result.output
    assert message in result.output and "nothing was imported" in result.output
    assert snapshot(db) == existing["counts"]


def test_an_unreadable_storify_upload_is_refused_by_the_import_page(
    client: Any, curators: Any, db: Any, existing: dict
) -> None:
    from tests.archive.test_import_form import upload

    csrf = curators.login(client)
    content = json.dumps(unreadable_storify(14, "a quote as a string")).encode()
    response = upload(client, csrf, "storify.json", "storify", content)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Storify element 14 (quote) cannot be read: &#39;data.quote.text&#39; must be a string" in page
    assert snapshot(db) == existing["counts"]
