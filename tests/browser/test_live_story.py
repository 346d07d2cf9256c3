"""A curator edits a story in one browser; a viewer in another sees every change live."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.browser.conftest import joined, log_in, story_with_posts

MUTATION_CLOCK = """() => {
  window.__changes = [];
  new MutationObserver(() => window.__changes.push(Date.now()))
    .observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


def _timed(viewer: Any, label: str, act: Callable[[], Any], appear: Callable[[], Any]) -> float:
    """Run the curator's action, wait for its effect in the viewer; print wall-clock milliseconds.

    Two figures: when `wait_for_*` returned in this process (includes Playwright's polling),
    and when the viewer's DOM first changed (its Date.now(): the same machine clock).
    """
    viewer.evaluate("() => { window.__changes.length = 0; }")
    start = time.time()
    act()
    appear()
    returned = time.time() - start
    changed = viewer.evaluate("() => window.__changes[0]") / 1000 - start
    print(f"curator {label} -> viewer: DOM {changed * 1000:.0f} ms, wait returned {returned * 1000:.0f} ms")
    return returned


def test_viewer_sees_pin_from_curator_in_another_context_without_reload(site, new_context):
    story, posts = story_with_posts(site)
    slug = story["slug"]
    curator = new_context().new_page()
    log_in(curator, site, f"/stories/{slug}/edit")
    viewer = new_context().new_page()
    viewer.goto(f"{site.url}/stories/{slug}")
    joined(viewer)
    joined(curator)
    viewer.evaluate(MUTATION_CLOCK)
    loads = []
    viewer.on("load", lambda _page: loads.append(1))
    pinned = posts[1]["id"]

    _timed(
        viewer,
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
        viewer,
        "text block",
        add_heading,
        lambda: viewer.wait_for_selector("#elements h2:text('The keynote starts')"),
    )
    assert viewer.locator("#elements > li").count() == 2

    def annotate() -> None:  # in place (issue 4), no window.prompt
        curator.click('#elements > li[data-type="item"] [data-action="edit"]')
        curator.locator(".inline-editor").fill("Best line of the day")
        curator.click("[data-format=save]")

    _timed(
        viewer,
        "annotation",
        annotate,
        lambda: viewer.wait_for_selector("#elements .annotation:text('Best line of the day')"),
    )

    def first_type() -> str:
        return viewer.get_attribute("#elements > li:first-child", "data-type")

    assert first_type() == "item"
    _timed(
        viewer,
        "move",
        lambda: curator.click('#elements > li[data-type="text"] [data-action="up"]'),
        lambda: viewer.wait_for_function(
            "() => document.querySelector('#elements > li:first-child').dataset.type === 'text'"
        ),
    )

    _timed(
        viewer,
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
        viewer,
        "title edit",
        retitle,
        lambda: viewer.wait_for_selector(".story-header h1:text-is('Live from the room, day two')"),
    )
    assert viewer.title().startswith("Live from the room, day two")
    assert loads == [], "the viewer's page reloaded"
    assert site.api("GET", f"/stories/{slug}")["title"] == "Live from the room, day two"
