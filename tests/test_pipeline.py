"""The one ingest pipeline: payload -> Item -> sanitized, deduped, stored with its cursor and event."""

from __future__ import annotations

import json
import sqlite3

import pytest

from aggregator import eventlog
from aggregator.items import InvalidItem, item_from_dict, store_items
from aggregator.sanitize import clean_html, clean_url, html_to_text, text_to_html
from tests.factories import cheap_passwords, feed, post, post_dict

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def _events(db):
    return db.query("SELECT seq, room, type, op FROM events ORDER BY seq")


def test_item_from_dict_keeps_every_field_of_the_normalized_item():
    data = post_dict(
        1,
        media=[{"type": "image", "url": "https://img.example/1.jpg", "alt": "a cat"}],
        reply_to="0",
        lang="en",
        sensitive=True,
        created_at="2012-05-29T14:00:00-04:00",
    )
    item = item_from_dict(data)
    assert (item.source, item.source_id, item.author.name, item.author.handle) == (
        "test",
        "1",
        "Author 1",
        "author1",
    )
    assert item.url == "https://example.org/posts/1"
    assert item.created_at == "2012-05-29T18:00:00.000Z"
    assert item.media[0].url == "https://img.example/1.jpg" and item.media[0].alt == "a cat"
    assert (item.reply_to, item.lang, item.sensitive) == ("0", "en", True)
    assert item.raw is data


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "JSON object"),
        ({"source": "t", "source_id": "1", "author": {"name": "A"}}, "'text'"),
        ({"source": "t", "source_id": "1", "text": "x", "author": {}}, "'name'"),
        ({"source": "t", "text": "x", "author": {"name": "A"}}, "'source_id'"),
        ({"source_id": "1", "text": "x", "author": {"name": "A"}}, "'source'"),
        ({"source": "t", "source_id": "1", "text": "x", "author": "A"}, "'author'"),
        ({"source": "t", "source_id": "1", "text": ["x"], "author": {"name": "A"}}, "'text'"),
        ({"source": "t", "source_id": "1", "text": "x", "author": {"name": "A"}, "media": "x"}, "'media'"),
        ({"source": "t", "source_id": "1", "text": "x" * 100_001, "author": {"name": "A"}}, "longer"),
        ({"source": "t", "source_id": True, "text": "x", "author": {"name": "A"}}, "'source_id'"),
    ],
)
def test_item_from_dict_names_the_wrong_field(payload, message):
    with pytest.raises(InvalidItem, match=message):
        item_from_dict(payload)


def test_unsafe_urls_in_a_payload_are_dropped():
    item = item_from_dict(
        post_dict(
            1,
            url="javascript:alert(1)",
            author={"name": "A", "url": "data:text/html,x", "avatar": "vbscript:x"},
            media=[{"url": "javascript:alert(1)"}, {"url": "https://ok.example/a.png"}],
        )
    )
    assert item.url is None and item.author.url is None and item.author.avatar is None
    assert [m.url for m in item.media] == ["https://ok.example/a.png"]


def test_same_post_twice_is_one_item_and_one_event(db):
    demo = feed(db)
    first = post(db, demo, 1)
    again = post(db, demo, 1, text="edited later")
    assert first is not None and again is None
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 1
    assert [r["op"] for r in _events(db)] == ["add"]
    assert db.query_one("SELECT text FROM items")["text"] == "post 1"


def test_duplicates_inside_one_batch_are_stored_once(db):
    demo = feed(db)
    items = [item_from_dict(post_dict(7)), item_from_dict(post_dict(7)), item_from_dict(post_dict(8))]
    added = store_items(db, demo, items)
    assert [i["source_id"] for i in added] == ["7", "8"]
    assert len(_events(db)) == 2


def test_same_source_id_on_another_network_is_another_item(db):
    demo = feed(db)
    post(db, demo, 1)
    post(db, demo, 1, source="other")
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 2


def test_one_item_may_join_two_feeds_with_one_event_each(db):
    one, two = feed(db, "one"), feed(db, "two")
    post(db, one, 1)
    post(db, two, 1)
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 1
    assert [r["room"] for r in _events(db)] == ["feed:one", "feed:two"]


def test_raw_is_kept_exactly_as_received(db):
    demo = feed(db)
    payload = post_dict(
        1,
        extra={"nested": [1, 2.5, None, True], "ünïcode": "日本 😀"},
        text="<b>not html</b> & friends",
        url="javascript:alert(1)",
    )
    post(db, demo, 1, **{k: v for k, v in payload.items() if k not in ("source_id",)})
    stored = json.loads(db.query_one("SELECT raw FROM items")["raw"])
    assert stored == payload
    assert list(stored) == list(payload)  # key order too


def test_plain_text_is_escaped_and_its_links_are_anchors(db):
    demo = feed(db)
    added = post(db, demo, 1, text='<script>alert("x")</script> see https://example.org/a?b=1&c=2.')
    html = added["html"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer ugc">' in html
    assert html.endswith("</a>.")


def test_text_links_come_from_the_sources_own_spans():
    text = "read this & that"
    html = text_to_html(text, links=[(5, 9, "https://example.org/this"), (0, 4, "javascript:x")])
    anchor = '<a href="https://example.org/this" rel="nofollow noopener noreferrer ugc">this</a>'
    assert html == f"read {anchor} &amp; that"


def test_mentions_and_hashtags_link_to_the_network():
    html = text_to_html("hi @ada #KredCrew", None, network="x")
    assert 'href="https://x.com/ada"' in html and 'href="https://x.com/hashtag/KredCrew"' in html


def test_out_of_range_or_overlapping_spans_stay_text():
    html = text_to_html(
        "abc", links=[(0, 2, "https://a.example"), (1, 3, "https://b.example"), (2, 99, "https://c")]
    )
    assert html.count("<a ") == 1 and "b.example" not in html and "https://c" not in html


@pytest.mark.parametrize(
    ("dirty", "forbidden"),
    [
        ("<script>alert(1)</script>ok", "alert"),
        ("<style>body{display:none}</style>ok", "display"),
        ("<SCRIPT>alert(1)</SCRIPT>ok", "alert"),
        ("<svg><script>alert(1)</script></svg>ok", "alert"),
        ("<iframe src=https://evil.example>inside</iframe>ok", "inside"),
        ("<noscript><p>hidden</p></noscript>ok", "hidden"),
        ("<textarea>typed</textarea>ok", "typed"),
        ('<a href="javascript:alert(1)">ok</a>', "javascript"),
        ('<a href="JaVaScRiPt:alert(1)">ok</a>', "alert"),
        ('<a href="jav&#x09;ascript:alert(1)">ok</a>', "alert"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">ok</a>', "data:"),
        ('<img src=x onerror="alert(1)">ok', "onerror"),
        ('<p onclick="alert(1)">ok</p>', "onclick"),
        ('<a href="https://ok.example" onmouseover="alert(1)">ok</a>', "onmouseover"),
        ('<span style="background:url(javascript:x)">ok</span>', "style"),
        ("<!-- <script>alert(1)</script> -->ok", "alert"),
        ("<scr<script>ipt>alert(1)</script>ok", "<script"),
        ('<form action="https://evil.example"><input name=x></form>ok', "<form"),
    ],
)
def test_html_sources_are_sanitized(dirty, forbidden):
    clean = clean_html(dirty)
    assert forbidden.lower() not in clean.lower()
    assert "ok" in clean


def test_sanitizer_keeps_text_after_a_dropped_element_and_safe_markup():
    clean = clean_html('<p>before<script>x()</script>after <a href="https://ok.example/">link</a></p>')
    assert clean.startswith("<p>beforeafter ")
    assert '<a href="https://ok.example/" rel="nofollow noopener noreferrer ugc">link</a>' in clean


def test_html_items_are_sanitized_in_the_pipeline_and_their_text_derived(db):
    demo = feed(db)
    dirty = '<p>Hello <b>world</b><script>steal()</script></p><p onclick="x()">two</p>'
    added = post(db, demo, 1, text="", html=dirty)
    assert "steal" not in added["html"] and "onclick" not in added["html"]
    assert "<b>world</b>" in added["html"]
    assert added["text"].split() == ["Hello", "world", "two"]
    assert json.loads(db.query_one("SELECT raw FROM items")["raw"])["html"] == dirty


def test_html_to_text_drops_script_contents():
    assert html_to_text("<p>a<script>b</script>c</p>") == "ac"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/x", True),
        ("HTTP://EXAMPLE.ORG", True),
        ("javascript:alert(1)", False),
        ("//evil.example", False),
        ("https://ex ample.org", False),
        ('https://example.org/"onmouseover=x', False),
        ("ftp://example.org", False),
        (42, False),
    ],
)
def test_clean_url_accepts_only_absolute_http_urls(url, ok):
    assert (clean_url(url) is not None) is ok


def _source(db, demo):
    with db.write() as tx:
        return tx.execute(
            "INSERT INTO sources (feed_id, spec, created_at) VALUES (?, 'replay:x', 'now')", [demo["id"]]
        ).lastrowid


def test_cursor_is_stored_with_the_items(db):
    demo = feed(db)
    source_id = _source(db, demo)
    store_items(db, demo, [item_from_dict(post_dict(1)), item_from_dict(post_dict(2))], source_id, "2")
    row = db.query_one("SELECT cursor, items FROM sources WHERE id = ?", [source_id])
    assert (row["cursor"], row["items"]) == ("2", 2)


def test_a_failure_mid_batch_stores_nothing_not_even_the_cursor(db):
    demo = feed(db)
    source_id = _source(db, demo)
    store_items(db, demo, [item_from_dict(post_dict(1))], source_id, "1")
    published = []
    db.publish = published.extend
    good = item_from_dict(post_dict(2))
    bad = item_from_dict(post_dict(3))
    bad.author.name = None  # violates NOT NULL after the good item was written
    with pytest.raises(sqlite3.IntegrityError):
        store_items(db, demo, [good, bad], source_id, "3")
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 1
    assert db.query_one("SELECT cursor FROM sources WHERE id = ?", [source_id])["cursor"] == "1"
    assert len(_events(db)) == 1
    assert published == []
    # the writer is usable again afterwards
    assert post(db, demo, 4)["seq"] == 2


def test_items_without_a_feed_are_stored_without_an_event(db):
    store_items(db, None, [item_from_dict(post_dict(1))])
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 1
    assert eventlog.last_seq(db) == 0


def test_a_post_quoted_by_a_story_before_the_feed_saw_it_joins_the_feed_once(db):
    store_items(db, None, [item_from_dict(post_dict(1))])  # the demo pins posts before the replay
    demo = feed(db)
    added = store_items(db, demo, [item_from_dict(post_dict(1, text="replayed copy"))])
    assert [a["text"] for a in added] == ["post 1"]
    assert store_items(db, demo, [item_from_dict(post_dict(1))]) == []
    assert [r["op"] for r in _events(db)] == ["add"]


def test_a_replay_source_stores_its_cursor_and_resumes_after_it(db, tmp_path):
    from aggregator.collector import Collector
    from aggregator.feeds import create_feed
    from web.settings import defaults

    path = tmp_path / "replay.jsonl"
    lines = [json.dumps(post_dict(1)), "{not json", "[" * 100_000, json.dumps(post_dict(2))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    create_feed(db, "replayed", "#r", ["replay:replay.jsonl?speed=0"])
    source_id = db.query_one("SELECT id FROM sources")["id"]
    collector = Collector(db, {**defaults(), "REPLAY_SPEED": 0, "REPLAY_ROOT": str(tmp_path)})
    collector.run_source(source_id)
    row = db.query_one("SELECT * FROM sources WHERE id = ?", [source_id])
    assert (row["state"], row["cursor"], row["items"], row["skipped"]) == ("finished", "4", 2, 2)
    assert "line 3" in row["last_error"]
    with path.open("a", encoding="utf-8") as more:
        more.write(json.dumps(post_dict(1)) + "\n" + json.dumps(post_dict(3)) + "\n")
    collector.run_source(source_id)
    texts = [
        r["text"]
        for r in db.query("SELECT i.text FROM feed_items f JOIN items i ON i.id = f.item_id ORDER BY f.seq")
    ]
    assert texts == ["post 1", "post 2", "post 3"]
    assert db.query_one("SELECT cursor FROM sources WHERE id = ?", [source_id])["cursor"] == "6"


@pytest.mark.parametrize(
    "created_at",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2012-13-01", "yesterday", "１２"],
)
def test_an_impossible_timestamp_falls_back_to_the_collection_time(created_at):
    item = item_from_dict(post_dict(1, created_at=created_at))
    assert item.created_at.endswith("Z") and item.created_at[:4] >= "2026"


def test_the_api_accepts_an_item_with_an_out_of_range_timestamp(client, curators, db):
    feed(db)
    body = {"text": "x", "author": {"name": "A"}, "created_at": "0001-01-01T00:00:00+01:00"}
    response = client.post("/api/feeds/demo/items", json=body, headers=curators.token())
    assert response.status_code == 201


def test_the_demo_replay_fills_its_feed_once_with_the_pinned_posts_included(app, db):
    from aggregator.collector import Collector
    from stories.demo import POSTS, install_demo

    install_demo(db)
    install_demo(db)  # a restart installs nothing twice
    source = db.query_one("SELECT id FROM sources")["id"]
    Collector(db, app.config).run_source(source)
    lines = [json.loads(line) for line in POSTS.read_text("utf-8").splitlines() if line.strip()]
    row = db.query_one("SELECT count(*) AS n FROM feed_items")
    assert row["n"] == len({(p["source"], p["source_id"]) for p in lines})
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == row["n"]
    assert db.query_one("SELECT count(*) AS n FROM stories")["n"] == 1
