"""X through tweepy against a local server answering in the X API v2 shape (recorded responses)."""

from __future__ import annotations

import json
import logging

import aggregator.collector as collector_module
from aggregator.feeds import create_feed, sources_of
from aggregator.sources.x_payload import item_from_tweet
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers import RECORDED, tweet


def _settings(x_api, **more):
    return {"X_API_URL": x_api.url, "X_BEARER_TOKEN": x_api.token, "X_POLL_SECONDS": 0.05, **more}


def test_a_recorded_response_becomes_a_complete_item():
    recorded = json.loads((RECORDED / "x_search_recent.json").read_text())
    item = item_from_tweet(recorded["data"][0], recorded["includes"])
    assert item.text.startswith("Summit Q&A with @kred_ada now #KredCrew")
    html = item.render_html()
    assert 'href="https://x.com/kred_ada"' in html and ">@kred_ada</a>" in html
    assert 'href="https://x.com/hashtag/KredCrew"' in html
    assert (
        '<a href="https://kred.example/summit" rel="nofollow noopener noreferrer ugc">https://t.co/abc123</a>'
        in html
    )
    assert "Q&amp;A" in html
    assert (item.author.name, item.author.handle) == ("Bob <b>Kred</b>", "kred_bob")
    assert item.url == "https://x.com/kred_bob/status/1861000000000000002"
    assert [(m.type, m.url, m.alt) for m in item.media] == [
        ("image", "https://pbs.twimg.com/media/pic999.jpg", "The summit stage")
    ]
    assert item.repost_of == "1860000000000000001"


def test_backfill_pages_then_polls_with_since_id_and_counts_reads(db, x_api, collecting):
    x_api.tweets = [tweet(n) for n in range(250)]
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(**_settings(x_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 250)
        x_api.tweets.append(tweet(250))
        wait_for(lambda: len(feed_texts(db, "kc")) == 251)
    assert sorted(feed_texts(db, "kc")) == sorted(f"tweet {n} #kredcrew" for n in range(251))
    assert any(r.get("next_token") for r in x_api.requests)
    assert any(r.get("since_id") == tweet(249)["id"] for r in x_api.requests)
    health = sources_of(db, source_row(db, "kc")["feed_id"])[0]
    assert health["reads_today"] == 251 and health["state"] == "running"


def test_the_daily_budget_stops_polling(db, x_api, collecting):
    x_api.tweets = [tweet(n) for n in range(30)]
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(**_settings(x_api, X_DAILY_READ_BUDGET=20)):
        row = wait_for(lambda: (r := source_row(db, "kc"))["last_error"] and r)
        requests_made = len(x_api.requests)
    assert "budget" in row["last_error"] and row["rate_limit_reset"]
    assert len(feed_texts(db, "kc")) == 20 and requests_made == 1  # max_results shrank to the budget left


def test_missing_token_is_said_plainly(db, collecting):
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(X_BEARER_TOKEN=None):
        row = wait_for(lambda: (r := source_row(db, "kc"))["last_error"] and r)
    assert row["state"] == "error" and row["last_error"].startswith("X needs TAGSTORY_X_BEARER_TOKEN")
    assert row["rate_limit_reset"] is None


def test_401_and_429_are_reported_without_the_token(db, x_api, collecting, caplog):
    caplog.set_level(logging.DEBUG)  # even debug logs must not carry a credential
    create_feed(db, "kc", "#kredcrew", ["x"])
    x_api.failures.append(429)
    with collecting(**_settings(x_api)):
        row = wait_for(lambda: (r := source_row(db, "kc"))["rate_limit_reset"] and r)
    assert "429" in row["last_error"] and len(x_api.requests) == 1
    with collecting(**_settings(x_api, X_BEARER_TOKEN="wrong-token")):
        row = wait_for(lambda: "401" in ((r := source_row(db, "kc"))["last_error"] or "") and r)
    assert "TAGSTORY_X_BEARER_TOKEN" in row["last_error"]
    assert "wrong-token" not in caplog.text and x_api.token not in caplog.text


def test_503_timeout_and_truncated_json_are_retried_without_loss(db, x_api, collecting):
    x_api.tweets = [tweet(n) for n in range(120)]
    x_api.failures.extend([503, ("slow", 1.0), "truncated"])
    create_feed(db, "kc", "#kredcrew", ["x"])
    start, collector_module.BACKOFF_START = collector_module.BACKOFF_START, 0.05
    try:
        with collecting(**_settings(x_api, HTTP_TIMEOUT=0.3)):
            wait_for(lambda: len(feed_texts(db, "kc")) == 120, timeout=20)
    finally:
        collector_module.BACKOFF_START = start
    assert len(set(feed_texts(db, "kc"))) == 120


def test_stream_mode_follows_its_rule_after_the_backfill(db, x_api, collecting):
    x_api.tweets = [tweet(n) for n in range(5)]
    x_api.rules.append({"id": "7", "value": "#other", "tag": "someone else"})
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(**_settings(x_api, X_STREAM=True)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 5)
        rule = wait_for(lambda: next((r["id"] for r in x_api.rules if r["value"] == "#kredcrew"), None))
        x_api.push(tweet(5, "streamed #kredcrew"), rule)
        x_api.push(tweet(6, "another app's rule"), "7")
        x_api.push(tweet(7, "streamed again #kredcrew"), rule)
        wait_for(lambda: len(feed_texts(db, "kc")) == 7)
    assert feed_texts(db, "kc")[5:] == ["streamed #kredcrew", "streamed again #kredcrew"]
    state = json.loads(source_row(db, "kc")["cursor"])
    assert state["since_id"] == tweet(7)["id"] and state["reads"] == 8  # the other rule's post is billed too


def test_without_backfill_only_the_newest_page_is_read_then_since_id(db, x_api, collecting):
    x_api.tweets = [tweet(n) for n in range(250)]
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(**_settings(x_api, X_BACKFILL=False)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 100)
        x_api.tweets.append(tweet(250))
        wait_for(lambda: len(feed_texts(db, "kc")) == 101)
    assert not any(r.get("next_token") for r in x_api.requests)
    assert sorted(feed_texts(db, "kc")) == sorted(f"tweet {n} #kredcrew" for n in range(150, 251))
