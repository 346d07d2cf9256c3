"""The viewer's pages (`/feeds/<feed>`, `/stories/<slug>`) in Chromium: "N new posts" and its
announcement, the story's cover and LIVE badge, dates people read, older posts, hashtag and
mention links, one websocket per page, a frame that beats its join's acknowledgement."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import joined, log_in, screenshot, watch

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = {
    "phone": {"width": 390, "height": 844},
    "laptop": {"width": 1366, "height": 768},
    "projector": {"width": 1920, "height": 1080},
}
LAPTOP = SCREENS["laptop"]
COVER = "https://images.example/cover.jpg"  # the browser tests answer remote images locally


def _feed_with_posts(site: Any, count: int) -> list[dict[str, Any]]:
    site.make_feed()
    return [site.post_item(site.feed, f"Earlier post {n} from the hall #live") for n in range(count)]


def _scroll_down(page: Any) -> None:
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("() => document.getElementById('items').getBoundingClientRect().top < 0")


def _announced(page: Any, text: str) -> None:
    page.wait_for_function("(text) => document.getElementById('live-status').textContent === text", arg=text)


def test_posts_that_arrive_while_scrolled_down_wait_behind_n_new_posts(site, new_context):
    _feed_with_posts(site, 12)
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(f"{site.url}/feeds/{site.feed}")
    joined(page)
    assert page.get_attribute("#items", "aria-live") is None  # the list does not read every post out
    _scroll_down(page)
    reading = page.evaluate(
        "() => document.getElementById('items').lastElementChild.getBoundingClientRect().top"
    )
    arrived = [site.post_item(site.feed, f"Arrived while away {n} #live") for n in range(3)]
    page.wait_for_selector('#new-posts[data-count="3"]')
    assert page.inner_text("#new-posts") == "3 new posts"
    _announced(page, "3 new posts")  # one count, not the posts in full
    assert page.locator(f'#items .item[data-item-id="{arrived[0]["id"]}"]').count() == 0  # held back
    after = page.evaluate(
        "() => document.getElementById('items').lastElementChild.getBoundingClientRect().top"
    )
    assert after == reading  # what the reader was reading did not move

    page.click("#new-posts")
    page.wait_for_selector("#new-posts", state="hidden")
    newest = page.locator("#items > li").first
    assert "Arrived while away 2" in newest.inner_text()
    assert page.evaluate("() => document.activeElement === document.querySelector('#items > li')")
    assert page.evaluate("() => document.getElementById('items').getBoundingClientRect().top") >= 0


def test_a_post_that_arrives_while_the_tab_is_hidden_waits_too(site, new_context):
    _feed_with_posts(site, 2)
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(f"{site.url}/feeds/{site.feed}")
    joined(page)
    page.evaluate(
        """() => { Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
                   document.dispatchEvent(new Event("visibilitychange")); }"""
    )
    site.post_item(site.feed, "Posted while the tab was in the background #live")
    page.wait_for_selector('#new-posts[data-count="1"]')
    _announced(page, "1 new post")
    page.evaluate("() => { delete document.hidden; }")
    page.focus("#new-posts")
    page.keyboard.press("Enter")  # one key brings it in
    page.wait_for_function("() => document.querySelector('#items > li').innerText.includes('background')")


def test_a_post_that_arrives_in_sight_comes_straight_in_and_is_counted(site, new_context):
    _feed_with_posts(site, 1)
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(f"{site.url}/feeds/{site.feed}")
    joined(page)
    post = site.post_item(site.feed, "Straight in #live")
    page.wait_for_selector(f'#items > li:first-child .item[data-item-id="{post["id"]}"]')
    _announced(page, "1 new post")
    assert page.is_hidden("#new-posts")


def _story_with_elements(site: Any, count: int, **meta: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    posts = _feed_with_posts(site, count + 3)
    story = site.make_story(site.feed, title="The keynote, live")
    if meta:
        site.api("PATCH", f"/stories/{story['slug']}", meta)
    for post in posts[:count]:
        site.api("POST", f"/stories/{story['slug']}/elements", {"type": "item", "item_id": post["id"]})
    return story, posts[count:]


def test_the_story_page_counts_posts_pinned_out_of_sight_and_brings_the_reader_to_them(site, new_context):
    story, spare = _story_with_elements(site, 8)
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(f"{site.url}/stories/{story['slug']}")
    joined(page)
    for post in spare[:2]:  # appended at the end, below the reader who is at the top
        site.api("POST", f"/stories/{story['slug']}/elements", {"type": "item", "item_id": post["id"]})
    page.wait_for_selector('#new-posts[data-count="2"]')
    assert page.inner_text("#new-posts") == "2 new posts"
    _announced(page, "2 new posts")
    page.click("#new-posts")
    first_new = f'#elements > li:has(.item[data-item-id="{spare[0]["id"]}"])'
    page.wait_for_function(
        "(selector) => document.activeElement === document.querySelector(selector)", arg=first_new
    )
    box = page.locator(first_new).bounding_box()
    assert 0 <= box["y"] < LAPTOP["height"]
    assert page.is_hidden("#new-posts")


def test_the_story_header_shows_its_cover_and_a_live_badge_only_while_live(site, new_context):
    story, _ = _story_with_elements(site, 1, cover=COVER)
    slug = story["slug"]
    page = new_context(viewport=LAPTOP).new_page()
    problems = watch(page)
    page.goto(f"{site.url}/stories/{slug}")
    joined(page)
    assert page.get_attribute(".story-header img.story-cover", "src") == COVER
    assert page.is_visible(".story-cover") and page.is_visible(".live-badge")
    assert page.inner_text(".live-badge").strip().lower() == "live"
    site.api("PATCH", f"/stories/{slug}", {"status": "published"})
    page.wait_for_selector(".live-badge", state="hidden")  # live, without a reload
    site.api("PATCH", f"/stories/{slug}", {"cover": "https://images.example/other.jpg"})
    page.wait_for_function("() => document.querySelector('.story-cover').src.endsWith('/other.jpg')")
    page.reload()
    joined(page)
    assert page.is_hidden(".live-badge")
    site.api("PATCH", f"/stories/{slug}", {"status": "live"})
    page.wait_for_selector(".live-badge", state="visible")
    assert not problems, problems.messages
    export = page.context.request.get(f"{site.url}/stories/{slug}/export.html").text()
    assert 'class="live-badge"' not in export and 'class="story-cover"' in export  # a snapshot shows no LIVE


def test_dates_are_relative_kept_current_and_absolute_in_their_title(site, new_context):
    site.make_feed()
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    five_ago = (now - datetime.timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    post = site.post_item(site.feed, "Five minutes ago #live", created_at=five_ago)
    page = new_context(viewport=LAPTOP, locale="en-US", timezone_id="UTC").new_page()
    page.clock.install(time=now)
    page.goto(f"{site.url}/feeds/{site.feed}")
    time = page.locator(f'.item[data-item-id="{post["id"]}"] time')
    page.wait_for_function("(el) => /min/.test(el.textContent)", arg=time.element_handle())
    assert time.inner_text() == "5 min. ago"
    stamp = time.get_attribute("datetime").replace("Z", "+00:00")
    assert datetime.datetime.fromisoformat(stamp) == now - datetime.timedelta(minutes=5)
    title = time.get_attribute("title")
    assert "UTC" in title and str(now.year) in title  # the absolute time with its zone
    page.clock.fast_forward("03:00")
    page.wait_for_function("(el) => el.textContent === '8 min. ago'", arg=time.element_handle())


def test_older_posts_load_from_the_keyboard(site, new_context):
    site.make_feed()
    for n in range(115):  # the page shows the newest 100
        site.post_item(site.feed, f"Post {n:03d} #live")
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(f"{site.url}/feeds/{site.feed}")
    joined(page)
    assert page.locator("#items > li").count() == 100
    assert "Post 014" not in page.inner_text("#items")
    page.focus("#load-older")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#items > li').length === 115")
    assert page.is_hidden("#load-older")  # nothing older is left
    texts = page.locator("#items .item-text").all_inner_texts()
    assert texts[100].startswith("Post 014") and texts[-1].startswith("Post 000")
    assert page.evaluate("() => document.activeElement.innerText.includes('Post 014')")
    _announced(page, "15 older posts loaded")


def test_hashtags_and_mentions_are_links(demo_site, new_context):
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(f"{demo_site.url}/feeds/kredcrew")
    tag = page.locator('#items a.hashtag[href^="https://x.com/hashtag/"]').first
    assert tag.inner_text().lower() == "#kredcrew"
    assert tag.get_attribute("href") == f"https://x.com/hashtag/{tag.inner_text()[1:]}"
    mention = page.locator('#items a.mention[href^="https://x.com/"]').first
    handle = mention.inner_text()
    assert handle.startswith("@") and mention.get_attribute("href") == f"https://x.com/{handle[1:]}"
    assert "ugc" in mention.get_attribute("rel")


def _websockets(page: Any) -> list[Any]:
    opened: list[Any] = []
    page.on("websocket", lambda ws: opened.append(ws))
    return opened


@pytest.mark.parametrize(
    "path", ["/feeds/{feed}", "/stories/{slug}", "/feeds/{feed}/moderate", "/stories/{slug}/edit"]
)
def test_one_websocket_per_page_however_many_rooms_it_follows(site, new_context, path):
    story, spare = _story_with_elements(site, 1)
    page = new_context(viewport=LAPTOP).new_page()
    if "moderate" in path or "edit" in path:
        log_in(page, site, "/")
    opened = _websockets(page)
    page.goto(site.url + path.format(feed=site.feed, slug=story["slug"]))
    joined(page)
    # An event of each room this page follows reaches it over the one connection.
    post = site.post_item(site.feed, "One connection #live")
    if "stories" in path:
        site.api("POST", f"/stories/{story['slug']}/elements", {"type": "item", "item_id": spare[0]["id"]})
        page.wait_for_selector(f'#elements .item[data-item-id="{spare[0]["id"]}"]')
    if "edit" in path:
        page.wait_for_selector("#show-new", state="visible")  # the desk's stream holds arrivals
    elif "stories" not in path:
        page.wait_for_selector(f'.item[data-item-id="{post["id"]}"]', state="attached")
    if "moderate" in path:
        site.api("PATCH", f"/feeds/{site.feed}", {"moderation": "manual"})
        pending = site.post_item(site.feed, "Waiting for a decision #live")
        page.wait_for_selector(f'#queue .item[data-item-id="{pending["id"]}"]')
    assert len(opened) == 1, [ws.url for ws in opened]


@pytest.mark.parametrize("desk", [False, True], ids=["feed page", "moderation page, two rooms"])
def test_a_frame_that_arrives_before_its_joins_acknowledgement_is_kept(site, new_context, desk):
    """The acknowledgement of one room's join is held back at the websocket until a frame of
    that room has passed it: the post in that frame must still be shown, once. On the
    moderation page the feed's room, on the same connection, goes on meanwhile."""
    _feed_with_posts(site, 2)
    room = f'"room":"feed:{site.feed}{":desk" if desk else ""}"'
    page = new_context(viewport=LAPTOP).new_page()
    if desk:
        site.api("PATCH", f"/feeds/{site.feed}", {"moderation": "manual"})
        log_in(page, site, "/")
    held: dict[str, Any] = {}
    late: list[dict[str, Any]] = []

    def relay(ws: Any) -> None:
        server = ws.connect_to_server()
        ws.on_message(server.send)

        def from_server(message: Any) -> None:
            text = message if isinstance(message, str) else ""
            if text.startswith("43") and room in text and not held:
                held["ack"] = message  # this room's acknowledgement: hold it, and make a post arrive
                threading.Thread(
                    target=lambda: late.append(site.post_item(site.feed, "Beat the ack #live"))
                ).start()
                return
            ws.send(message)
            if text.startswith('42["frame"') and room in text and "Beat the ack" in text and "ack" in held:
                ws.send(held.pop("ack"))  # the frame went first; now the acknowledgement

        server.on_message(from_server)

    page.route_web_socket("**/socket.io/**", relay)
    page.goto(f"{site.url}/feeds/{site.feed}{'/moderate' if desk else ''}")
    where = "#queue" if desk else "#items"
    page.wait_for_selector(f'{where} .item-text:text("Beat the ack")')
    assert page.locator('.item-text:text("Beat the ack")').count() == 1
    assert late and page.locator(f'.item[data-item-id="{late[0]["id"]}"]').count() == 1
    assert not held  # the acknowledgement was held, and went after the frame


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_feed_and_the_story_at_phone_laptop_and_projector_sizes_have_no_accessibility_violation(
    site, new_context, screen
):
    story, _ = _story_with_elements(site, 8, cover=COVER, description="The hall, the talks, the people.")
    page = new_context(viewport=SCREENS[screen], bypass_csp=True).new_page()  # to inject axe
    scan = "async () => (await axe.run()).violations.map((v) => `${v.id}: ${v.help}`)"
    for name, path in (("story", f"/stories/{story['slug']}"), ("feed", f"/feeds/{site.feed}")):
        page.goto(site.url + path)
        joined(page)
        screenshot(page, f"{name}-{screen}", full_page=False)
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(scan) == [], path
    _scroll_down(page)  # and with "N new posts" showing
    site.post_item(site.feed, "Arrived while scrolled down #live")
    page.wait_for_selector('#new-posts[data-count="1"]')
    screenshot(page, f"feed-new-posts-{screen}", full_page=False)
    assert page.evaluate(scan) == []
