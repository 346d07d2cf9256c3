"""The wall for the room (issue 9): it scales with the projector, pages on a timer, and a post
that arrives live looks exactly like one the server rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.conftest import Site, csp_violations, joined, log_in, screenshot, watch

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = {
    "phone": {"width": 390, "height": 844},
    "laptop": {"width": 1366, "height": 768},
    "projector": {"width": 1920, "height": 1080},
    "projector-4k": {"width": 3840, "height": 2160},
}
MIN_TEXT_PX = {"projector": 32, "projector-4k": 60}  # the floor for post text
LONG_TEXT = (
    "Keynote starts in five minutes in the main hall, bring questions for the panel about "
    "open data and the city budget #{tag} — see you there, and do not forget the coffee upstairs"
)

# What a post looks like in the DOM: tags and classes, recursively (text and ids left out).
STRUCTURE = """(li) => {
  const shape = (el) => ({tag: el.tagName, cls: [...el.classList].sort().join(" "),
                          kids: [...el.children].map(shape)});
  return shape(li);
}"""

VISIBLE_POSTS = "() => [...document.querySelectorAll('#items > li')].filter((li) => !li.hidden).length"
LAYOUT = """() => {
  const d = document.documentElement;
  const cards = [...document.querySelectorAll('#items > li:not([hidden]) .item')];
  return {
    scroll: [d.scrollWidth, d.clientWidth, d.scrollHeight, d.clientHeight],
    outside: cards.filter((c) => { const r = c.getBoundingClientRect();
      return r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5; }).length,
    overfull: cards.filter((c) => c.scrollHeight > c.clientHeight + 1).length,
    textPx: Math.min(...cards.map((c) =>
      parseFloat(getComputedStyle(c.querySelector('.item-text')).fontSize))),
    cursor: getComputedStyle(document.body).cursor,
  };
}"""


def _feed_with_posts(site: Site, count: int) -> None:
    site.make_feed()
    for n in range(count):
        fields: dict[str, Any] = {}
        if n % 4 == 1:
            fields["media"] = [{"type": "image", "url": f"https://example.org/{n}.jpg", "alt": f"Photo {n}"}]
        site.post_item(site.feed, f"{n}: " + LONG_TEXT.format(tag=site.feed), **fields)


@pytest.mark.parametrize("screen", ["projector", "projector-4k"])
def test_the_wall_scales_to_the_projector(site, new_context, screen):
    _feed_with_posts(site, 20)
    page = new_context(viewport=SCREENS[screen], device_scale_factor=1).new_page()
    problems = watch(page)
    page.goto(f"{site.url}/feeds/{site.feed}/wall")
    joined(page)
    page.evaluate("() => document.fonts.ready")
    screenshot(page, f"wall-{screen}", full_page=False)
    layout = page.evaluate(LAYOUT)
    width, client_width, height, client_height = layout["scroll"]
    assert width <= client_width and height <= client_height, f"scrollbars: {layout['scroll']}"
    assert layout["textPx"] >= MIN_TEXT_PX[screen], layout
    assert 6 <= page.evaluate(VISIBLE_POSTS) <= 12
    assert layout["outside"] == 0 and layout["overfull"] == 0, layout
    assert layout["cursor"] == "none"
    assert not problems and not csp_violations(page), (problems.messages, csp_violations(page))


@pytest.mark.parametrize("path", ["/feeds/{feed}", "/feeds/{feed}/wall"])
def test_a_live_post_has_the_markup_of_a_server_rendered_one(site, new_context, path):
    site.make_feed()
    site.post_item(site.feed, f"Rendered by the server #{site.feed}")
    page = new_context(viewport=SCREENS["laptop"]).new_page()
    page.goto(site.url + path.format(feed=site.feed))
    joined(page)
    served = page.eval_on_selector("#items > li", STRUCTURE)
    site.post_item(site.feed, f"Arrived live #{site.feed}")
    page.wait_for_selector("#items > li:nth-child(2)", state="attached")
    live = page.locator("#items > li").first
    assert "Arrived live" in live.inner_text()
    assert live.evaluate(STRUCTURE) == {**served, "cls": live.evaluate("(li) => li.className")}
    assert page.locator("#items > li > li, #items li li").count() == 0


def test_the_wall_pages_through_more_posts_than_fit(site, new_context):
    _feed_with_posts(site, 14)
    page = new_context(viewport=SCREENS["projector"]).new_page()
    page.clock.install()  # the page turns when the test says so, however loaded the machine is
    page.goto(f"{site.url}/feeds/{site.feed}/wall?speed=2&columns=3")
    joined(page)
    assert page.evaluate(VISIBLE_POSTS) == 6
    assert page.evaluate("() => document.body.dataset.page") == "0"
    first = page.locator("#items > li:not([hidden]) .item").first.get_attribute("data-item-id")
    page.clock.run_for(2100)
    assert page.evaluate("() => document.body.dataset.page") == "1"
    assert page.locator("#items > li:not([hidden]) .item").first.get_attribute("data-item-id") != first
    assert page.locator("#wall-page").inner_text() == "2 / 3"


def test_the_wall_options_come_from_the_url(site, new_context):
    _feed_with_posts(site, 3)
    page = new_context(viewport=SCREENS["laptop"]).new_page()
    page.goto(f"{site.url}/feeds/{site.feed}/wall?theme=light&columns=2&handles=0")
    joined(page)
    assert page.evaluate("() => document.body.className") == "wall theme-light no-handles"
    assert page.locator(".author-handle").first.is_hidden()
    columns = page.evaluate("() => getComputedStyle(document.getElementById('items')).gridTemplateColumns")
    assert len(columns.split()) == 2, columns
    assert page.locator("#wall-qr svg path").count() == 1  # drawn by the vendored qrcode-generator
    assert f"Post with #{site.feed}" in page.locator(".wall-call").inner_text()


@pytest.mark.parametrize(
    "query", ["theme=neon", "columns=0", "columns=9", "speed=1", "speed=fast", "handles=yes"]
)
def test_a_bad_wall_option_is_a_clear_400(site, query):
    site.make_feed()
    response = requests.get(f"{site.url}/feeds/{site.feed}/wall?{query}", timeout=10)
    assert response.status_code == 400, (query, response.status_code)
    assert query.split("=")[0] in response.text


def test_the_wall_holds_a_bounded_number_of_posts(site, new_context):
    site.make_feed()
    page = new_context(viewport=SCREENS["laptop"]).new_page()
    page.goto(f"{site.url}/feeds/{site.feed}/wall")
    joined(page)
    keep = int(page.evaluate("() => document.body.dataset.keep"))
    for n in range(keep + 5):
        site.post_item(site.feed, f"Post {n} #{site.feed}")
    page.wait_for_function(f"() => document.body.dataset.lastSeq >= {keep + 5}")
    page.wait_for_function(
        f"() => document.querySelector('#items > li .item-text').textContent.includes('Post {keep + 4}')"
    )
    assert page.locator("#items > li").count() == keep


@pytest.mark.parametrize("screen", ["phone", "laptop", "projector"])
def test_the_wall_has_no_accessibility_violation(site, new_context, screen):
    _feed_with_posts(site, 8)
    page = new_context(viewport=SCREENS[screen], bypass_csp=True).new_page()  # to inject axe
    page.goto(f"{site.url}/feeds/{site.feed}/wall")
    joined(page)
    screenshot(page, f"wall-{screen}", full_page=False)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run()).violations.map((v) => `${v.id}: ${v.help}`)")
    assert violations == []


def test_a_post_featured_at_the_desk_comes_first_on_the_open_wall(site, new_context):
    _feed_with_posts(site, 8)
    oldest = site.api("GET", f"/feeds/{site.feed}/items")["items"][0]
    context = new_context(viewport=SCREENS["laptop"])
    wall = context.new_page()
    wall.goto(f"{site.url}/feeds/{site.feed}/wall")
    joined(wall)
    assert wall.locator("#items > li .item").first.get_attribute("data-item-id") != oldest["id"]
    desk = context.new_page()
    log_in(desk, site, f"/feeds/{site.feed}/moderate")
    joined(desk)
    button = desk.locator(f'#approved li[data-item-id="{oldest["id"]}"] [data-action="feature"]')
    button.click()
    desk.wait_for_selector(f'#approved li[data-item-id="{oldest["id"]}"] [aria-pressed="true"]')
    wall.wait_for_selector(f'#items > li:first-child .item.featured[data-item-id="{oldest["id"]}"]')
    served = context.new_page()
    served.goto(f"{site.url}/feeds/{site.feed}/wall")
    first = served.locator("#items > li").first
    live = wall.locator("#items > li").first
    live.evaluate("(li) => li.classList.remove('arriving')")
    assert first.evaluate(STRUCTURE) == live.evaluate(STRUCTURE)
    assert first.locator(".item").get_attribute("data-item-id") == oldest["id"]


def test_a_failed_picture_gives_way_to_its_alt_text_and_a_missing_avatar_to_initials(site, new_context):
    site.make_feed()
    broken = "http://127.0.0.1:9/gone.jpg"  # nothing listens on port 9: the picture fails
    site.post_item(
        site.feed,
        f"Look at the stage #{site.feed}",
        author={"name": "Grace Brewster Hopper", "handle": "grace", "avatar": broken},
        media=[{"type": "image", "url": broken, "alt": "The stage, lit in blue"}],
    )
    page = new_context(viewport=SCREENS["projector"]).new_page()
    page.goto(f"{site.url}/feeds/{site.feed}/wall")
    joined(page)
    page.wait_for_selector(".item-media .media-missing")
    assert page.locator(".item-media .media-missing").inner_text() == "The stage, lit in blue"
    page.wait_for_selector('[data-slot="initials"]:not([hidden])')
    assert page.locator('[data-slot="initials"]').inner_text() == "GB"
    assert page.locator(".avatar").is_hidden()
