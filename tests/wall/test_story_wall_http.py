"""A story's wall over HTTP: its elements as viewers see them, a draft kept from the public, the
wall's URL options checked as on a feed's wall."""

from __future__ import annotations

from typing import Any

import pytest

from aggregator.feeds import set_item_status
from stories.elements import add_element
from tests.factories import cheap_passwords, feed, post, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


@pytest.fixture
def pinned(db: Any, curators: Any) -> dict[str, Any]:
    """A live story on the feed `demo`: a heading, a shown pin and a pin whose post the curators hid."""
    demo = feed(db, "demo")
    shown = post(db, demo, 1, text="Shown on the wall #demo")
    hidden = post(db, demo, 2, text="Hidden by the curators")
    live = story(db, curators.create("ada"), "Summit live")
    add_element(db, live, {"type": "text", "text": "The keynote", "style": "heading"})
    add_element(db, live, {"type": "item", "item_id": shown["id"], "annotation": "Well said"})
    add_element(db, live, {"type": "item", "item_id": hidden["id"]})
    set_item_status(db, demo, hidden["id"], "hidden")
    return {"story": live}


def test_the_story_wall_shows_the_elements_and_never_a_hidden_pin(client, pinned):
    page = client.get(f"/stories/{pinned['story']['slug']}/wall")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The keynote" in html and "Shown on the wall" in html and "Well said" in html
    assert "Hidden by the curators" not in html
    assert 'data-story="' in html and "Post with <strong>#demo</strong>" in html
    assert 'class="wall theme-dark"' in html


def test_a_draft_story_has_no_public_wall(client, db, curators):
    feed(db, "demo")
    draft = story(db, curators.create("ada"), "Not yet", status="draft")
    assert client.get(f"/stories/{draft['slug']}/wall").status_code == 404
    curators.login(client, "ada")
    assert client.get(f"/stories/{draft['slug']}/wall").status_code == 200  # its curator's preview


def test_the_story_wall_takes_the_wall_options_and_names_a_bad_one(client, pinned):
    slug = pinned["story"]["slug"]
    light = client.get(f"/stories/{slug}/wall?theme=light&columns=2&handles=0&speed=20")
    assert 'class="wall theme-light no-handles"' in light.get_data(as_text=True)
    assert 'data-speed="20"' in light.get_data(as_text=True)
    bad = client.get(f"/stories/{slug}/wall?speed=1")
    assert bad.status_code == 400 and "speed" in bad.get_data(as_text=True)
    assert client.get("/stories/nope/wall").status_code == 404


def test_the_story_page_links_its_wall_and_an_open_feed_its_form(client, db, pinned, curators):
    slug = pinned["story"]["slug"]
    assert f'href="/stories/{slug}/wall"' in client.get(f"/stories/{slug}").get_data(as_text=True)
    assert 'href="/feeds/demo/post"' not in client.get("/feeds/demo").get_data(as_text=True)
    client.patch("/api/feeds/demo", json={"web_posts": True}, headers=curators.token("bob"))
    assert 'href="/feeds/demo/post"' in client.get("/feeds/demo").get_data(as_text=True)
