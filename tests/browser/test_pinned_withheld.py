"""A viewer's story page turns a pinned post the curators hide into its placeholder, live, and back."""

from __future__ import annotations

from tests.browser.conftest import joined, story_with_posts, watch


def test_a_hidden_pin_becomes_its_placeholder_live_and_comes_back(site, new_context):
    story, posts = story_with_posts(site)
    slug, pinned = story["slug"], posts[1]
    site.api(
        "POST",
        f"/stories/{slug}/elements",
        {"type": "item", "item_id": pinned["id"], "annotation": "Why it matters"},
    )
    viewer = new_context().new_page()
    problems = watch(viewer)
    viewer.goto(f"{site.url}/stories/{slug}")
    joined(viewer)
    assert "Post number 1" in viewer.inner_text("#elements")

    site.api("PATCH", f"/feeds/{site.feed}/items/{pinned['id']}", {"status": "hidden"})
    viewer.wait_for_selector('#elements .item-removed[data-removed="curators"]')
    shown = viewer.inner_text("#elements")
    assert "This post is hidden by the curators." in shown and "Why it matters" in shown
    assert "Post number 1" not in shown and "Grace Hopper" not in shown

    site.api("PATCH", f"/feeds/{site.feed}/items/{pinned['id']}", {"status": "approved"})
    viewer.wait_for_selector(f'#elements .item[data-item-id="{pinned["id"]}"]')
    assert viewer.query_selector("#elements .item-removed") is None
    assert "Post number 1" in viewer.inner_text("#elements")
    assert not problems, problems.messages
