"""Screenshots of the demo on a phone, on a projector and in the editor, for a human to look at.

They are saved under test-artifacts/ (git-ignored). The test also fails on what a screenshot
would show as broken: a page wider than the screen.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in, screenshot, watch

SCREENS = {"phone": {"width": 390, "height": 844}, "projector": {"width": 1920, "height": 1080}}
PAGES = {"story": "/stories/kredcrew-summit", "feed": "/feeds/kredcrew", "wall": "/feeds/kredcrew/wall"}


def _assert_fits(page: Any) -> None:
    overflow = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert overflow[0] <= overflow[1], f"the page is wider than the screen: {overflow}"


@pytest.mark.parametrize("screen", SCREENS)
def test_story_feed_and_wall_fit_the_screen(demo_site, new_context, screen):
    context = new_context(viewport=SCREENS[screen], device_scale_factor=1, is_mobile=screen == "phone")
    for name, path in PAGES.items():
        page = context.new_page()
        problems = watch(page)
        page.goto(demo_site.url + path)
        page.wait_for_selector("body[data-last-seq]", state="attached")
        page.evaluate("() => document.fonts.ready")
        screenshot(page, f"{name}-{screen}")
        _assert_fits(page)
        assert not problems, problems.messages
        page.close()


def test_editor_fits_a_laptop(demo_site, new_context):
    page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    problems = watch(page)
    log_in(page, demo_site, "/stories/kredcrew-summit/edit")
    page.wait_for_selector("body[data-last-seq]", state="attached")
    screenshot(page, "editor-laptop")
    page.locator("#elements > li").nth(8).focus()
    screenshot(page, "editor-laptop-focused", full_page=False)
    _assert_fits(page)
    assert not problems, problems.messages


LONG_URL = "https://example.org/" + "/".join(["a-very-long-path-segment"] * 6)
LONG_WORD = "Unbreakable" * 12


def test_long_links_and_words_wrap_on_a_phone(site, new_context):
    site.make_feed()
    item = site.post_item(site.feed, f"{LONG_WORD} {LONG_URL} #live", author={"name": LONG_WORD})
    slug = site.make_story(site.feed, title=LONG_WORD)["slug"]
    for element in (
        {"type": "item", "item_id": item["id"], "annotation": f"See {LONG_URL}"},
        {"type": "text", "style": "heading", "text": LONG_WORD},
        {"type": "text", "style": "paragraph", "text": f"{LONG_WORD} {LONG_URL}"},
        {"type": "link", "url": LONG_URL, "title": LONG_WORD, "text": LONG_WORD},
    ):
        site.api("POST", f"/stories/{slug}/elements", element)
    context = new_context(viewport=SCREENS["phone"], is_mobile=True)
    page = context.new_page()
    log_in(page, site, f"/stories/{slug}/edit")
    for path in (
        f"/stories/{slug}/edit",
        f"/stories/{slug}",
        f"/feeds/{site.feed}",
        f"/feeds/{site.feed}/wall",
    ):
        page.goto(site.url + path)
        page.wait_for_selector("body[data-last-seq]", state="attached")
        _assert_fits(page)
    screenshot(page, "wall-phone-long-words")


def test_curator_pages_fit_a_phone(demo_site, new_context):
    page = new_context(viewport=SCREENS["phone"], is_mobile=True).new_page()
    problems = watch(page)
    log_in(page, demo_site, "/feeds/kredcrew")
    page.click(".source-health summary")
    screenshot(page, "feed-curator-phone", full_page=False)
    _assert_fits(page)
    page.goto(demo_site.url + "/stories/kredcrew-summit/edit")
    page.wait_for_selector("body[data-last-seq]", state="attached")
    screenshot(page, "editor-phone")
    _assert_fits(page)
    assert not problems, problems.messages
