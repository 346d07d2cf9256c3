"""The insight page in Chromium: the chart is drawn from the feed's posts, follows the feed
live (a new post redraws it and the table), passes axe-core, and has no CSP violation."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import csp_violations, log_in, screenshot, watch
from tests.conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _total_drawn(page: Any) -> str | None:
    return page.get_attribute("#volume-chart", "data-total")


def test_the_chart_is_drawn_and_follows_the_feed_live(site, new_context):
    site.make_feed()
    for n in range(3):  # posts from an integration: the network is "api"
        site.post_item(site.feed, f"Post {n} #live", created_at=f"2012-05-29T18:0{n}:00Z")
    page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    problems = watch(page)
    log_in(page, site, f"/feeds/{site.feed}/insight")
    page.wait_for_selector("body[data-last-seq]", state="attached")
    page.wait_for_selector("#volume-chart[data-total='3']", state="attached")
    total_link = page.locator("tr[data-figure='total'] a.figure-link")
    assert total_link.inner_text() == "3"

    site.post_item(site.feed, "A late one #live", created_at="2012-05-29T18:02:30Z")
    page.wait_for_selector("#volume-chart[data-total='4']", state="attached")
    page.wait_for_function("() => document.querySelector(\"tr[data-figure='total'] a\").textContent === '4'")
    assert page.locator("tr[data-figure='hashtags'] a.figure-link").inner_text() == "4"

    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations.map(v => v.id + ': ' + v.help)"
    )
    assert violations == []
    screenshot(page, "insight")
    assert not csp_violations(page)
    assert not problems, problems.messages
