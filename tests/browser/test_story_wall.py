"""A story's wall in the room (issue 9): it scales like the feed's wall, follows the curators'
edits live, pauses its pages while the tab is hidden, and turns pages without motion when the
viewer asks for reduced motion."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, csp_violations, joined, screenshot, watch
from tests.browser.test_wall import LONG_TEXT, MIN_TEXT_PX, SCREENS

SHOWN = "() => [...document.querySelectorAll('#elements > li')].filter((li) => !li.hidden).length"
LAYOUT = """() => {
  const d = document.documentElement;
  const cards = [...document.querySelectorAll('#elements > li:not([hidden])')];
  const boxes = cards.flatMap((li) =>
    [...li.querySelectorAll('.item, .text-block, .link-card, .annotation')]);
  return {
    scroll: [d.scrollWidth, d.clientWidth, d.scrollHeight, d.clientHeight],
    outside: cards.filter((c) => { const r = c.getBoundingClientRect();
      return r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5; }).length,
    overfull: boxes.filter((b) => b.scrollHeight > b.clientHeight + 1 || b.scrollWidth > b.clientWidth + 1)
      .map((b) => b.className),
    textPx: Math.min(...[...document.querySelectorAll('#elements > li:not([hidden]) .item-text')]
      .map((t) => parseFloat(getComputedStyle(t).fontSize))),
  };
}"""


def _story_with_elements(site: Site, posts: int, title: str = "Summit on the big screen") -> dict[str, Any]:
    """This test's feed with `posts` posts, a live story pinning each (a note on every other), a heading."""
    site.make_feed()
    story = site.make_story(site.feed, title=title)
    slug = story["slug"]
    site.api(
        "POST", f"/stories/{slug}/elements", {"type": "text", "text": "Morning keynote", "style": "heading"}
    )
    for n in range(posts):
        fields: dict[str, Any] = {}
        if n % 4 == 1:
            fields["media"] = [{"type": "image", "url": f"https://example.org/{n}.jpg", "alt": f"Photo {n}"}]
        item = site.post_item(site.feed, f"{n}: " + LONG_TEXT.format(tag=site.feed), **fields)
        element = {"type": "item", "item_id": item["id"]}
        if n % 2:
            element["annotation"] = "The room agreed loudly"
        site.api("POST", f"/stories/{slug}/elements", element)
    return story


@pytest.mark.parametrize("screen", ["phone", "laptop", "projector", "projector-4k"])
def test_the_story_wall_fits_the_screen_and_scales_to_the_projector(site, new_context, screen):
    story = _story_with_elements(site, 14)
    page = new_context(viewport=SCREENS[screen], device_scale_factor=1).new_page()
    problems = watch(page)
    page.goto(f"{site.url}/stories/{story['slug']}/wall")
    joined(page)
    page.evaluate("() => document.fonts.ready")
    screenshot(page, f"story-wall-{screen}", full_page=False)
    layout = page.evaluate(LAYOUT)
    width, client_width, height, client_height = layout["scroll"]
    assert width <= client_width and height <= client_height, f"scrollbars: {layout['scroll']}"
    assert layout["outside"] == 0 and layout["overfull"] == [], layout
    if screen in MIN_TEXT_PX:
        assert layout["textPx"] >= MIN_TEXT_PX[screen], layout
        assert 6 <= page.evaluate(SHOWN) <= 12
    assert not problems and not csp_violations(page), (problems.messages, csp_violations(page))


def test_the_story_wall_follows_edits_moves_and_removals_live(site, new_context):
    site.make_feed()
    story = site.make_story(site.feed, title="Live edits")
    slug = story["slug"]
    first = site.api(
        "POST", f"/stories/{slug}/elements", {"type": "text", "text": "First words", "style": "paragraph"}
    )
    page = new_context(viewport=SCREENS["projector"]).new_page()
    page.goto(f"{site.url}/stories/{slug}/wall")
    joined(page)
    item = site.post_item(site.feed, f"A post pinned while the wall is open #{site.feed}")
    pin = site.api("POST", f"/stories/{slug}/elements", {"type": "item", "item_id": item["id"]})
    page.wait_for_selector(
        f'#elements > li[data-element-id="{pin["id"]}"] .item-text:has-text("pinned while")'
    )
    site.api("PATCH", f"/stories/{slug}/elements/{first['id']}", {"text": "Edited words"})
    page.wait_for_selector(f'#elements > li[data-element-id="{first["id"]}"]:has-text("Edited words")')
    site.api("PATCH", f"/stories/{slug}/elements/{pin['id']}", {"position": 0})
    page.wait_for_selector(f'#elements > li:first-child[data-element-id="{pin["id"]}"]')
    site.api("PATCH", f"/stories/{slug}", {"title": "Live edits, renamed"})
    page.wait_for_selector('.wall-banner h1:has-text("Live edits, renamed")')
    site.api("PATCH", f"/feeds/{site.feed}/items/{item['id']}", {"status": "hidden"})
    page.wait_for_selector(f'#elements > li[data-element-id="{pin["id"]}"][hidden]', state="attached")
    assert "pinned while" not in page.locator("#elements").inner_text()
    site.api("DELETE", f"/stories/{slug}/elements/{first['id']}")
    page.wait_for_selector(f'#elements > li[data-element-id="{first["id"]}"]', state="detached")
    assert page.evaluate(SHOWN) == 0 and page.locator("#empty").is_visible()


def _hide_tab(page: Any, hidden: bool) -> None:
    """What a browser does when the wall's tab goes to the background (or comes back)."""
    page.evaluate(
        """(hidden) => {
          Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
          Object.defineProperty(document, "visibilityState", { configurable: true,
            get: () => hidden ? "hidden" : "visible" });
          document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


def test_the_wall_stops_paging_while_its_tab_is_hidden(site, new_context):
    story = _story_with_elements(site, 9)  # 10 elements: two pages of 6
    page = new_context(viewport=SCREENS["projector"]).new_page()
    page.clock.install()  # the page's timers run when the test says so
    page.goto(f"{site.url}/stories/{story['slug']}/wall?speed=2&columns=3")
    joined(page)
    page.clock.run_for(2100)
    assert page.evaluate("() => document.body.dataset.page") == "1"  # it pages while shown
    _hide_tab(page, True)
    assert page.evaluate("() => document.body.dataset.running") == "0"
    page.clock.run_for(10_000)  # five page times in the background
    assert page.evaluate("() => document.body.dataset.page") == "1"
    _hide_tab(page, False)
    assert page.evaluate("() => document.body.dataset.running") == "1"
    page.clock.run_for(2100)
    assert page.evaluate("() => document.body.dataset.page") == "0"


def test_with_reduced_motion_pages_change_without_animation(site, new_context):
    story = _story_with_elements(site, 9)
    context = new_context(viewport=SCREENS["projector"], reduced_motion="reduce")
    page = context.new_page()
    page.clock.install()
    page.goto(f"{site.url}/stories/{story['slug']}/wall?speed=2&columns=3")
    joined(page)
    page.clock.run_for(2100)
    assert page.evaluate("() => document.body.dataset.page") == "1"
    assert page.locator("#elements").get_attribute("class").split().count("turning") == 1
    assert (
        page.evaluate("() => getComputedStyle(document.getElementById('elements')).animationName") == "none"
    )
    assert page.evaluate("() => document.getAnimations().length") == 0
    moving = new_context(viewport=SCREENS["projector"]).new_page()
    moving.clock.install()
    moving.goto(f"{site.url}/stories/{story['slug']}/wall?speed=2&columns=3")
    joined(moving)
    moving.clock.run_for(2100)
    assert moving.evaluate("() => document.body.dataset.page") == "1"
    assert (
        moving.evaluate("() => getComputedStyle(document.getElementById('elements')).animationName")
        == "wall-turn"
    )
