"""A viewer whose connection drops comes back to every post it missed, once each, in order."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site, start_site


def _cards(page: Any) -> list[str]:
    """The item ids of the feed page, top to bottom (one per DOM node)."""
    return page.eval_on_selector_all("#items .item", "cards => cards.map(c => c.dataset.itemId)")


def _wait_for_seq(page: Any, seq: int) -> None:
    """Wait until the page has applied every event up to `seq` (a reconnect backs off up to ~7 s)."""
    page.wait_for_function("seq => Number(document.body.dataset.lastSeq) >= seq", arg=seq, timeout=20_000)


def _newest_first(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in sorted(items, key=lambda i: (i["created_at"], i["seq"]), reverse=True)]


def _assert_once_each_newest_first(page: Any, site: Site, feed: str) -> None:
    shown = _cards(page)
    assert len(shown) == len(set(shown)), f"duplicates on the page: {shown}"
    stored = site.api("GET", f"/feeds/{feed}/items?limit=500")["items"]
    assert shown == _newest_first(stored)


def test_viewer_offline_then_back_shows_missed_items_once_each(site, new_context, cable):
    site.make_feed()
    before = [site.post_item(site.feed, f"Before the drop {n}") for n in range(2)]
    wire = cable(site.server.port)
    viewer = new_context().new_page()
    viewer.goto(f"{wire.url}/feeds/{site.feed}")
    _wait_for_seq(viewer, before[-1]["seq"])
    live = site.post_item(site.feed, "Seen live")
    viewer.wait_for_selector(f'.item[data-item-id="{live["id"]}"]')

    wire.unplug()
    viewer.wait_for_selector("#live-status:text('Offline')")
    missed = [site.post_item(site.feed, f"Missed while offline {n}") for n in range(3)]
    same_time = {"created_at": missed[-1]["created_at"]}
    missed += [site.post_item(site.feed, f"Missed, same time {n}", **same_time) for n in range(2)]
    missed.append(site.post_item(site.feed, "Backfilled from earlier", created_at=before[1]["created_at"]))
    site.api("PATCH", f"/feeds/{site.feed}/items/{before[0]['id']}", {"status": "hidden"})
    again = site.post_item(site.feed, "Missed while offline 0", source_id=missed[0]["source_id"])
    assert again["id"] == missed[0]["id"]  # a duplicate post is the same item

    wire.plug()
    viewer.wait_for_selector("#live-status", state="hidden", timeout=20_000)
    _wait_for_seq(viewer, missed[-1]["seq"])
    viewer.wait_for_selector(f'.item[data-item-id="{before[0]["id"]}"]', state="detached")
    _assert_once_each_newest_first(viewer, site, site.feed)
    assert set(_cards(viewer)) == {i["id"] for i in [before[1], live, *missed]}

    after = site.post_item(site.feed, "Back online")
    viewer.wait_for_selector(f'.item[data-item-id="{after["id"]}"]')
    _assert_once_each_newest_first(viewer, site, site.feed)
    site.api("PATCH", f"/feeds/{site.feed}/items/{after['id']}", {"status": "hidden"})
    viewer.wait_for_selector(f'.item[data-item-id="{after["id"]}"]', state="detached")
    _assert_once_each_newest_first(viewer, site, site.feed)


def test_viewer_rides_out_a_server_restart_and_shows_each_item_once(live_server, new_context):
    site = start_site(live_server)  # its own server: the shared one must not restart under others
    site.make_feed()
    first = site.post_item(site.feed, "Before the restart")
    viewer = new_context().new_page()
    viewer.goto(f"{site.url}/feeds/{site.feed}")
    _wait_for_seq(viewer, first["seq"])

    site.server.restart()  # the viewer reconnects on its own while these are being posted
    posted = [site.post_item(site.feed, f"After the restart {n}") for n in range(5)]
    _wait_for_seq(viewer, posted[-1]["seq"])
    viewer.wait_for_selector("#live-status", state="hidden", timeout=20_000)
    _assert_once_each_newest_first(viewer, site, site.feed)
    assert len(_cards(viewer)) == 6


def test_story_viewer_offline_then_back_applies_missed_edits_in_order(site, new_context, cable):
    site.make_feed()
    posts = [site.post_item(site.feed, f"Post {n}") for n in range(4)]
    slug = site.make_story(site.feed)["slug"]
    pins = [
        site.api("POST", f"/stories/{slug}/elements", {"type": "item", "item_id": p["id"]}) for p in posts[:2]
    ]
    wire = cable(site.server.port)
    viewer = new_context().new_page()
    viewer.goto(f"{wire.url}/stories/{slug}")
    viewer.wait_for_selector("body[data-last-seq]", state="attached")

    wire.unplug()
    viewer.wait_for_selector("#live-status:text('Offline')")
    elements = f"/stories/{slug}/elements"
    site.api("POST", elements, {"type": "item", "item_id": posts[2]["id"], "annotation": "Missed note"})
    site.api("POST", elements, {"type": "text", "style": "heading", "text": "Missed heading", "position": 0})
    site.api("PATCH", f"{elements}/{pins[1]['id']}", {"position": 1})
    site.api("DELETE", f"{elements}/{pins[0]['id']}")
    site.api("POST", elements, {"type": "item", "item_id": posts[3]["id"], "position": 2})
    site.api("PATCH", f"/stories/{slug}", {"title": "Renamed while you were away"})
    story = site.api("GET", f"/stories/{slug}")

    wire.plug()
    viewer.wait_for_selector("#live-status", state="hidden", timeout=20_000)
    viewer.wait_for_selector(".story-header h1:text-is('Renamed while you were away')")
    shown = viewer.eval_on_selector_all("#elements > li", "lis => lis.map(li => li.dataset.elementId)")
    assert shown == [e["id"] for e in story["elements"]]
    assert viewer.locator(".annotation:text('Missed note')").count() == 1
