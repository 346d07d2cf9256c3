"""The wall's form over HTTP, as a phone in the room sends it: closed until a curator opens it,
every post into the moderation queue, bad input answered next to its field with a 4xx, pictures
stored re-encoded without their metadata, and a bounded number of posts per client a minute."""

from __future__ import annotations

import io
import random
import re
import time
from typing import Any

import pytest
from PIL import Image
from werkzeug.test import EnvironBuilder

from aggregator.curation import update_settings
from tests.conftest import copy_database, make_app
from tests.factories import cheap_passwords, feed

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

GPS_TAG = 0x8825  # EXIF's GPS information pointer


def _jpeg_with_gps(size: tuple[int, int] = (640, 480)) -> bytes:
    """A photo as a phone takes it: a JPEG carrying its location in EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[GPS_TAG] = {1: "N", 2: (48.0, 51.0, 24.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def _csrf(client: Any, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


@pytest.fixture
def opened(app: Any, db: Any, curators: Any, client: Any) -> dict[str, Any]:
    """The feed `demo` (auto-approve) with its wall's form opened by a curator through the API."""
    demo = feed(db, "demo")
    headers = curators.token("ada")
    answer = client.patch("/api/feeds/demo", json={"web_posts": True}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["web_posts"] is True
    return {"feed": demo, "headers": headers}


def _send(client: Any, fields: dict[str, Any], **kwargs: Any) -> Any:
    data = {"csrf_token": _csrf(client, "/feeds/demo/post"), **fields}
    return client.post("/feeds/demo/post", data=data, content_type="multipart/form-data", **kwargs)


def test_the_form_is_closed_until_a_curator_opens_it_and_the_wall_qr_follows(client, db, curators):
    feed(db, "demo")
    closed = client.get("/feeds/demo/post")
    assert closed.status_code == 403 and "have not opened posting" in closed.get_data(as_text=True)
    assert 'data-url="http://localhost/feeds/demo"' in client.get("/feeds/demo/wall").get_data(as_text=True)
    assert client.patch("/api/feeds/demo", json={"web_posts": True}).status_code in (401, 403)
    bad = client.patch("/api/feeds/demo", json={"web_posts": "yes"}, headers=curators.token("ada"))
    assert bad.status_code == 400 and "web_posts" in bad.get_json()["error"]
    client.patch("/api/feeds/demo", json={"web_posts": True}, headers=curators.token("ada"))
    assert client.get("/api/feeds/demo").get_json()["web_posts"] is True
    assert client.get("/feeds/demo/post").status_code == 200
    wall = client.get("/feeds/demo/wall").get_data(as_text=True)
    assert 'data-url="http://localhost/feeds/demo/post"' in wall and "Scan to post here" in wall


def test_a_post_waits_for_a_curator_even_in_an_auto_approving_feed(client, db, opened):
    sent = _send(client, {"name": "Ada in row 3", "text": "Great keynote! <b>bold</b> #demo"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/feeds/demo/post?sent=1")
    assert "waits for a curator" in client.get(sent.headers["Location"]).get_data(as_text=True)
    assert client.get("/api/feeds/demo/items").get_json()["items"] == []  # nothing public yet
    queue = client.get("/api/feeds/demo/items?status=pending", headers=opened["headers"]).get_json()["items"]
    assert [(i["source"], i["status"], i["author"]["name"]) for i in queue] == [
        ("web", "pending", "Ada in row 3")
    ]
    assert "<b>" not in queue[0]["html"] and "&lt;b&gt;" in queue[0]["html"]
    approved = client.patch(
        f"/api/feeds/demo/items/{queue[0]['id']}", json={"status": "approved"}, headers=opened["headers"]
    )
    assert approved.status_code == 200
    shown = client.get("/api/feeds/demo/items").get_json()["items"]
    assert [i["text"] for i in shown] == ["Great keynote! <b>bold</b> #demo"]
    atom = client.get("/feeds/demo/atom.xml")  # a post with no permalink of its own still syndicates
    assert atom.status_code == 200 and "Ada in row 3" in atom.get_data(as_text=True)
    assert "Ada in row 3" in client.get("/feeds/demo/wall").get_data(as_text=True)


def test_the_feeds_rules_still_hide_a_web_post(client, opened):
    client.patch("/api/feeds/demo", json={"rules": {"blocked_words": ["spam"]}}, headers=opened["headers"])
    assert _send(client, {"name": "Bot", "text": "buy spam now"}).status_code == 303
    hidden = client.get("/api/feeds/demo/items?status=hidden", headers=opened["headers"]).get_json()["items"]
    assert [i["status"] for i in hidden] == ["hidden"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "", "text": "hello"}, "name", "Give a name"),
        ({"name": "x" * 61, "text": "hello"}, "name", "at most 60"),
        ({"name": "Ada", "text": "   "}, "text", "Write something"),
        ({"name": "Ada", "text": "é" * 281}, "text", "this one has 281"),
        ({"name": "Ada", "text": "hi", "alt": "a" * 301}, "alt", "at most 300"),
    ],
)
def test_bad_text_comes_back_next_to_its_field(client, opened, fields, field, message):
    answer = _send(client, fields)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1), html
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', html)
    if field != "name":
        assert 'value="Ada"' in html  # what was typed is kept


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_stored(client, opened):
    answer = client.post("/feeds/demo/post", data={"name": "Ada", "text": "hello"})
    assert answer.status_code == 400 and "The form had expired" in answer.get_data(as_text=True)
    assert 'value="Ada"' in answer.get_data(as_text=True)  # what was typed is kept
    pending = client.get("/api/feeds/demo/items?status=pending", headers=opened["headers"])
    assert pending.get_json()["items"] == []


def test_a_picture_is_stored_re_encoded_without_its_location_and_served_as_what_it_is(
    client, db, opened, tmp_path
):
    photo = (io.BytesIO(_jpeg_with_gps((3000, 1500))), "../../evil.html", "text/html")
    assert (
        _send(client, {"name": "Ada", "text": "The stage", "alt": "A red stage", "image": photo}).status_code
        == 303
    )
    item = client.get("/api/feeds/demo/items?status=pending", headers=opened["headers"]).get_json()["items"][
        0
    ]
    (media,) = item["media"]
    assert media["alt"] == "A red stage"
    assert re.fullmatch(r"http://localhost/uploads/[0-9a-f]{32}\.jpg", media["url"]), media["url"]
    served = client.get(media["url"].removeprefix("http://localhost"))
    body = served.get_data()
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'"
    stored = Image.open(io.BytesIO(body))
    assert (tmp_path / "uploads" / media["url"].rsplit("/", 1)[1]).is_file()  # beside the database
    assert stored.format == "JPEG" and max(stored.size) == 2048  # made smaller
    assert dict(stored.getexif()) == {} and "exif" not in stored.info
    assert client.get("/uploads/..%2fsecret_key").status_code == 404
    assert client.get("/uploads/evil.html").status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((b"<html><script>alert(1)</script></html>", "photo.jpg", "image/jpeg"), "not a picture"),
        ((b"GIF89a" + b"\x00" * 20, "x.gif", "image/gif"), "not a picture"),
    ],
)
def test_a_file_that_is_not_a_picture_is_refused_whatever_its_name_and_type(client, opened, upload, message):
    data, name, kind = upload
    answer = _send(client, {"name": "Ada", "text": "look", "image": (io.BytesIO(data), name, kind)})
    assert answer.status_code == 400
    error = re.search(r'<p class="field-error" id="image-error">([^<]*)</p>', answer.get_data(as_text=True))
    assert error and message in error.group(1)


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(client, opened):
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")  # 50 million pixels, a few kilobytes
    out.seek(0)
    answer = _send(client, {"name": "Ada", "text": "big", "image": (out, "big.png", "image/png")})
    assert answer.status_code == 400 and "million pixels" in answer.get_data(as_text=True)


def _opened_app(tmp_path: Any, migrated_database: Any, **config: Any) -> tuple[Any, Any]:
    """An app with `config`, its feed `demo` with the wall's form open; (app, db)."""
    app = make_app(copy_database(migrated_database, tmp_path / "t.sqlite"), **config)
    db = app.extensions["tagstory.db"]
    demo = feed(db, "demo")
    update_settings(db, demo, {"web_posts": True}, "ada")
    return app, db


def test_a_picture_over_the_size_setting_is_413_next_to_the_field(tmp_path, migrated_database):
    app, db = _opened_app(tmp_path, migrated_database, WEB_POST_IMAGE_MAX_BYTES=100_000)
    client = app.test_client()
    photo = (io.BytesIO(b"\xff" * 200_000), "big.jpg", "image/jpeg")
    answer = _send(client, {"name": "Ada", "text": "big", "image": photo})
    assert answer.status_code == 413
    assert re.search(r'id="image-error">[^<]*larger than 0.0953674 MB', answer.get_data(as_text=True))
    db.close()


def test_each_client_sends_a_bounded_number_of_posts_a_minute(tmp_path, migrated_database):
    app, db = _opened_app(tmp_path, migrated_database, WEB_POSTS_PER_MINUTE=2)
    phone = app.test_client()
    assert _send(phone, {"name": "Ada", "text": "one"}).status_code == 303
    assert _send(phone, {"name": "Ada", "text": ""}).status_code == 400  # a mistake is not counted
    assert _send(phone, {"name": "Ada", "text": "two"}).status_code == 303
    refused = _send(phone, {"name": "Ada", "text": "three"})
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    html = refused.get_data(as_text=True)
    assert "2 posts in the last minute" in html and "try again in" in html and ">three</textarea>" in html
    other = app.test_client()
    sent = _send(
        other, {"name": "Bob", "text": "from another phone"}, environ_base={"REMOTE_ADDR": "10.0.0.7"}
    )
    assert sent.status_code == 303
    pending = [row["text"] for row in db.query("SELECT text FROM items WHERE source = 'web' ORDER BY rowid")]
    assert pending == ["one", "two", "from another phone"]
    db.close()


def test_a_phone_photo_larger_than_other_requests_may_be_is_taken(client, opened, app):
    noise = Image.frombytes("RGB", (1000, 1000), random.Random(9).randbytes(3_000_000))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > app.config["MAX_CONTENT_LENGTH"]  # 2 MB: the site's other forms refuse it
    out.seek(0)
    data = {"csrf_token": _csrf(client, "/feeds/demo/post"), "name": "Ada", "text": "my photo"}
    data["image"] = (out, "photo.png", "image/png")
    builder = EnvironBuilder("/feeds/demo/post", method="POST", data=data)
    environ = builder.get_environ()  # over 500 kB: the test client spools the body to a file
    try:
        answer = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert answer.status_code == 303


def test_counting_web_posts_keeps_the_login_failures_of_a_longer_window(db):
    """The form's one-minute count and the logins' five minutes share a table: neither forgets the other's."""
    from web.accounts.throttle import LoginThrottle

    with db.write() as tx:
        for _ in range(5):
            tx.execute(
                "INSERT INTO login_failures (key, at) VALUES (?, ?)", ["address:10.0.0.9", time.time() - 100]
            )
    logins = LoginThrottle(db, 5, 300.0)
    assert logins.retry_after(["address:10.0.0.9"]) > 0
    LoginThrottle(db, 3, 60.0).count(["web-post:10.0.0.9"])
    assert logins.retry_after(["address:10.0.0.9"]) > 0  # still locked out: the login failures are kept
