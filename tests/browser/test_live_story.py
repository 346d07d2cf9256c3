"""A curator edits a story in one browser; a viewer in another sees every change live."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.browser.conftest import Site, log_in


def _joined(page: Any) -> None:
    """Wait until the page has joined its live room (live.js marks the body)."""
    page.wait_for_selector("body[data-last-seq]", state="attached")


def _timed(label: str, act: Callable[[], Any], appear: Callable[[], Any]) -> float:
    """Run the curator's action, wait for its effect in the viewer; print wall-clock seconds."""
    start = time.monotonic()
    act()
    appear()
    seconds = time.monotonic() - start
    print(f"curator {label} -> viewer: {seconds * 1000:.0f} ms")
    return seconds


def _story_with_posts(site: Site) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    site.make_feed("live")
    posts = [site.post_item("live", f"Post number {n} from the room #live") for n in range(3)]
    return site.make_story("live", title="Live from the room"), posts


def test_viewer_sees_pin_from_curator_in_another_context_without_reload(site, new_context):
    story, posts = _story_with_posts(site)
    slug = story["slug"]
    curator = new_context().new_page()
    log_in(curator, site, f"/stories/{slug}/edit")
    viewer = new_context().new_page()
    viewer.goto(f"{site.url}/stories/{slug}")
    _joined(viewer)
    _joined(curator)
    loads = []
    viewer.on("load", lambda _page: loads.append(1))
    pinned = posts[1]["id"]

    _timed(
        "pin",
        lambda: curator.click(f'#stream > li[data-item-id="{pinned}"] button.pin'),
        lambda: viewer.wait_for_selector(f'#elements .item[data-item-id="{pinned}"]'),
    )
    assert "Post number 1" in viewer.inner_text("#elements")

    def add_heading() -> None:
        curator.fill("#new-text", "The keynote starts")
        curator.select_option("#new-style", "heading")
        curator.click("#add-text button[type=submit]")

    _timed(
        "text block", add_heading, lambda: viewer.wait_for_selector("#elements h2:text('The keynote starts')")
    )
    assert viewer.locator("#elements > li").count() == 2

    def annotate() -> None:  # in place (issue 4), no window.prompt
        curator.click('#elements > li[data-type="item"] [data-action="edit"]')
        curator.locator(".inline-editor").fill("Best line of the day")
        curator.click("[data-format=save]")

    _timed(
        "annotation",
        annotate,
        lambda: viewer.wait_for_selector("#elements .annotation:text('Best line of the day')"),
    )

    def first_type() -> str:
        return viewer.get_attribute("#elements > li:first-child", "data-type")

    assert first_type() == "item"
    _timed(
        "move",
        lambda: curator.click('#elements > li[data-type="text"] [data-action="up"]'),
        lambda: viewer.wait_for_function(
            "() => document.querySelector('#elements > li:first-child').dataset.type === 'text'"
        ),
    )

    _timed(
        "remove",
        lambda: curator.click('#elements > li[data-type="item"] [data-action="remove"]'),
        lambda: viewer.wait_for_selector(f'#elements .item[data-item-id="{pinned}"]', state="detached"),
    )
    assert viewer.locator("#elements > li").count() == 1

    def retitle() -> None:
        curator.click(".story-settings > summary")  # the header fields are folded (issue 4)
        curator.fill("#title", "Live from the room, day two")
        curator.click("#meta button[type=submit]")

    _timed(
        "title edit",
        retitle,
        lambda: viewer.wait_for_selector(".story-header h1:text-is('Live from the room, day two')"),
    )
    assert viewer.title().startswith("Live from the room, day two")
    assert loads == [], "the viewer's page reloaded"
    assert site.api("GET", f"/stories/{slug}")["title"] == "Live from the room, day two"
