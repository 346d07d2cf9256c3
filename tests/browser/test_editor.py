"""The curator's editor without a mouse, and with one: keyboard moves, drag and drop."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site, joined, log_in, story_with_posts


def _order(page: Any) -> list[str]:
    """The ids of the pinned posts in the editor's story panel, top to bottom."""
    return page.eval_on_selector_all("#elements > li .item", "cards => cards.map(c => c.dataset.itemId)")


def _stored_order(site: Site, slug: str) -> list[str]:
    return [e["item"]["id"] for e in site.api("GET", f"/stories/{slug}")["elements"] if e["type"] == "item"]


def _editor_with_pins(site: Site, new_context: Any, height: int = 768) -> tuple[Any, str, list[str]]:
    """A story with the three posts pinned in order, open in ada's editor on a laptop-wide screen."""
    story, posts = story_with_posts(site)
    slug = story["slug"]
    for post in posts:
        site.api("POST", f"/stories/{slug}/elements", {"type": "item", "item_id": post["id"]})
    curator = new_context(viewport={"width": 1366, "height": height}).new_page()
    log_in(curator, site, f"/stories/{slug}/edit")
    joined(curator)
    return curator, slug, [post["id"] for post in posts]


def _wait_at(page: Any, nth: int, item_id: str) -> None:
    """Wait until the story panel's `nth` element (1-based) is the pin of `item_id`."""
    page.wait_for_function(
        "([nth, id]) => document.querySelector(`#elements > li:nth-child(${nth}) .item`)"
        "?.dataset.itemId === id",
        arg=[nth, item_id],
    )


def test_editor_controls_are_reachable_by_tab_and_alt_arrows_move_the_focused_element(site, new_context):
    curator, slug, ids = _editor_with_pins(site, new_context)
    first = curator.locator("#elements > li").first
    first.focus()
    curator.keyboard.press("Tab")  # the story is one tab stop (issue 11): Tab leaves it
    assert not curator.evaluate("() => !!document.activeElement.closest('#elements')")
    first.focus()
    curator.keyboard.press("a")  # its actions: A opens them, → goes along, Esc goes back
    reached = [curator.evaluate("() => document.activeElement.dataset.action")]
    for _ in range(6):
        curator.keyboard.press("ArrowRight")
        reached.append(curator.evaluate("() => document.activeElement.dataset.action"))
    assert reached[0] == "select" and {"up", "down", "edit", "remove"} <= set(reached), reached
    curator.keyboard.press("Escape")
    assert curator.evaluate("() => document.activeElement.matches('#elements > li:first-child')")

    first.focus()
    curator.keyboard.press("Alt+ArrowDown")
    _wait_at(curator, 2, ids[0])
    focused = "() => document.activeElement.querySelector('.item')?.dataset.itemId"
    assert curator.evaluate(focused) == ids[0]
    curator.keyboard.press("Alt+ArrowDown")
    _wait_at(curator, 3, ids[0])
    curator.keyboard.press("Alt+ArrowUp")
    _wait_at(curator, 2, ids[0])
    assert _order(curator) == [ids[1], ids[0], ids[2]] == _stored_order(site, slug)
    assert curator.evaluate(focused) == ids[0]

    curator.keyboard.press("a")  # onto its "Select" button: Alt+arrows still move the element
    curator.keyboard.press("Alt+ArrowUp")
    _wait_at(curator, 1, ids[0])
    assert curator.evaluate("() => document.activeElement.dataset.action") == "select"
    curator.locator("#elements > li").first.focus()
    curator.keyboard.press("Alt+ArrowDown")
    _wait_at(curator, 2, ids[0])

    curator.keyboard.press("Delete")
    curator.wait_for_selector(f'#elements .item[data-item-id="{ids[0]}"]', state="detached")
    assert curator.evaluate(focused) == ids[2], "focus left the list after a removal"
    assert _stored_order(site, slug) == [ids[1], ids[2]]


def test_curator_drags_a_post_into_the_story_and_reorders_by_dragging(site, new_context):
    # Tall enough that nothing scrolls mid-drag: Playwright's drag does not drive autoscroll.
    curator, slug, _ids = _editor_with_pins(site, new_context, height=2000)
    extra = site.post_item(site.feed, "A late post worth pinning")
    curator.click("#show-new")  # new posts wait above the stream until shown (issue 4)
    curator.wait_for_selector(f'#stream > li[data-item-id="{extra["id"]}"]')
    curator.locator(f'#stream > li[data-item-id="{extra["id"]}"] .item-text').drag_to(
        curator.locator("#elements > li").nth(1), target_position={"x": 20, "y": 5}
    )
    curator.wait_for_function("n => document.querySelectorAll('#elements > li').length === n", arg=4)
    assert _order(curator) == _stored_order(site, slug)
    assert extra["id"] in _order(curator)[:2]
    assert curator.locator("#elements > li:not([data-element-id])").count() == 0

    before = _order(curator)
    curator.locator("#elements > li").nth(3).drag_to(
        curator.locator("#elements > li").nth(0),
        source_position={"x": 4, "y": 4},  # the element's own margin, not a control or a link
        target_position={"x": 20, "y": 5},
    )
    _wait_at(curator, 1, before[3])
    assert _order(curator) == [before[3], *before[:3]] == _stored_order(site, slug)


def test_pin_and_text_go_under_the_selected_element_until_it_is_removed(site, new_context):
    curator, slug, ids = _editor_with_pins(site, new_context)
    extra = site.post_item(site.feed, "Pinned under the first one")
    curator.click("#show-new")  # new posts wait above the stream until shown (issue 4)
    curator.wait_for_selector(f'#stream > li[data-item-id="{extra["id"]}"]')
    curator.locator("#elements > li").first.focus()
    curator.keyboard.press(" ")
    assert curator.get_attribute("#elements > li:first-child", "aria-pressed") is None
    assert (
        curator.get_attribute('#elements > li:first-child [data-action="select"]', "aria-pressed") == "true"
    )
    curator.click(f'#stream > li[data-item-id="{extra["id"]}"] button.pin')
    _wait_at(curator, 2, extra["id"])

    curator.fill("#new-text", "Under the first one too")
    curator.click("#add-text button[type=submit]")
    curator.wait_for_selector("#elements > li:nth-child(2) .text-block:text('Under the first one too')")

    site.api("DELETE", f"/stories/{slug}/elements/{_element_of(site, slug, ids[0])}")  # another curator
    curator.wait_for_selector(f'#elements .item[data-item-id="{ids[0]}"]', state="detached")
    curator.fill("#new-text", "At the end now")
    curator.click("#add-text button[type=submit]")
    curator.wait_for_selector("#elements > li:last-child .text-block:text('At the end now')")


def _element_of(site: Site, slug: str, item_id: str) -> str:
    elements = site.api("GET", f"/stories/{slug}")["elements"]
    return next(e["id"] for e in elements if e["type"] == "item" and e["item"]["id"] == item_id)
