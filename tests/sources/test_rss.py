"""RSS against a local web server with ETags."""

from __future__ import annotations

from aggregator.feeds import create_feed
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers import FakeRss


def test_matching_entries_with_conditional_gets(db, serve, collecting):
    fake = FakeRss()
    url = serve(fake).url + "/feed.xml"
    fake.entries = [
        ("a", "Summit day one #KredCrew", "<p>We met <script>alert(1)</script>everyone</p>"),
        ("b", "Unrelated", "<p>nothing here</p>"),
    ]
    create_feed(db, "kc", "#kredcrew", [f"rss:{url}"])
    create_feed(db, "blog", "#kredcrew", [f"rss:{url}#all"])
    with collecting(RSS_POLL_SECONDS=0.05):
        wait_for(lambda: len(fake.requests) >= 6)  # both feeds polled several times
        fake.entries.append(("c", "Day two", "<p>with kredcrew again</p>"))
        wait_for(lambda: len(feed_texts(db, "kc")) == 2 and len(feed_texts(db, "blog")) == 3)
    assert feed_texts(db, "kc") == [
        "Summit day one #KredCrew\nWe met everyone",
        "Day two\nwith kredcrew again",
    ]
    conditional = [r for r in fake.requests if "If-None-Match" in r]
    assert conditional and all(r["User-Agent"].startswith("Tagstory/") for r in fake.requests)
    html = db.query_one("SELECT html FROM items WHERE source_id = 'a'")["html"]
    assert "<script" not in html and "alert" not in html and "<h4>Summit day one #KredCrew</h4>" in html
    assert source_row(db, "kc")["state"] == "running"


def test_503_then_not_a_feed_are_reported(db, serve, collecting):
    fake = FakeRss()
    fake.failures.append(503)
    create_feed(db, "kc", "#kredcrew", [f"rss:{serve(fake).url}/feed.xml"])
    with collecting():
        row = wait_for(lambda: (r := source_row(db, "kc"))["last_error"] and r)
    assert row["state"] == "error" and "503" in row["last_error"]
