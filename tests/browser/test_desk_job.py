"""The curator's whole job in Chromium, without the API (issue 11): new story → pin three
posts → annotate → reorder → publish, and a viewer in a second browser context sees it
live. Once with the keyboard alone, once with the mouse; axe-core on the editor at a
laptop's and a tablet's size."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.browser.conftest import Site, joined, log_in, screenshot, watch
from tests.conftest import PASSWORD, ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
JOBS = itertools.count(1)
SCREENS = {"laptop": {"width": 1366, "height": 768}, "tablet": {"width": 1024, "height": 768}}

FOCUSED_ELEMENT = "() => document.activeElement.closest('#elements > li')?.dataset.elementId || null"
FOCUSED_POST = "() => document.activeElement.matches('#stream > li') && document.activeElement.dataset.itemId"
TAB_STOPS = """sel => [...document.querySelectorAll(sel + ' *'), ...document.querySelectorAll(sel + ' > *')]
  .filter((el, i, all) => all.indexOf(el) === i && el.tabIndex >= 0 && !el.disabled
          && el.getClientRects().length > 0).length"""


@pytest.fixture
def job_site(shared_site: Site) -> Site:
    """The shared server with a feed of this test's own, named so that type-ahead picks it."""
    site = Site(shared_site.server, shared_site.token, feed=f"deskjob{next(JOBS)}")
    site.make_feed()
    for n in range(4):
        site.post_item(site.feed, f"Talk {n} starts now #deskjob", author={"name": f"Speaker {n}"})
    return site


def _elements_are(page: Any, count: int) -> None:
    page.wait_for_function("n => document.querySelectorAll('#elements > li.element').length === n", arg=count)


def _element_at(page: Any, nth: int, element_id: str) -> None:
    """Wait until the `nth` (1-based) element of the editor's story is `element_id`."""
    page.wait_for_function(
        "([nth, id]) => document.querySelector(`#elements > li:nth-child(${nth})`)?.dataset.elementId === id",
        arg=[nth, element_id],
    )


def _unexpected(problems: Any) -> list[str]:
    """What the console saw besides the refused second pin (a 409 the page explains)."""
    return [m for m in problems.messages if "409" not in m]


def _tab_to(page: Any, selector: str, back: bool = False, limit: int = 60) -> int:
    """Press Tab (Shift+Tab with `back`) until the focus is on `selector`; return the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def _keyboard_login(page: Any, site: Site, path: str) -> None:
    page.goto(f"{site.url}/login?next={path}")
    page.focus("#name")
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _story(site: Site, slug: str) -> dict[str, Any]:
    return site.api("GET", f"/stories/{slug}")


def _pinned_texts(site: Site, slug: str) -> list[str]:
    return [e["item"]["text"] for e in _story(site, slug)["elements"] if e["type"] == "item"]


def _viewer_texts(page: Any) -> list[str]:
    return page.eval_on_selector_all("#elements > li .item-text", "els => els.map(e => e.innerText.trim())")


def _open_viewer(new_context: Any, site: Site, slug: str) -> Any:
    viewer = new_context(viewport=SCREENS["laptop"]).new_page()
    viewer.goto(f"{site.url}/stories/{slug}")
    joined(viewer)
    return viewer


def test_the_whole_job_with_the_keyboard_alone(job_site, new_context):
    site = job_site
    page = new_context(viewport=SCREENS["laptop"], reduced_motion="reduce").new_page()
    problems = watch(page)
    _keyboard_login(page, site, "/")

    # New story, from the home page: title, feed, description; it opens the editor.
    _tab_to(page, "#new-story > summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("Keynote day")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "story-feed"
    for _ in range(100):  # a closed select changes on ↓, as a keyboard user would go through it
        if page.input_value("#story-feed") == site.feed:
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("Every talk, as it happens")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    slug = page.url.rsplit("/", 2)[-2]
    assert page.url == f"{site.url}/stories/{slug}/edit"
    story = _story(site, slug)
    assert (story["title"], story["feed"], story["status"]) == ("Keynote day", site.feed, "draft")
    assert page.inner_text("h1") == "Keynote day"
    assert "Draft" in page.inner_text("#viewer-badge")
    joined(page)

    # Pin three posts from the stream: one tab stop, ↓ to the next post, P pins.
    _tab_to(page, "#stream > li")
    assert page.evaluate(TAB_STOPS, "#stream") == 1
    for n in (3, 2, 1):
        assert f"Talk {n}" in page.evaluate("() => document.activeElement.innerText")
        page.keyboard.press("p")
        _elements_are(page, 4 - n)
        page.keyboard.press("ArrowDown")
    assert _pinned_texts(site, slug) == [f"Talk {n} starts now #deskjob" for n in (3, 2, 1)]
    page.wait_for_selector("#elements > li.element:last-child.revealed")
    # Reduced motion: the pin is in view at once (no smooth scroll) and marked without animation.
    assert page.evaluate(
        "() => { const li = document.querySelector('#elements > li:last-child');"
        " const r = li.getBoundingClientRect();"
        " return r.top >= 0 && r.top < innerHeight && getComputedStyle(li).animationName === 'none'; }"
    ), "the new pin is not in view, or it is animated despite prefers-reduced-motion"
    # The same post again: refused, next to the post, until read; the story is unchanged.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("p")
    refusal = page.locator("#stream > li:focus .note.lasting")
    refusal.wait_for()
    assert "in the story already, at position 3" in refusal.inner_text()
    assert len(_story(site, slug)["elements"]) == 3
    page.keyboard.press("Escape")
    refusal.wait_for(state="detached")

    # Reaching the first element takes few Tab presses from the top of the page.
    page.reload()
    joined(page)
    presses = _tab_to(page, "#skip-to-story")
    page.keyboard.press("Enter")
    ids = [e["id"] for e in _story(site, slug)["elements"]]
    assert page.evaluate(FOCUSED_ELEMENT) == ids[0]
    assert presses + 1 <= 5, f"{presses} Tab presses and Enter to reach the story"
    assert page.evaluate(TAB_STOPS, "#elements") == 1

    # Annotate the second element: ↓, Enter edits in place, Ctrl+Enter saves; focus stays on it.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector(".inline-editor:focus")
    page.keyboard.type("The best line of the day")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("id => document.activeElement.dataset.elementId === id", arg=ids[1])
    page.wait_for_selector(f'#elements > li[data-element-id="{ids[1]}"] .note:text("Saved.")')
    assert _story(site, slug)["elements"][1]["annotation"] == "The best line of the day"

    # Reorder: Alt+↑ moves it to the top, focus kept; A opens its actions, → and Enter move it down.
    page.keyboard.press("Alt+ArrowUp")
    _element_at(page, 1, ids[1])
    assert page.evaluate(FOCUSED_ELEMENT) == ids[1]
    page.keyboard.press("a")
    assert page.evaluate("() => document.activeElement.dataset.action") == "select"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.dataset.action") == "down"
    page.keyboard.press("Enter")
    _element_at(page, 2, ids[1])
    assert page.evaluate(FOCUSED_ELEMENT) == ids[1]
    page.keyboard.press("Escape")  # the actions close: the element has the focus
    assert page.evaluate("() => document.activeElement.matches('#elements > li')")
    assert [e["id"] for e in _story(site, slug)["elements"]] == [ids[0], ids[1], ids[2]]

    # Publish from the header, then a viewer (another browser context, no login) follows it live.
    _tab_to(page, '#status-control button[data-status="live"]', back=True)
    page.keyboard.press("Enter")
    page.wait_for_selector('#viewer-badge[data-status="live"]')
    assert page.inner_text("#viewer-badge .badge-word") == "LIVE"
    assert _story(site, slug)["status"] == "live"
    viewer = _open_viewer(new_context, site, slug)
    assert _viewer_texts(viewer) == [f"Talk {n} starts now #deskjob" for n in (3, 2, 1)]
    assert "The best line of the day" in viewer.inner_text("#elements")
    page.locator(f'#elements > li[data-element-id="{ids[2]}"]').focus()
    page.keyboard.press("Alt+Home")
    viewer.wait_for_function(
        "() => document.querySelector('#elements > li .item-text')?.innerText.startsWith('Talk 1')"
    )
    screenshot(page, "desk-keyboard-job", full_page=False)
    assert not _unexpected(problems)


def test_the_whole_job_with_the_mouse(job_site, new_context):
    site = job_site
    other = site.api("POST", "/feeds", {"name": f"{site.feed}b", "query": "#other", "sources": []})["name"]
    site.post_item(other, "From the other room")
    page = new_context(viewport=SCREENS["laptop"]).new_page()
    problems = watch(page)
    log_in(page, site, f"/feeds/{site.feed}")

    page.click("#new-story > summary")  # the feed page's "New story" chooses its feed
    assert page.input_value("#story-feed") == site.feed
    page.fill("#story-title", "Afternoon sessions")
    page.fill("#story-description", "Pinned with a mouse")
    with page.expect_navigation():
        page.click("#new-story button[type=submit]")
    slug = page.url.rsplit("/", 2)[-2]
    joined(page)

    for n in (0, 1, 2):
        page.locator("#stream > li", has_text=f"Talk {n}").locator("button.pin").click()
        _elements_are(page, n + 1)
    page.locator("#stream > li", has_text="Talk 0").locator("button.pin").click()
    refusal = page.locator("#stream > li", has_text="Talk 0").locator(".note.lasting")
    refusal.wait_for()
    assert "in the story already, at position 1" in refusal.inner_text()
    page.wait_for_selector("#elements > li.element:first-child.revealed")  # where it is, highlighted
    page.wait_for_function(  # smoothly scrolled there
        "() => { const r = document.querySelector('#elements > li').getBoundingClientRect();"
        " return r.top >= 0 && r.top < innerHeight; }"
    )
    refusal.locator("button.dismiss").click()
    refusal.wait_for(state="detached")

    ids = [e["id"] for e in _story(site, slug)["elements"]]
    third = page.locator(f'#elements > li[data-element-id="{ids[2]}"]')
    third.locator('[data-action="edit"]').click()
    page.locator(".inline-editor").click()
    page.keyboard.type("Said with a mouse")
    page.click("[data-format=save]")
    third.locator(".note:text('Saved.')").wait_for()
    third.locator('[data-action="top"]').click()
    _element_at(page, 1, ids[2])
    assert [e["id"] for e in _story(site, slug)["elements"]] == [ids[2], ids[0], ids[1]]

    page.click('#status-control button[data-status="published"]')
    page.wait_for_selector('#viewer-badge[data-status="published"]')
    viewer = _open_viewer(new_context, site, slug)
    assert _viewer_texts(viewer)[0] == "Talk 2 starts now #deskjob"
    assert "Said with a mouse" in viewer.inner_text("#elements")
    page.locator(f'#elements > li[data-element-id="{ids[1]}"]').locator('[data-action="up"]').click()
    viewer.wait_for_function(
        "() => document.querySelector('#elements > li:nth-child(2) .item-text')"
        "?.innerText.startsWith('Talk 1')"
    )
    assert page.locator("#undo").is_enabled()

    # The story's feed changes in the editor: the stream follows the other feed.
    page.click(".story-settings > summary")
    page.select_option("#story-feed", other)
    with page.expect_navigation():
        page.click("#meta-save")
    joined(page)
    assert _story(site, slug)["feed"] == other
    assert page.inner_text("#stream-heading") == f"Stream: {other}"
    assert page.locator("#stream > li", has_text="From the other room").count() == 1
    assert not _unexpected(problems)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_editor_passes_axe_and_fits_the_screen(job_site, new_context, screen):
    site = job_site
    story = site.make_story(site.feed, title=f"Axe on the {screen}", status="live")
    items = site.api("GET", f"/feeds/{site.feed}/items")["items"]
    elements = f"/stories/{story['slug']}/elements"
    site.api("POST", elements, {"type": "text", "text": "Morning", "style": "heading"})
    for item in items[:2]:
        site.api("POST", elements, {"type": "item", "item_id": item["id"]})
    page = new_context(viewport=SCREENS[screen]).new_page()
    problems = watch(page)
    log_in(page, site, f"/stories/{story['slug']}/edit")
    joined(page)
    page.locator("#elements > li").first.focus()
    page.click("#history > summary")
    page.wait_for_selector("#history-list li")
    undo_border = page.locator("#undo").evaluate("b => getComputedStyle(b).borderStyle")
    assert undo_border == "dashed"  # a disabled button looks disabled
    sideways = page.evaluate("() => document.documentElement.scrollWidth > innerWidth")
    assert not sideways, "the page scrolls sideways"
    assert page.evaluate("() => document.querySelectorAll('h1').length") == 1
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`)"
    )
    assert violations == []
    screenshot(page, f"desk-editor-{screen}", full_page=False)
    assert not problems, problems.messages
