"""A viewer whose connection drops comes back to every post it missed, once each, in order."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site


def _cards(page: Any) -> list[str]:
    """The item ids of the feed page, top to bottom (one per DOM node)."""
    return page.eval_on_selector_all("#items .item", "cards => cards.map(c => c.dataset.itemId)")


def _wait_for_seq(page: Any, seq: int) -> None:
    page.wait_for_function("seq => Number(document.body.dataset.lastSeq) >= seq", arg=seq)


def _newest_first(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in sorted(items, key=lambda i: (i["created_at"], i["seq"]), reverse=True)]


def _assert_once_each_newest_first(page: Any, site: Site, feed: str) -> None:
    shown = _cards(page)
    assert len(shown) == len(set(shown)), f"duplicates on the page: {shown}"
    stored = site.api("GET", f"/feeds/{feed}/items?limit=500")["items"]
    assert shown == _newest_first(stored)


def test_viewer_offline_then_back_shows_missed_items_once_each(site, new_context, cable):
    site.make_feed("live")
    before = [site.post_item("live", f"Before the drop {n}") for n in range(2)]
    wire = cable(site.server.port)
    viewer = new_context().new_page()
    viewer.goto(f"{wire.url}/feeds/live")
    _wait_for_seq(viewer, before[-1]["seq"])
    live = site.post_item("live", "Seen live")
    viewer.wait_for_selector(f'.item[data-item-id="{live["id"]}"]')

    wire.unplug()
    viewer.wait_for_selector("#live-status:text('Offline')")
    missed = [site.post_item("live", f"Missed while offline {n}") for n in range(3)]
    same_time = {"created_at": missed[-1]["created_at"]}
    missed += [site.post_item("live", f"Missed, same time {n}", **same_time) for n in range(2)]
    missed.append(site.post_item("live", "Backfilled from earlier", created_at=before[1]["created_at"]))
    site.api("PATCH", f"/feeds/live/items/{before[0]['id']}", {"status": "hidden"})
    again = site.post_item("live", "Missed while offline 0", source_id=missed[0]["source_id"])
    assert again["id"] == missed[0]["id"]  # a duplicate post is the same item

    wire.plug()
    viewer.wait_for_selector("#live-status", state="hidden")
    _wait_for_seq(viewer, missed[-1]["seq"])
    viewer.wait_for_selector(f'.item[data-item-id="{before[0]["id"]}"]', state="detached")
    _assert_once_each_newest_first(viewer, site, "live")
    assert set(_cards(viewer)) == {i["id"] for i in [before[1], live, *missed]}

    after = site.post_item("live", "Back online")
    viewer.wait_for_selector(f'.item[data-item-id="{after["id"]}"]')
    _assert_once_each_newest_first(viewer, site, "live")


def test_viewer_rides_out_a_server_restart_and_shows_each_item_once(site, new_context):
    site.make_feed("live")
    first = site.post_item("live", "Before the restart")
    viewer = new_context().new_page()
    viewer.goto(f"{site.url}/feeds/live")
    _wait_for_seq(viewer, first["seq"])

    site.server.restart()  # the viewer reconnects on its own while these are being posted
    posted = [site.post_item("live", f"After the restart {n}") for n in range(5)]
    _wait_for_seq(viewer, posted[-1]["seq"])
    viewer.wait_for_selector("#live-status", state="hidden")
    _assert_once_each_newest_first(viewer, site, "live")
    assert len(_cards(viewer)) == 6
