"""The viewer pages as served: the story header's cover and LIVE badge, the feed's one live
region and its "Load older posts" button, and export dates with their zone."""

from __future__ import annotations

import re

import pytest

from tests.factories import cheap_passwords, feed, post, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)
COVER = "https://images.example/cover.jpg"


@pytest.mark.parametrize(("status", "badge"), [("live", True), ("published", False)])
def test_the_story_header_shows_the_cover_and_a_live_badge_only_while_live(
    client, db, curators, status, badge
):
    feed(db)
    shown = story(db, curators.create("ada"), title="Keynote", status=status, cover=COVER)
    page = client.get(f"/stories/{shown['slug']}").get_data(as_text=True)
    assert f'<img class="story-cover" data-slot="cover" alt="" src="{COVER}">' in page
    live_badge = re.search(r'<span class="live-badge" data-slot="live" ?(hidden)?>', page)
    assert live_badge and (live_badge.group(1) is None) == badge


def test_an_export_has_the_cover_no_live_badge_and_dates_with_their_zone(client, db, curators):
    feed(db)
    shown = story(db, curators.create("ada"), title="Keynote", status="live", cover=COVER)
    page = client.get(f"/stories/{shown['slug']}/export.html").get_data(as_text=True)
    assert 'class="story-cover"' in page and 'class="live-badge"' not in page
    byline = re.search(r'<p class="byline">.*?<time datetime="[^"]+">([^<]+)</time>', page, re.S)
    assert byline and byline.group(1).endswith("UTC"), byline


def test_the_feed_announces_counts_in_one_region_not_every_post(client, db):
    shown = feed(db)
    post(db, shown, 1)
    page = client.get("/feeds/demo").get_data(as_text=True)
    assert page.count("aria-live") == 2  # the page's live region, and the embed box's "Copied"
    assert re.search(r'<ol class="items" id="items" aria-label="Posts, newest first">', page)
    assert '<button type="button" class="new-posts" id="new-posts" hidden>' in page


def test_load_older_shows_only_when_the_feed_has_more_than_its_first_page(client, db):
    shown = feed(db)
    for n in range(3):
        post(db, shown, n)
    assert re.search(r'id="load-older" hidden', client.get("/feeds/demo").get_data(as_text=True))
    for n in range(3, 103):
        post(db, shown, n)
    page = client.get("/feeds/demo").get_data(as_text=True)
    assert 'id="load-older" >' in page or 'id="load-older">' in page
