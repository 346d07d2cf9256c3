"""Export → import → export gives the same archive, in every format that carries one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.synthetic import synthetic_archive
from stories.archive import archive_from_text, from_archive, to_archive
from stories.formats import export_story
from stories.formats.markdown import escape
from stories.model import get_header
from tests.archive.conftest import curated_story


def comparable(archive: dict[str, Any]) -> dict[str, Any]:
    """An archive without what differs by design: the export time, element ids, the slug."""
    copy = json.loads(json.dumps(archive))
    copy.pop("exported_at")
    copy["story"].pop("slug")
    for element in copy["elements"]:
        element.pop("id")
    return copy


def test_a_curated_story_comes_back_the_same_from_its_json(db: Any) -> None:
    story = curated_story(db)
    first = to_archive(db, story)
    copy = from_archive(db, json.loads(json.dumps(first)), slug="curated-copy")
    assert comparable(to_archive(db, copy)) == comparable(first)
    assert [e["type"] for e in first["elements"]][:3] == ["text", "item", "item"]
    assert first["items"][0]["raw"] == {"id": 0, "note": "the payload as received"}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "html"])
def test_a_story_of_thousands_of_elements_survives_export_import_export(db: Any, fmt: str) -> None:
    archive = synthetic_archive(3000)
    archive["items"][7]["deleted"] = True
    archive["items"][8].update(
        deleted=True, text="", media=[], raw={"deleted": True}
    )  # emptied at its source
    story = from_archive(db, archive)
    first = to_archive(db, story)
    assert len(first["elements"]) == 3000
    assert [item["deleted"] for item in first["items"]].count(True) == 2
    assert (first["items"][8]["text"], first["items"][8]["html"]) == ("", "")
    exported = export_story(db, story, fmt).text
    copy = from_archive(db, archive_from_text(exported), slug="second")
    second = to_archive(db, copy)
    assert comparable(second) == comparable(first)


def test_the_html_export_alone_can_be_reimported(db: Any) -> None:
    story = curated_story(db)
    page = export_story(db, story, "html").text
    archive = archive_from_text(page)
    copy = from_archive(db, archive, slug="from-html")
    assert comparable(to_archive(db, copy)) == comparable(to_archive(db, story))


def test_script_end_tags_in_posts_cannot_close_the_embedded_archive(db: Any) -> None:
    page = export_story(db, curated_story(db), "html").text
    embedded = page.split('<script type="application/json" id="tagstory-archive">', 1)[1]
    json_text, rest = embedded.split("</script>", 1)
    assert "<\\/script>" in json_text
    assert rest.strip() == "</body>\n</html>"
    assert page.count("<script") == 1


def test_the_export_keeps_its_strict_content_security_policy(client: Any, db: Any) -> None:
    curated_story(db)
    response = client.get("/stories/curated/export.html")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "default-src 'none'" in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_json_and_markdown_downloads_from_the_story(client: Any, db: Any, fmt: str) -> None:
    curated_story(db)
    response = client.get(f"/stories/curated/export.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="curated.{fmt}"'
    text = response.get_data(as_text=True)
    if fmt == "json":
        assert json.loads(text)["story"]["title"] == "Curated <story>"
    else:
        assert text.startswith("# Curated \\<story\\>")


def test_markdown_keeps_every_element_and_cannot_inject_html(db: Any) -> None:
    story = curated_story(db)
    markdown = export_story(db, story, "md").text
    assert "## Opening" in markdown
    assert "Between posts" in markdown
    for number in range(6):
        assert f"**Poster {number}** [@poster{number}](<https://x.com/poster{number}>)" in markdown
    assert "![Photo 1](<https://example.org/photo1.png>)" in markdown
    assert "*Good one*" in markdown
    assert "[Read more](<https://example.org/read>)" in markdown
    assert "<script>" not in markdown


def test_a_taken_slug_is_refused_and_nothing_is_imported(db: Any, runner: Any, tmp_path: Path) -> None:
    story = curated_story(db)
    path = tmp_path / "curated.json"
    path.write_text(export_story(db, story, "json").text, encoding="utf-8")
    before = db.query_one("SELECT count(*) AS n FROM elements")["n"]
    result = runner.invoke(args=["import", str(path), "--format", "tagstory"])
    assert result.exit_code == 1
    assert "a story with slug 'curated' exists already" in result.output
    assert db.query_one("SELECT count(*) AS n FROM elements")["n"] == before
    renamed = runner.invoke(args=["import", str(path), "--format", "tagstory", "--slug", "curated-2"])
    assert renamed.exit_code == 0, renamed.output
    assert get_header(db, "curated-2")["title"] == "Curated <story>"


@pytest.mark.parametrize("fmt", ["html", "json", "md"])
def test_the_export_command_writes_each_format(db: Any, runner: Any, tmp_path: Path, fmt: str) -> None:
    curated_story(db)
    output = tmp_path / f"story.{fmt}"
    result = runner.invoke(args=["export", "curated", "-o", str(output), "--format", fmt])
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    assert "Poster 5" in text


def test_the_export_command_still_writes_html_by_default(db: Any, runner: Any, tmp_path: Path) -> None:
    curated_story(db)
    output = tmp_path / "story.html"
    assert runner.invoke(args=["export", "curated", "-o", str(output)]).exit_code == 0
    assert output.read_text(encoding="utf-8").startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[click](javascript:alert(1))", "\\[click\\](javascript:alert(1))"),
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
        ("# not a heading\n1. not a list", "\\# not a heading\n1\\. not a list"),
        ("*not bold* `not code`", "\\*not bold\\* \\`not code\\`"),
    ],
)
def test_markdown_shows_post_text_as_written(text: str, shown: str) -> None:
    assert escape(text) == shown
