"""A participant without a social account posts to the wall (issue 9): a curator opens the form
on the desk, the wall's QR code leads to it, a phone with no script posts text and a picture, the
post waits in the queue, a curator approves it and the open wall shows it live; a second post
within the minute is refused with a message."""

from __future__ import annotations

import io

import requests
from PIL import Image

from tests.browser.conftest import joined, log_in, screenshot, start_site
from tests.browser.test_wall import SCREENS


def _photo() -> dict[str, object]:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(out, "JPEG")
    return {"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_a_post_from_the_wall_form_goes_through_moderation_to_the_wall(live_server, new_context):
    site = start_site(live_server, env={"TAGSTORY_WEB_POSTS_PER_MINUTE": "1"})
    site.feed = "room"
    site.make_feed()
    site.post_item(site.feed, "Already on the wall #room")
    curator = new_context(viewport=SCREENS["laptop"])
    desk = curator.new_page()
    log_in(desk, site, f"/feeds/{site.feed}/moderate")
    joined(desk)
    desk.check('input[name="web_posts"]')
    desk.click('#rules button[type="submit"]')
    desk.wait_for_selector('#moderation-message:has-text("Rules saved")')

    wall = new_context(viewport=SCREENS["projector"]).new_page()
    wall.goto(f"{site.url}/feeds/{site.feed}/wall")
    joined(wall)
    form_url = wall.get_attribute("#wall-qr", "data-url")
    assert form_url == f"{site.url}/feeds/{site.feed}/post"
    assert wall.locator(".wall-qr figcaption").inner_text() == "Scan to post here"

    phone = new_context(viewport=SCREENS["phone"], is_mobile=True, java_script_enabled=False).new_page()
    phone.goto(form_url)
    screenshot(phone, "participate-phone")
    phone.fill("#name", "Grace in row 3")
    phone.fill("#text", "The demo just worked on stage! #room")
    phone.set_input_files("#image", _photo())
    phone.fill("#alt", "The stage, lit in blue")
    with phone.expect_navigation():
        phone.click('form button[type="submit"]')
    assert "waits for a curator" in phone.locator(".sent").inner_text()
    # The minute's one post is spent: the next is refused, with what was typed kept.
    phone.fill("#name", "Grace in row 3")
    phone.fill("#text", "And another one")
    with phone.expect_navigation() as refused:
        phone.click('form button[type="submit"]')
    assert refused.value.status == 429
    assert "try again in" in phone.locator(".form-error").inner_text()
    assert phone.input_value("#text") == "And another one"
    screenshot(phone, "participate-refused")

    pending = desk.locator('#queue li:has-text("The demo just worked")')
    pending.wait_for()
    assert wall.locator("#items").inner_text().count("The demo just worked") == 0  # not before approval
    pending.locator('button[data-status="approved"]').click()
    card = wall.locator('#items .item:has-text("The demo just worked on stage")')
    card.wait_for()
    assert card.locator(".author-name").inner_text() == "Grace in row 3"
    assert card.locator(".source").inner_text() == "the wall's form"
    image = card.locator(".item-media img")
    assert image.get_attribute("alt") == "The stage, lit in blue"
    assert image.get_attribute("src").startswith(f"{site.url}/uploads/")
    wall.wait_for_function("(img) => img.complete && img.naturalWidth === 800", arg=image.element_handle())
    public = requests.get(f"{site.url}/api/feeds/{site.feed}/items", timeout=5).json()["items"]
    assert [i["source"] for i in public] == ["api", "web"]
