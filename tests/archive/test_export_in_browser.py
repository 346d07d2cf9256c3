"""A real browser opens exported files with every network request blocked, and compares with the live page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.synthetic import synthetic_archive
from stories.archive import from_archive
from stories.formats import export_story
from stories.media import MediaFetcher
from tests.archive.conftest import curated_story
from tests.conftest import ARTIFACTS


def open_offline(browser: Any, path: Path, **context: Any) -> tuple[Any, Any, list[str]]:
    """Open `path` in a new page where every request but the file itself is aborted; return what was asked."""
    own = path.resolve().as_uri()
    asked: list[str] = []
    browser_context = browser.new_context(**context)
    page = browser_context.new_page()
    page.on("request", lambda request: asked.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url == own else route.abort())
    page.goto(own)
    page.wait_for_load_state("load")
    return browser_context, page, [url for url in asked if url != own]


def layout(page: Any) -> list[dict[str, Any]]:
    """Each element's type, text (times aside: the live page shows them in local time) and box, in order."""
    return page.eval_on_selector_all(
        "ol.elements > li.element",
        """nodes => nodes.map(node => {
            const box = node.getBoundingClientRect(), copy = node.cloneNode(true);
            copy.querySelectorAll("time").forEach(time => time.remove());
            const text = copy.textContent.replace(/\\s+/g, " ").trim();
            return {type: node.dataset.type, text, width: box.width, height: box.height};
        })""",
    )


def test_an_embedded_export_shows_every_element_and_makes_no_request(
    browser: Any, db: Any, image_server: str, tmp_path: Path
) -> None:
    story = curated_story(db, image_base=image_server)
    path = tmp_path / "curated.html"
    path.write_text(export_story(db, story, "html", fetcher=MediaFetcher(allow_private=True)).text, "utf-8")
    context, page, asked = open_offline(browser, path)
    try:
        assert asked == []
        elements = layout(page)
        assert [e["type"] for e in elements] == [
            "text",
            "item",
            "item",
            "item",
            "item",
            "text",
            "item",
            "item",
            "link",
        ]
        assert all(e["height"] > 0 for e in elements)
        assert page.locator(".item-author .author-name").all_inner_texts() == [
            f"Poster {n}" for n in range(6)
        ]
        loaded = page.eval_on_selector_all(
            "img", "images => images.map(i => i.complete && i.naturalWidth > 0)"
        )
        assert len(loaded) == 9 and all(loaded)
        assert page.locator("h1").inner_text() == "Curated <story>"
        assert "Storified by Ada" in page.locator(".byline").inner_text()
        assert (
            page.locator(".item-text")
            .first.inner_text()
            .startswith("Post 0 </script><script>alert(1)</script>")
        )
        assert page.locator("script[type='application/json']").count() == 1
        page.emulate_media(media="print")
        after = page.eval_on_selector("a.original", "a => getComputedStyle(a, '::after').content")
        assert "https://x.com/poster0/status/0" in after
        page.emulate_media(media="screen")
        ARTIFACTS.mkdir(exist_ok=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "archive-export-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_a_plain_export_of_hundreds_of_elements_asks_only_for_its_images(
    browser: Any, db: Any, tmp_path: Path
) -> None:
    archive = synthetic_archive(400)
    story = from_archive(db, archive)
    path = tmp_path / "big.html"
    path.write_text(export_story(db, story, "html").text, "utf-8")
    context, page, asked = open_offline(browser, path)
    try:
        elements = layout(page)
        assert len(elements) == 400
        posts = [e for e in elements if e["type"] == "item"]
        assert len(posts) == len(archive["items"])
        assert all(
            f"Poster {item['source_id'].split('-')[1]} (fictional)" in e["text"]
            for e, item in zip(posts, archive["items"], strict=True)
        )
        images = {item["author"]["avatar"] for item in archive["items"]} | {
            media["url"] for item in archive["items"] for media in item["media"]
        }
        assert asked and set(asked) <= images
    finally:
        context.close()


def test_the_export_looks_like_the_live_story(
    browser: Any, db: Any, image_server: str, live_server: Any, tmp_path: Path
) -> None:
    story = curated_story(db, image_base=image_server)
    exported = tmp_path / "curated.html"
    fetcher = MediaFetcher(allow_private=True)  # both pages then show the same images
    exported.write_text(export_story(db, story, "html", fetcher=fetcher).text, "utf-8")
    server = live_server()
    assert "Imported story 'curated'" in server.cli("import", str(exported), "--format", "tagstory")
    ARTIFACTS.mkdir(exist_ok=True)
    size = {"viewport": {"width": 1000, "height": 900}}
    live_context = browser.new_context(**size)
    context, page, _ = open_offline(browser, exported, **size)
    try:
        live = live_context.new_page()
        live.goto(f"{server.url}/stories/curated")
        live.wait_for_load_state("load")
        live.screenshot(path=str(ARTIFACTS / "archive-live.png"), full_page=True)
        page.screenshot(path=str(ARTIFACTS / "archive-export.png"), full_page=True)
        live_layout, export_layout = layout(live), layout(page)
        assert [(e["type"], e["text"]) for e in export_layout] == [
            (e["type"], e["text"]) for e in live_layout
        ]
        for ours, theirs in zip(export_layout, live_layout, strict=True):
            assert abs(ours["width"] - theirs["width"]) <= 0.1 * theirs["width"]
            assert abs(ours["height"] - theirs["height"]) <= max(12, 0.25 * theirs["height"])
    finally:
        context.close()
        live_context.close()
