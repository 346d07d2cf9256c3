"""The exported story: one self-contained HTML file, the seed's story in order, no script, escaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from stories.demo import STORY, install_demo
from stories.elements import add_element
from tests.factories import cheap_passwords, feed, post, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

EXPORTED_AT = re.compile(r"Exported from Tagstory on [^<]*\.|\"exported_at\":\"[^\"]*\"")
ARCHIVE = re.compile(r'<script type="application/json" id="tagstory-archive">(.*?)</script>', re.DOTALL)


def without_archive(exported: str) -> str:
    """The page without its embedded JSON archive (data that no browser runs), checked on the way."""
    archives = ARCHIVE.findall(exported)
    assert len(archives) == 1 and json.loads(archives[0])["format"] == "tagstory-archive"
    assert "<script" not in archives[0].lower() and "</" not in archives[0]
    return ARCHIVE.sub("", exported)


class Elements(HTMLParser):
    """The story elements of an export: each <li class="element …"> with its text and links."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, Any]] = []
        self.depth = 0  # open <li> elements inside the current element
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "li" and "element" in (values.get("class") or "").split():
            self.elements.append({"type": values["data-type"], "links": []})
            self.depth = 1
            self.texts = []
        elif tag == "li" and self.depth:
            self.depth += 1
        if self.depth and tag == "a" and values.get("href"):
            self.elements[-1]["links"].append(values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self.depth:
            self.depth -= 1
            if not self.depth:
                # The text nodes as written: a link inside a word is not a word break.
                self.elements[-1]["text"] = " ".join("".join(self.texts).split())

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts.append(data)


def _text(html: str) -> str:
    """The visible text of a document, whitespace collapsed."""
    without_head = re.sub(r"<head>.*</head>", "", html, flags=re.S)
    parser = HTMLParser(convert_charrefs=True)
    chunks: list[str] = []
    parser.handle_data = chunks.append  # type: ignore[method-assign]
    parser.feed(without_head)
    return " ".join(" ".join(chunks).split())


@pytest.fixture
def demo_export(client, db) -> str:
    install_demo(db)
    response = client.get("/stories/kredcrew-summit/export.html")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_export_is_a_download_with_a_script_free_policy(client, db):
    install_demo(db)
    response = client.get("/stories/kredcrew-summit/export.html")
    assert response.headers["Content-Disposition"] == 'attachment; filename="kredcrew-summit.html"'
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert response.mimetype == "text/html"


def test_the_export_has_the_seed_header(demo_export):
    spec = json.loads(STORY.read_text("utf-8"))
    text = _text(demo_export)
    assert spec["title"] in text
    assert spec["description"] in text
    assert "Storified by Mila Araujo · Tue, May 29 2012 14:55:04" in text
    assert f"<title>{spec['title'].replace('&', '&amp;')}</title>" in demo_export


def test_the_export_has_every_block_and_pinned_post_in_order(demo_export, db):
    spec = json.loads(STORY.read_text("utf-8"))
    posts = {
        (p["source"], p["source_id"]): p
        for p in map(json.loads, (STORY.parent / "kredcrew-2012-05-29.jsonl").read_text("utf-8").splitlines())
    }
    parser = Elements()
    parser.feed(demo_export)
    exported = parser.elements
    assert [e["type"] for e in exported] == [e["type"] for e in spec["elements"]]
    for want, got in zip(spec["elements"], exported, strict=True):
        if want["type"] == "text":
            assert got["text"] == " ".join(want["text"].split())
            continue
        original = posts[(want["source"], want["source_id"])]
        assert original["author"]["name"] in got["text"]
        assert " ".join(original["text"].split()) in got["text"]
        assert "May 29 2012" in got["text"]
        if original["url"]:
            assert original["url"] in got["links"]
        if original["author"]["url"]:
            assert original["author"]["url"] in got["links"]
    pinned = [posts[(e["source"], e["source_id"])] for e in spec["elements"] if e["type"] == "item"]
    originals = re.findall(r'<a class="original"[^>]*\shref="([^"]+)"', demo_export)
    assert originals == [p["url"] for p in pinned if p["url"]]


def test_the_export_runs_no_script_and_fetches_nothing_but_images(demo_export):
    demo_export = without_archive(demo_export)
    assert "<script" not in demo_export.lower()
    assert not re.search(r"\son[a-z]+\s*=", demo_export, re.IGNORECASE)
    assert "javascript:" not in demo_export.lower()
    assert not re.search(r"<(link|iframe|object|embed|frame|base|form)\b", demo_export, re.IGNORECASE)
    assert "@import" not in demo_export and "url(" not in demo_export
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in demo_export
    for tag in re.findall(r"<[a-z]+[^>]*\ssrc=[^>]*>", demo_export):
        assert tag.startswith("<img"), tag
    assert "<style>" in demo_export  # the CSS is inline


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_texts_stay_escaped_in_the_export(client, db, curators):
    demo = feed(db)
    item = post(db, demo, 1, text=HOSTILE, author={"name": HOSTILE, "handle": 'h"><script>'})
    html_item = post(db, demo, 2, text="", html=f"<p>fine</p>{HOSTILE}<a href='javascript:x()'>go</a>")
    owned = story(db, curators.create("ada"), title=HOSTILE, description=HOSTILE)
    add_element(db, owned, {"type": "text", "text": HOSTILE})
    add_element(db, owned, {"type": "text", "text": HOSTILE, "style": "heading"})
    add_element(db, owned, {"type": "item", "item_id": item["id"], "annotation": HOSTILE})
    add_element(db, owned, {"type": "item", "item_id": html_item["id"]})
    add_element(db, owned, {"type": "link", "url": "https://ok.example/", "title": HOSTILE, "text": HOSTILE})
    exported = without_archive(client.get(f"/stories/{owned['slug']}/export.html").get_data(as_text=True))
    assert "<script" not in exported.lower()
    assert not re.search(r"<img[^>]*onerror", exported, re.IGNORECASE)
    assert "javascript:" not in exported.lower()
    assert "&lt;script&gt;" in exported  # shown as text, not dropped silently
    assert "fine" in exported


def test_the_cli_export_writes_the_same_document(runner, client, db, tmp_path):
    install_demo(db)
    target = tmp_path / "story.html"
    result = runner.invoke(args=["export", "kredcrew-summit", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    downloaded = client.get("/stories/kredcrew-summit/export.html").get_data(as_text=True)
    written = target.read_text("utf-8")
    assert EXPORTED_AT.search(written)
    assert EXPORTED_AT.sub("", written) == EXPORTED_AT.sub("", downloaded)


def test_a_draft_cannot_be_exported_by_a_viewer(client, db, curators):
    draft = story(db, curators.create("ada"), status="draft")
    assert client.get(f"/stories/{draft['slug']}/export.html").status_code == 404
    assert client.get("/stories/nope/export.html").status_code == 404
