"""Embeds, oEmbed, Atom and link previews, asked for over HTTP as a host site, a CMS, a feed
reader and a link-preview bot would ask."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import feedparser
import pytest

from aggregator.feeds import set_item_status
from app import create_app
from stories.elements import add_element
from tests.factories import cheap_passwords, feed, post, story

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

HOSTILE = "</title><script>alert(1)</script>\"' onload=x & <b>"


class Heads(HTMLParser):
    """The <meta> and <link> tags of a page, as a preview bot reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in found or "name" in found):
            self.meta[found.get("property") or found["name"]] = found.get("content", "")
        elif tag == "link":
            self.links.append(found)


def heads(response: Any) -> Heads:
    parser = Heads()
    parser.feed(response.get_data(as_text=True))
    return parser


@pytest.fixture
def summit(db: Any, curators: Any) -> dict[str, Any]:
    """The feed `demo` with three posts (one hidden, one pending) and a live story with a cover."""
    demo = feed(db, "demo")
    shown = post(db, demo, 1, text="Approved <script>alert(1)</script> #demo")
    hidden = post(db, demo, 2, text="Hidden post")
    pending = post(db, demo, 3, text="Pending post")
    set_item_status(db, demo, hidden["id"], "hidden")
    set_item_status(db, demo, pending["id"], "pending")
    owner = curators.create("ada")
    live = story(db, owner, "Kredcrew summit", cover="http://127.0.0.1:9/cover.jpg")
    add_element(db, live, {"type": "item", "item_id": shown["id"]})
    add_element(db, live, {"type": "text", "text": "The keynote starts", "style": "heading"})
    return {"feed": demo, "story": live, "shown": shown, "hidden": hidden, "pending": pending}


# Framing ------------------------------------------------------------------------------------


def test_embed_pages_may_be_framed_by_the_declared_ancestors_and_nothing_else_may(client, summit):
    slug = summit["story"]["slug"]
    for path in (f"/stories/{slug}/embed", "/feeds/demo/embed"):
        response = client.get(path)
        assert response.status_code == 200
        assert "X-Frame-Options" not in response.headers
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    for path in ("/", f"/stories/{slug}", "/feeds/demo", "/feeds/demo/wall", f"/stories/{slug}/atom.xml"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_a_list_of_ancestors_is_served_and_a_value_that_would_break_the_policy_is_refused(tmp_path, app_with):
    allowed = "https://event.example https://*.example.org 'self'"
    app = app_with(EMBED_FRAME_ANCESTORS=allowed)
    feed(app.extensions["tagstory.db"], "demo")
    policy = app.test_client().get("/feeds/demo/embed").headers["Content-Security-Policy"]
    assert f"frame-ancestors {allowed};" in policy
    for bad in ("https://a.example; script-src *", "", "javascript:x"):
        with pytest.raises(ValueError, match="EMBED_FRAME_ANCESTORS"):
            create_app(
                {
                    "DATABASE": str(tmp_path / "b.sqlite"),
                    "SECRET_KEY": "t",
                    "DEMO": False,
                    "COLLECT": False,
                    "EMBED_FRAME_ANCESTORS": bad,
                }
            )


def test_drafts_are_never_embedded_syndicated_or_oembedded_even_for_their_curator(client, db, curators):
    owner = curators.create("grace")
    draft = story(db, owner, "Secret plans", status="draft")
    curators.login(client, "grace")
    assert client.get(f"/stories/{draft['slug']}").status_code == 200  # the curator sees the page
    for path in (
        f"/stories/{draft['slug']}/embed",
        f"/stories/{draft['slug']}/atom.xml",
        f"/oembed?url=http://localhost/stories/{draft['slug']}",
    ):
        assert client.get(path).status_code == 404, path


def test_the_feed_embed_shows_approved_posts_only(client, summit):
    page = client.get("/feeds/demo/embed").get_data(as_text=True)
    assert summit["shown"]["id"] in page
    assert summit["hidden"]["id"] not in page and "Hidden post" not in page
    assert summit["pending"]["id"] not in page and "Pending post" not in page
    assert "<script>alert(1)</script>" not in page


# oEmbed -------------------------------------------------------------------------------------


def test_oembed_answers_a_story_url_with_its_iframe_cover_and_the_limits_it_was_given(client, summit):
    slug = summit["story"]["slug"]
    answer = client.get(f"/oembed?url=http://localhost/stories/{slug}&format=json&maxwidth=400&maxheight=300")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert (body["width"], body["height"]) == (400, 300)
    assert body["title"] == "Kredcrew summit" and body["author_name"] == "ada"
    assert body["provider_name"] == "Tagstory"
    # The cover's host refuses a private address (FETCH_ALLOW_PRIVATE is off): its size is unknown,
    # so oEmbed sends none of thumbnail_url, _width, _height (they come together or not at all).
    assert not {"thumbnail_url", "thumbnail_width", "thumbnail_height"} & body.keys()
    assert f'src="http://localhost/stories/{slug}/embed"' in body["html"]
    assert 'width="400" height="300"' in body["html"]
    # The https URL a TLS proxy's visitors see names this site too (the proxy speaks http to us).
    assert client.get(f"/oembed?url=https://localhost/stories/{slug}/embed").status_code == 200
    feed_answer = client.get("/oembed?url=http://localhost/feeds/demo").get_json()
    assert "/feeds/demo/embed" in feed_answer["html"] and "thumbnail_url" not in feed_answer


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("url=http://localhost/stories/nope", 404),
        ("url=http://localhost/feeds/nope", 404),
        ("url=http://localhost/feeds/demo/wall", 404),  # not an embeddable page
        ("url=http://localhost/", 404),
        ("url=http://elsewhere.example/stories/kredcrew-summit", 404),  # another site
        ("url=http://localhost:8080/stories/kredcrew-summit", 404),  # another origin
        ("url=http://localhost:80x/stories/kredcrew-summit", 400),
        ("url=http://localhost/stories/kredcrew-summit&format=xml", 501),
        ("url=http://[::1/stories/kredcrew-summit", 400),
        ("url=javascript:alert(1)", 400),
        ("url=/stories/kredcrew-summit", 400),
        ("", 400),
        ("url=http://localhost/stories/kredcrew-summit&maxwidth=wide", 400),
    ],
)
def test_oembed_refuses_what_it_cannot_embed_with_a_clear_status(client, summit, query, status):
    answer = client.get(f"/oembed?{query}")
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.get_json()["error"]


def test_the_story_page_names_its_oembed_and_atom_and_they_answer(client, summit):
    slug = summit["story"]["slug"]
    links = heads(client.get(f"/stories/{slug}")).links
    oembed = next(link for link in links if link.get("type") == "application/json+oembed")
    assert client.get(oembed["href"].removeprefix("http://localhost")).get_json()["type"] == "rich"
    atom = next(link for link in links if link.get("type") == "application/atom+xml")
    assert atom["href"] == f"http://localhost/stories/{slug}/atom.xml"
    feed_links = heads(client.get("/feeds/demo")).links
    assert any(link["href"] == "http://localhost/feeds/demo/atom.xml" for link in feed_links)


# Atom ---------------------------------------------------------------------------------------


def test_the_feed_atom_has_exactly_the_approved_posts_sanitized(client, summit):
    response = client.get("/feeds/demo/atom.xml")
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert parsed.feed.title == "demo · Tagstory" and parsed.feed.updated
    assert [entry.id for entry in parsed.entries] == [
        f"http://localhost/feeds/demo#item-{summit['shown']['id']}"
    ]
    entry = parsed.entries[0]
    assert entry.updated and entry.author == "Author 1"
    assert entry.content[0].type == "text/html"
    assert "Approved" in entry.content[0].value and "<script" not in response.get_data(as_text=True)


def test_the_story_atom_has_its_elements_in_order(client, summit):
    response = client.get(f"/stories/{summit['story']['slug']}/atom.xml")
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Kredcrew summit"
    titles = [entry.title for entry in parsed.entries]  # plain text: the post's words, escaped in the XML
    assert titles == ["Author 1: Approved <script>alert(1)</script> #demo", "The keynote starts"]
    assert "<script" not in response.get_data(as_text=True)
    assert all(entry.id.startswith("http://localhost/stories/") and entry.updated for entry in parsed.entries)
    assert "<h2>The keynote starts</h2>" in parsed.entries[1].content[0].value


def test_atom_of_unknown_feeds_and_stories_is_404(client):
    assert client.get("/feeds/nope/atom.xml").status_code == 404
    assert client.get("/stories/nope/atom.xml").status_code == 404


# Link previews ------------------------------------------------------------------------------


def test_open_graph_and_twitter_tags_carry_a_hostile_title_escaped(client, db, curators):
    owner = curators.create("ada")
    hostile = story(db, owner, HOSTILE, description=HOSTILE, cover="https://example.org/c.jpg?a=1&b=2")
    response = client.get(f"/stories/{hostile['slug']}")
    meta = heads(response).meta
    assert meta["og:title"] == HOSTILE and meta["og:description"] == HOSTILE
    assert meta["twitter:title"] == HOSTILE
    assert meta["og:image"] == "https://example.org/c.jpg?a=1&b=2"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:url"] == f"http://localhost/stories/{hostile['slug']}"
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    plain = heads(client.get(f"/stories/{story(db, owner, 'Plain')['slug']}")).meta
    assert plain["twitter:card"] == "summary" and "og:image" not in plain


def test_feed_pages_have_previews_too(client, db):
    feed(db, "demo")
    meta = heads(client.get("/feeds/demo")).meta
    assert meta["og:title"] == "demo" and meta["og:url"] == "http://localhost/feeds/demo"
    assert "#demo" in meta["og:description"]


def test_the_story_page_offers_the_embed_snippet_and_a_draft_does_not(client, db, curators, summit):
    slug = summit["story"]["slug"]
    page = client.get(f"/stories/{slug}").get_data(as_text=True)
    assert f'data-tagstory-embed="http://localhost/stories/{slug}/embed"' in page  # escaped in a textarea
    assert "embed-loader.js" in page and 'class="copy-embed"' in page
    draft = story(db, curators.create("grace"), "Draft", status="draft")
    curators.login(client, "grace")
    assert "copy-embed" not in client.get(f"/stories/{draft['slug']}").get_data(as_text=True)
