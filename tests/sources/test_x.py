"""X through tweepy against a local server answering in the X API v2 shape (recorded responses)."""

from __future__ import annotations

import json
import logging
import signal
import time

import pytest

import aggregator.collector as collector_module
from aggregator.feeds import create_feed, sources_of
from aggregator.sources.x import MIN_PAGE, MOST_READS_PER_POST
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


def _reads_today(db):
    return sources_of(db, source_row(db, "kc")["feed_id"])[0]["reads_today"]


def _budget_reached(db):
    return "budget" in (source_row(db, "kc")["last_error"] or "")


@pytest.mark.parametrize("budget", [400, 95])
def test_the_read_budget_holds_exactly_across_pages_and_sweeps(db, x_api, collecting, budget):
    quoted = tweet(9000, "the quoted post")  # billed too, each time a page carries it in `includes`
    x_api.referenced[quoted["id"]] = quoted
    posts = [tweet(n, quotes=quoted if n % 5 == 0 else None) for n in range(1000)]
    x_api.tweets = posts[: budget // 4]  # the first sweep reads them all
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(**_settings(x_api, X_DAILY_READ_BUDGET=budget)):
        wait_for(lambda: json.loads(source_row(db, "kc")["cursor"] or "{}").get("since_id"))
        x_api.tweets = list(posts)  # a busy hour: far more than the budget left
        row = wait_for(lambda: _budget_reached(db) and source_row(db, "kc"))
    assert row["rate_limit_reset"] and f"of {budget} posts read today" in row["last_error"]
    assert _reads_today(db) == x_api.served <= budget
    assert budget - x_api.served < MOST_READS_PER_POST * MIN_PAGE  # it stopped when no page fit
    assert all(int(r["max_results"]) >= MIN_PAGE for r in x_api.requests)


def test_the_read_budget_holds_on_the_filtered_stream(db, x_api, collecting):
    x_api.tweets = [tweet(n) for n in range(40)]
    create_feed(db, "kc", "#kredcrew", ["x"])
    x_api.rules.append({"id": "7", "value": "#other", "tag": "someone else"})
    with collecting(**_settings(x_api, X_STREAM=True, X_DAILY_READ_BUDGET=95)):
        rule = wait_for(lambda: next((r["id"] for r in x_api.rules if r["value"] == "#kredcrew"), None))
        number = 100
        while not _budget_reached(db):  # one post at a time, as X streams them, each one billed
            served = x_api.served
            x_api.push(tweet(number), rule if number % 3 else "7")
            number += 1
            wait_for(lambda seen=served: _budget_reached(db) or _reads_today(db) == x_api.served > seen)
    assert _reads_today(db) == x_api.served <= 95
    assert len(feed_texts(db, "kc")) == 40 + sum(1 for n in range(100, number) if n % 3)


@pytest.mark.process  # starts `flask collect` three times
def test_the_read_budget_holds_across_collector_restarts(x_api, tmp_path):
    from aggregator.db import Database
    from bench.support import stop_process
    from tests.sources.test_collect_process import _collect

    x_api.tweets = [tweet(n) for n in range(1000)]
    database = str(tmp_path / "budget.sqlite")
    db = Database(database)
    create_feed(db, "kc", "#kredcrew", ["x"])
    env = {
        "TAGSTORY_X_API_URL": x_api.url,
        "TAGSTORY_X_BEARER_TOKEN": x_api.token,
        "TAGSTORY_X_DAILY_READ_BUDGET": "400",
        "TAGSTORY_X_POLL_SECONDS": "0.05",
        "TAGSTORY_FETCH_ALLOW_PRIVATE": "1",  # the fake X listens on 127.0.0.1
    }
    process = _collect(database, tmp_path, "first", **env)
    try:
        wait_for(lambda: x_api.served >= 150, timeout=60)
    finally:
        stop_process(process)  # SIGTERM in the middle of the day's reading: the page in flight is counted
    assert _reads_today(db) == x_api.served
    x_api.failures.append(("slow", 3.0))
    asked = len(x_api.requests)
    process = _collect(database, tmp_path, "killed", **env)
    try:
        wait_for(lambda: len(x_api.requests) > asked, timeout=60)
        process.send_signal(signal.SIGKILL)  # killed while X is sending a page: it is counted all the same
        process.wait(10)
    finally:
        stop_process(process)
    process = _collect(database, tmp_path, "last", **env)
    try:
        wait_for(lambda: _budget_reached(db), timeout=60)
        wait_for(lambda: x_api.answered == len(x_api.requests))  # the killed one's page too
    finally:
        stop_process(process)
    assert x_api.served <= _reads_today(db) <= 400
    assert 400 - _reads_today(db) < MOST_READS_PER_POST * MIN_PAGE
    db.close()


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


def test_stopping_a_quiet_filtered_stream_is_prompt(db, x_api, collecting):
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(**_settings(x_api, X_STREAM=True)) as collector:
        rule = wait_for(lambda: next((r["id"] for r in x_api.rules if r["value"] == "#kredcrew"), None))
        x_api.push(tweet(1, "streamed #kredcrew"), rule)
        wait_for(lambda: feed_texts(db, "kc") == ["streamed #kredcrew"])  # it waits for the next one
        began = time.monotonic()
        collector.stop()
        stopping = time.monotonic() - began
    # The bound: it waited up to a second on its queue (here nearly all of it).
    assert stopping < 0.5
