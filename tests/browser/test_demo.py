"""The #kredcrew demo as a newcomer sees it after `make run`."""

from __future__ import annotations

import json
from pathlib import Path

from aggregator.items import item_from_dict
from tests.browser.conftest import watch

DEMO = Path(__file__).resolve().parents[2] / "demo"
STORY = json.loads((DEMO / "kredcrew-summit.json").read_text("utf-8"))
POSTS = [
    item_from_dict(json.loads(line))
    for line in (DEMO / "kredcrew-2012-05-29.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]


def test_home_lists_the_demo_feed_and_story_and_the_story_follows_the_seed(demo_site, new_context):
    site = demo_site
    page = new_context().new_page()
    problems = watch(page)
    page.goto(site.url)
    page.wait_for_selector("a[href='/feeds/kredcrew']")
    page.wait_for_selector("a[href='/stories/kredcrew-summit']")

    page.click("a[href='/stories/kredcrew-summit']")
    page.wait_for_selector("body[data-last-seq]", state="attached")
    assert page.inner_text(".story-header h1") == STORY["title"]
    assert page.inner_text(".byline").startswith(f"Storified by {STORY['byline']} · ")
    headings = [e["text"] for e in STORY["elements"] if e.get("style") == "heading"]
    assert page.eval_on_selector_all("#elements h2", "hs => hs.map(h => h.textContent)") == headings
    by_key = {(p.source, p.source_id): p for p in POSTS}
    pinned = [by_key[(e["source"], e["source_id"])].id for e in STORY["elements"] if e["type"] == "item"]
    assert len(pinned) == 11
    shown = page.eval_on_selector_all("#elements .item", "cards => cards.map(c => c.dataset.itemId)")
    assert shown == pinned
    kinds = page.eval_on_selector_all("#elements > li", "lis => lis.map(li => li.dataset.type)")
    assert kinds == [e["type"] for e in STORY["elements"]]
    assert not problems, problems.messages


def test_demo_feed_fills_up_live_newest_first(live_server, new_context):
    site = live_server(env={"TAGSTORY_DEMO": "1", "TAGSTORY_REPLAY_SPEED": "600"})  # about 10 s
    page = new_context().new_page()
    problems = watch(page)
    page.goto(f"{site.url}/feeds/kredcrew")
    page.wait_for_selector("body[data-last-seq]", state="attached")
    at_load = page.locator("#items .item").count()
    page.wait_for_function(
        "n => document.querySelectorAll('#items .item').length >= n", arg=len(POSTS), timeout=20_000
    )
    assert at_load < len(POSTS), "the replay was over before the page opened: nothing arrived live"
    shown = page.eval_on_selector_all("#items .item", "cards => cards.map(c => c.dataset.itemId)")
    newest_first = sorted(POSTS, key=lambda p: p.created_at, reverse=True)
    assert len(shown) == len(set(shown)) == len(POSTS)
    assert [page.get_attribute(f'.item[data-item-id="{i}"]', "data-created-at") for i in shown] == [
        p.created_at for p in newest_first
    ]
    assert not problems, problems.messages
    cards = page.eval_on_selector_all(
        "#items .item",
        """cards => cards.map(c => ({
          id: c.dataset.itemId,
          author: c.querySelector('[data-slot=author-name]').textContent,
          time: c.querySelector('time').textContent.trim(),
          original: c.querySelector('a.original:not([hidden])')?.href ?? null,
          links: [...c.querySelectorAll('.item-text a[href^="http"]')].length,
        }))""",
    )
    by_id = {p.id: p for p in POSTS}
    for card in cards:
        post = by_id[card["id"]]
        assert card["author"] == post.author.name and card["time"], card
        assert card["original"] == post.url, card
        if "http" in post.text:
            assert card["links"] >= 1, card
