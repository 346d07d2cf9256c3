"""Every page a viewer can reach, scanned by axe-core (npm) in Chromium: no violation (issue 9).

Home, a feed, a story, both walls, both embeds, the wall's form (empty and with its errors), the
login form and the error pages, each with real content: posts with pictures, a story with a
heading, a pinned post with a note, a link and a withheld pin."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.browser.conftest import Site, joined
from tests.browser.test_wall import AXE, SCREENS

RUN_AXE = (
    "async () => (await axe.run()).violations"
    ".map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`)"
)
LIVE = {"feed", "story", "feed-wall", "story-wall", "feed-embed", "story-embed"}


@pytest.fixture(scope="module")
def pages(shared_site: Site) -> dict[str, str]:
    """A feed with posts and its form open, a live story over it; the path of each viewer page."""
    site = Site(shared_site.server, shared_site.token, feed="axe")
    site.make_feed()
    site.api("PATCH", "/feeds/axe", {"web_posts": True})
    posts = [
        site.post_item(
            "axe",
            f"Post {n} about #axe with a link https://example.org/{n} and @someone",
            media=[{"type": "image", "url": f"https://example.org/{n}.jpg", "alt": f"Photo {n}"}]
            if n % 2
            else [],
        )
        for n in range(5)
    ]
    story = site.make_story("axe", title="Accessible summit")
    slug = story["slug"]
    site.api("POST", f"/stories/{slug}/elements", {"type": "text", "text": "Opening", "style": "heading"})
    site.api(
        "POST",
        f"/stories/{slug}/elements",
        {"type": "text", "text": "We began at *nine*.", "style": "paragraph"},
    )
    site.api(
        "POST",
        f"/stories/{slug}/elements",
        {"type": "item", "item_id": posts[1]["id"], "annotation": "A fine photo"},
    )
    site.api("POST", f"/stories/{slug}/elements", {"type": "item", "item_id": posts[2]["id"]})
    site.api("PATCH", f"/feeds/axe/items/{posts[2]['id']}", {"status": "hidden"})  # a withheld pin
    return {
        "home": "/",
        "feed": "/feeds/axe",
        "story": f"/stories/{slug}",
        "feed-wall": "/feeds/axe/wall",
        "story-wall": f"/stories/{slug}/wall",
        "feed-embed": "/feeds/axe/embed",
        "story-embed": f"/stories/{slug}/embed",
        "post-form": "/feeds/axe/post",
        "login": "/login",
        "not-found": "/feeds/no-such-feed",
        "bad-request": "/feeds/axe/wall?speed=0",
    }


PAGES = (
    "home",
    "feed",
    "story",
    "feed-wall",
    "story-wall",
    "feed-embed",
    "story-embed",
    "post-form",
    "login",
)
ERRORS = ("not-found", "bad-request")
PHONE = ("feed", "story", "story-wall", "post-form")  # the pages people open in the room on their phones


@pytest.mark.parametrize(
    ("name", "screen"),
    [(name, "laptop") for name in (*PAGES, *ERRORS)] + [(name, "phone") for name in PHONE],
)
def test_a_viewer_page_has_no_accessibility_violation(shared_site, pages, new_context, name, screen):
    page = new_context(viewport=SCREENS[screen], bypass_csp=True).new_page()  # to inject axe
    page.goto(shared_site.url + pages[name])
    if name in LIVE:
        joined(page)
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []


def test_the_wall_forms_errors_have_no_accessibility_violation(shared_site, pages, new_context):
    page = new_context(viewport=SCREENS["phone"], bypass_csp=True).new_page()
    page.goto(shared_site.url + pages["post-form"])
    page.fill("#text", "x" * 10)
    with page.expect_navigation() as sent:
        page.click('form button[type="submit"]')  # no name: refused next to the field
    assert sent.value.status == 400
    assert page.locator("#name-error").is_visible()
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []


def test_the_project_pages_answer_as_the_scan_expects(shared_site, pages):
    statuses: dict[str, Any] = {
        name: requests.get(shared_site.url + path, timeout=10).status_code for name, path in pages.items()
    }
    assert statuses.pop("not-found") == 404 and statuses.pop("bad-request") == 400
    assert set(statuses.values()) == {200}, statuses
