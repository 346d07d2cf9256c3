"""Threads keyword search (tag mode) against a local server speaking the documented API."""

from __future__ import annotations

import json
import logging
import signal
import time

import pytest

import aggregator.collector as collector_module
from aggregator.db import Database
from aggregator.feeds import create_feed, sources_of
from aggregator.sources.threads_payload import item_from_thread
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers.threads import thread


def _settings(api, **more):
    return {
        "THREADS_API_URL": api.url + "/v1.0",
        "THREADS_ACCESS_TOKEN": api.token,
        "THREADS_POLL_SECONDS": 0.05,
        **more,
    }


def _health(db):
    return sources_of(db, source_row(db, "kc")["feed_id"])[0]


def test_the_documented_example_becomes_an_item():
    # The keyword search example of https://developers.facebook.com/docs/threads/keyword-search
    post = {
        "id": "1234567890",
        "text": "first thread #kredcrew <b>with</b> https://kred.example/summit",
        "media_type": "TEXT_POST",
        "permalink": "https://www.threads.net/@threadsapitestuser/post/abcdefg",
        "timestamp": "2023-10-17T05:42:03+0000",
        "username": "threadsapitestuser",
        "has_replies": False,
        "is_quote_post": False,
        "is_reply": False,
    }
    item = item_from_thread(post)
    assert (item.source, item.source_id, item.created_at) == (
        "threads",
        "1234567890",
        "2023-10-17T05:42:03.000Z",
    )
    assert item.author.handle == "threadsapitestuser" and item.url == post["permalink"]
    html = item.render_html()
    assert 'href="https://kred.example/summit"' in html and "&lt;b&gt;with&lt;/b&gt;" in html


def test_backfill_through_cursors_then_since_and_the_query_budget_shown(db, threads_api, collecting):
    threads_api.posts = [thread(n) for n in range(250)]
    create_feed(db, "kc", "#kredcrew", ["threads"])
    with collecting(**_settings(threads_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 250)
        threads_api.posts.append(thread(300))
        wait_for(lambda: len(feed_texts(db, "kc")) == 251)
    assert sorted(feed_texts(db, "kc")) == sorted(
        [f"thread {n} #kredcrew" for n in range(250)] + ["thread 300 #kredcrew"]
    )
    assert [r.get("after") for r in threads_api.requests[:3]] == [None, "QVFH100", "QVFH200"]
    assert any(r.get("since") for r in threads_api.requests[3:])
    quota = _health(db)["quota"]
    # Every query that returned posts is counted; the empty ones (polls with nothing new) are given back.
    assert quota["used"] == threads_api.counted and (quota["limit"], quota["window"]) == (2200, "24 hours")


def test_the_query_budget_holds_across_sweeps(db, threads_api, collecting):
    threads_api.posts = [thread(n) for n in range(40)]
    threads_api.page_size_cap = 10  # four pages to read, three queries allowed
    create_feed(db, "kc", "#kredcrew", ["threads"])
    with collecting(**_settings(threads_api, THREADS_DAILY_QUERY_BUDGET=3)):
        row = wait_for(lambda: "budget" in ((r := source_row(db, "kc"))["last_error"] or "") and r)
    assert row["rate_limit_reset"] and "3 of 3 queries in the last 24 hours" in row["last_error"]
    assert threads_api.counted == 3 == _health(db)["quota"]["used"]
    assert len(feed_texts(db, "kc")) == 30


def test_meta_rate_limit_waits_for_the_time_it_gives(db, threads_api, collecting):
    threads_api.failures.append("rate")
    create_feed(db, "kc", "#kredcrew", ["threads"])
    with collecting(**_settings(threads_api)):
        row = wait_for(lambda: (r := source_row(db, "kc"))["rate_limit_reset"] and r)
    assert "rate limit" in row["last_error"] and "900 s" in row["last_error"]  # 15 minutes, from the header
    assert len(threads_api.requests) == 1


def test_a_rejected_or_missing_token_is_said_plainly_and_never_logged(db, threads_api, collecting, caplog):
    caplog.set_level(logging.DEBUG)
    create_feed(db, "kc", "#kredcrew", ["threads"])
    with collecting(**_settings(threads_api, THREADS_ACCESS_TOKEN="wrong-token")):
        row = wait_for(lambda: (r := source_row(db, "kc"))["last_error"] and r)
    assert "refused the access token (401, code 190)" in row["last_error"]
    assert "TAGSTORY_THREADS_ACCESS_TOKEN" in row["last_error"] and row["rate_limit_reset"] is None
    assert "wrong-token" not in caplog.text
    with collecting(**_settings(threads_api, THREADS_ACCESS_TOKEN=None)):
        wait_for(lambda: "needs" in (source_row(db, "kc")["last_error"] or ""))
    assert source_row(db, "kc")["last_error"].startswith("Threads needs TAGSTORY_THREADS_ACCESS_TOKEN")


def test_503_timeout_and_truncated_json_are_retried_without_loss(db, threads_api, collecting):
    threads_api.posts = [thread(n) for n in range(120)]
    threads_api.failures.extend([503, ("slow", 1.0), "truncated"])
    create_feed(db, "kc", "#kredcrew", ["threads"])
    start, collector_module.BACKOFF_START = collector_module.BACKOFF_START, 0.05
    try:
        with collecting(**_settings(threads_api, HTTP_TIMEOUT=0.3)):
            wait_for(lambda: len(feed_texts(db, "kc")) == 120)
    finally:
        collector_module.BACKOFF_START = start
    assert len(set(feed_texts(db, "kc"))) == 120 == len(feed_texts(db, "kc"))


@pytest.mark.process  # starts `flask collect` twice, killing the first
def test_a_collector_killed_mid_backfill_resumes_without_gap_or_duplicate(threads_api, tmp_path):
    from bench.support import stop_process
    from tests.sources.test_collect_process import _collect

    total = 100 * 5
    threads_api.posts = [thread(n) for n in range(total)]
    threads_api.delay = 0.3
    database = str(tmp_path / "threads.sqlite")
    db = Database(database)
    create_feed(db, "kc", "#kredcrew", ["threads"])
    env = {
        "TAGSTORY_FETCH_ALLOW_PRIVATE": "1",
        "TAGSTORY_THREADS_API_URL": threads_api.url + "/v1.0",
        "TAGSTORY_THREADS_ACCESS_TOKEN": threads_api.token,
        "TAGSTORY_THREADS_POLL_SECONDS": "0.1",
    }
    stored = lambda: db.query_one("SELECT count(*) AS n FROM feed_items")["n"]  # noqa: E731
    first = _collect(database, tmp_path, "first", **env)
    try:
        wait_for(lambda: stored() >= 200, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop_process(first)
    at_kill, asked = stored(), len(threads_api.requests)
    assert 0 < at_kill < total
    second = _collect(database, tmp_path, "second", **env)
    try:
        wait_for(lambda: stored() == total, timeout=60)
    finally:
        stop_process(second)
    assert threads_api.requests[asked].get("after")  # it went on with the sweep instead of starting over
    texts = [r["text"] for r in db.query("SELECT i.text FROM feed_items m JOIN items i ON i.id = m.item_id")]
    assert sorted(texts) == sorted(f"thread {n} #kredcrew" for n in range(total))
    db.close()


def test_queries_older_than_24_hours_leave_the_budget(db, threads_api, collecting):
    threads_api.posts = [thread(n) for n in range(5)]
    create_feed(db, "kc", "#kredcrew", ["threads"])
    now = time.time()
    spent = [[now - 25 * 3600, 3], [now - 3600, 2]]  # three queries a day ago, two an hour ago
    with db.write() as tx:
        tx.execute("UPDATE sources SET cursor = ?", [json.dumps({"spent": spent})])
    with collecting(**_settings(threads_api, THREADS_DAILY_QUERY_BUDGET=3)):
        row = wait_for(lambda: "budget" in ((r := source_row(db, "kc"))["last_error"] or "") and r)
    assert threads_api.counted == 1 and len(feed_texts(db, "kc")) == 5  # 2 still counted + 1 = 3
    assert "3 of 3 queries" in row["last_error"] and _health(db)["quota"]["resumes_at"]
