"""Pages run clean under their Content-Security-Policy, and hostile posts stay inert text."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import csp_violations, log_in, watch

IMG_TRAP = "<img src=x onerror=\"window.__pwned='img'\">"
SCRIPT_TRAP = "<script>window.__pwned='script'</script>"
HOSTILE_TEXT = f"Look {IMG_TRAP} and {SCRIPT_TRAP} #live"


def _post_hostile(site: Any, feed: str, tag: str) -> list[dict[str, Any]]:
    """Items whose text, author, links and HTML each try to run script."""
    text = site.post_item(
        feed,
        f"{tag} {HOSTILE_TEXT}",
        author={"name": f"{IMG_TRAP} Mallory", "handle": "x\" onmouseover=\"window.__pwned='handle'"},
        url="javascript:window.__pwned='url'",
    )
    html = site.post_item(
        feed,
        "",
        html=(
            f"<p>{tag} html {IMG_TRAP}{SCRIPT_TRAP}"
            "<a href=\"javascript:window.__pwned='href'\">click</a>"
            "<svg><script>window.__pwned='svg'</script></svg></p>"
        ),
        author={"name": "Mallory", "url": "javascript:window.__pwned='author'"},
        media=[{"url": "javascript:window.__pwned='media'", "alt": IMG_TRAP}],
    )
    return [text, html]


def _assert_inert(page: Any, problems: Any, items: list[dict[str, Any]]) -> None:
    page.click("body")  # hover/click through the cards: handlers must not exist
    for item in items:
        page.hover(f'.item[data-item-id="{item["id"]}"] .item-author')
    assert page.evaluate("window.__pwned") is None
    assert (
        page.eval_on_selector_all(
            "main script, main img[src='x'], main [onerror], main [onmouseover], main a[href^='javascript']",
            "found => found.map(el => el.outerHTML)",
        )
        == []
    )
    assert csp_violations(page) == []
    assert not problems, problems.messages
    text = page.inner_text(f'.item[data-item-id="{items[0]["id"]}"]')
    assert IMG_TRAP in text and SCRIPT_TRAP in text, text


def test_feed_and_wall_show_hostile_posts_as_text_without_errors(site, new_context):
    site.make_feed()
    rendered = _post_hostile(site, site.feed, "served")
    for path in (f"/feeds/{site.feed}", f"/feeds/{site.feed}/wall"):
        page = new_context().new_page()
        problems = watch(page)
        page.goto(site.url + path)
        page.wait_for_selector("body[data-last-seq]", state="attached")
        _assert_inert(page, problems, rendered)
        pushed = _post_hostile(site, site.feed, f"pushed to {path}")
        page.wait_for_selector(f'.item[data-item-id="{pushed[-1]["id"]}"]')
        _assert_inert(page, problems, pushed)


def test_story_and_editor_show_hostile_posts_annotations_and_text_blocks_as_text(site, new_context):
    site.make_feed()
    slug = site.make_story(site.feed, title=f"Story {SCRIPT_TRAP}")["slug"]

    def pin_hostile(tag: str) -> list[dict[str, Any]]:
        items = _post_hostile(site, site.feed, tag)
        for item in items:
            site.api(
                "POST",
                f"/stories/{slug}/elements",
                {"type": "item", "item_id": item["id"], "annotation": f"{tag} note {IMG_TRAP}"},
            )
        for style in ("heading", "paragraph"):
            body = {"type": "text", "style": style, "text": f"{tag} {style} {IMG_TRAP} {SCRIPT_TRAP}"}
            site.api("POST", f"/stories/{slug}/elements", body)
        return items

    rendered = pin_hostile("served")
    viewer = new_context().new_page()
    curator = new_context().new_page()
    log_in(curator, site, f"/stories/{slug}/edit")
    watched = [(viewer, watch(viewer)), (curator, watch(curator))]
    viewer.goto(f"{site.url}/stories/{slug}")
    curator.reload()
    for page, problems in watched:
        page.wait_for_selector("body[data-last-seq]", state="attached")
        _assert_inert(page, problems, rendered)
    assert viewer.inner_text(".story-header h1") == f"Story {SCRIPT_TRAP}"

    pushed = pin_hostile("pushed")
    site.api("PATCH", f"/stories/{slug}", {"title": f"Renamed {IMG_TRAP}"})
    viewer.wait_for_function(
        "text => document.querySelector('.story-header h1').textContent === text", arg=f"Renamed {IMG_TRAP}"
    )
    for page, problems in watched:
        page.wait_for_function(
            "text => [...document.querySelectorAll('.element-text')].some(e => e.textContent.includes(text))",
            arg="pushed paragraph",  # curators' paragraphs are HTML, cleaned by the sanitizer's allow-list
        )
        _assert_inert(page, problems, pushed)
        # A heading shows its text as text; what a curator typed as markup was sanitized when stored.
        heading = page.locator(".element-text h2", has_text="pushed heading")
        assert heading.count() == 1
        assert "onerror" not in heading.inner_text()
