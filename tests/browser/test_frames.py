"""The project's pages follow with frames and render what the viewers' form carries."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import joined, story_with_posts


def _socket_messages(page: Any) -> list[str]:
    """Every websocket message the page receives from now on, as text."""
    received: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(str(payload))))
    return received


def test_feed_and_wall_update_live_from_frames(site, new_context):
    site.make_feed()
    first = site.post_item(site.feed, "Already there #live")
    pages = {}
    for path in (f"/feeds/{site.feed}", f"/feeds/{site.feed}/wall"):
        page = new_context().new_page()
        pages[path] = (page, _socket_messages(page))
        page.goto(site.url + path)
        joined(page)
    posts = [site.post_item(site.feed, f"Arrived live {n} #live") for n in range(3)]
    hidden = site.api("PATCH", f"/feeds/{site.feed}/items/{first['id']}", {"status": "hidden"})
    for page, received in pages.values():
        for post in posts:
            page.wait_for_selector(f'.item[data-item-id="{post["id"]}"]')
        page.wait_for_selector(f'.item[data-item-id="{hidden["id"]}"]', state="detached")
        assert "Arrived live 2" in page.inner_text("#items")
        events = [m for m in received if m.startswith("42[")]
        assert events and all(m.startswith('42["frame",{"room":"feed:') for m in events), events
        assert not any('"source_id"' in m or '"collected_at"' in m for m in events)  # the viewers' form


def test_story_page_renders_pins_annotations_and_headings_from_frames(site, new_context):
    story, posts = story_with_posts(site)
    slug = story["slug"]
    viewer = new_context().new_page()
    received = _socket_messages(viewer)
    viewer.goto(f"{site.url}/stories/{slug}")
    joined(viewer)
    pin = site.api(
        "POST",
        f"/stories/{slug}/elements",
        {"type": "item", "item_id": posts[1]["id"], "annotation": "Why it matters"},
    )
    site.api(
        "POST",
        f"/stories/{slug}/elements",
        {"type": "text", "text": "The keynote starts", "style": "heading"},
    )
    site.api("POST", f"/stories/{slug}/elements", {"type": "item", "item_id": posts[2]["id"]})
    viewer.wait_for_selector(f'#elements .item[data-item-id="{posts[2]["id"]}"]')
    pinned = viewer.locator(f'#elements > [data-element-id="{pin["id"]}"]')
    assert "Post number 1" in pinned.inner_text() and "Why it matters" in pinned.inner_text()
    assert viewer.locator("#elements h2").inner_text() == "The keynote starts"
    bare = viewer.locator("#elements > li").nth(2).locator('[data-slot="annotation-html"]')
    assert bare.count() == 0 or bare.is_hidden()
    assert any(m.startswith('42["frame",{"room":"story:') for m in received)
