"""The HTML pages: they render, carry a strict CSP, run no inline script, escape what others wrote."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stories.elements import add_element
from tests.conftest import PASSWORD
from tests.factories import cheap_passwords, feed, post, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class ScriptScan(HTMLParser):
    """Finds inline scripts, event handlers, javascript: URLs and inline styles (the CSP blocks them)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.lower().startswith("on") or name.lower() == "style":
                self.problems.append(f"<{tag} {name}=…>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "script":
            if "src" not in dict(attrs):
                self.problems.append("<script> without src")
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data[:60]}")


def _problems(html: str) -> list[str]:
    scan = ScriptScan()
    scan.feed(html)
    return scan.problems


@pytest.fixture
def site(db, curators) -> dict[str, str]:
    """A feed with a hostile post, and a story owned by ada (closed) that pins it."""
    demo = feed(db)
    item = post(db, demo, 1, text=HOSTILE, author={"name": HOSTILE, "handle": "evil"})
    post(db, demo, 2, text="", html=f"<p>html post</p>{HOSTILE}")
    owned = story(db, curators.create("ada"), title=HOSTILE, description=HOSTILE)
    add_element(db, owned, {"type": "text", "text": HOSTILE, "style": "heading"})
    add_element(db, owned, {"type": "item", "item_id": item["id"], "annotation": HOSTILE})
    return {"story": owned["slug"], "item": item["id"]}


def _pages(site):
    return [
        "/",
        "/feeds/demo",
        "/feeds/demo/wall",
        f"/stories/{site['story']}",
        f"/stories/{site['story']}/edit",
        "/login",
        "/feeds/nope",
        "/stories/nope",
    ]


@pytest.mark.parametrize("as_curator", [False, True], ids=["viewer", "curator"])
def test_every_page_renders_with_a_strict_csp_and_no_inline_script(
    client, curators, site, subtests, as_curator
):
    if as_curator:
        curators.login(client, "ada")
    for url in _pages(site):
        with subtests.test(url=url):
            response = client.get(url)
            expected = 404 if "nope" in url else 302 if url.endswith("/edit") and not as_curator else 200
            assert response.status_code == expected
            policy = dict(
                part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";")
            )
            assert policy["script-src"] == "'self'"
            assert "unsafe" not in response.headers["Content-Security-Policy"].replace("style-src 'self'", "")
            html = response.get_data(as_text=True)
            assert _problems(html) == []
            assert "<script>alert" not in html and "<img src=x onerror" not in html


def test_hostile_texts_render_escaped(client, curators, site):
    curators.login(client, "ada")
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    for url in (
        "/feeds/demo",
        "/feeds/demo/wall",
        f"/stories/{site['story']}",
        f"/stories/{site['story']}/edit",
    ):
        html = client.get(url).get_data(as_text=True)
        assert escaped in html or escaped.replace("&#34;", "&quot;") in html, url
        assert "html post" in html or "stories" in url


def test_templates_have_no_inline_script_or_handlers():
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text("utf-8")
        # A JSON data block (the export's embedded archive) is data, never run.
        assert not re.search(r'<script(?![^>]*\s(?:src=|type="application/json"))[^>]*>', source), (
            template.name
        )
        assert not re.search(r"\son[a-z]+\s*=", source, re.IGNORECASE), template.name


def test_the_editor_sends_anonymous_users_to_login(client, site):
    response = client.get(f"/stories/{site['story']}/edit")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/stories/{site['story']}/edit"


def test_the_editor_refuses_curators_of_other_stories(client, curators, site):
    curators.login(client, "bob")
    assert client.get(f"/stories/{site['story']}/edit").status_code == 403


def test_a_draft_is_hidden_from_viewers_and_other_curators(client, db, curators):
    draft = story(db, curators.create("ada"), status="draft", title="Secret")
    assert client.get(f"/stories/{draft['slug']}").status_code == 404
    assert "Secret" not in client.get("/").get_data(as_text=True)
    curators.login(client, "bob")
    assert client.get(f"/stories/{draft['slug']}/edit").status_code == 404
    curators.login(client, "ada")
    assert client.get(f"/stories/{draft['slug']}/edit").status_code == 200


def _csrf(client):
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf"]


def test_login_with_a_wrong_password_fails(client, curators):
    curators.create("ada")
    csrf = _csrf(client)
    for name, password in (("ada", "wrong password"), ("nobody", PASSWORD), ("ada", "")):
        response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf})
        assert response.status_code == 401
        assert "Wrong name or password." in response.get_data(as_text=True)
        with client.session_transaction() as session:
            assert "curator" not in session


def test_login_needs_the_forms_csrf_token(client, curators):
    curators.create("ada")
    _csrf(client)
    response = client.post("/login", data={"name": "ada", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "curator" not in session


@pytest.mark.parametrize(
    "target",
    [
        "/stories/x/edit",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "/%2F%2Fevil.example",
    ],
)
def test_login_only_redirects_inside_the_site(client, curators, target):
    curators.create("ada")
    csrf = _csrf(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"name": "ada", "password": PASSWORD, "csrf_token": csrf},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    if target == "/stories/x/edit":
        assert location == target


def test_logout_needs_the_csrf_token(client, curators):
    csrf = curators.login(client, "ada")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    with client.session_transaction() as session:
        assert session["curator"] == "ada"
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "curator" not in session


def test_pages_send_the_other_security_headers(client, site):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_a_feed_page_shows_its_latest_posts_however_busy_other_feeds_are(client, db):
    from aggregator.items import item_from_dict, store_items
    from tests.factories import post_dict

    quiet, busy = feed(db, "quiet"), feed(db, "busy")
    store_items(db, quiet, [item_from_dict(post_dict(f"q{n}")) for n in range(100)])
    store_items(db, busy, [item_from_dict(post_dict(f"b{n}")) for n in range(600)])
    post(db, quiet, "latest")
    html = client.get("/feeds/quiet").get_data(as_text=True)
    shown = re.findall(r'data-item-id="([0-9a-f]+)"', html)
    assert len(shown) == 100
    assert "post latest" in html and "post q1<" in html and "post q0<" not in html
