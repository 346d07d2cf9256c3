"""Instagram hashtag search (recent_media) against a local server speaking the documented Graph API."""

from __future__ import annotations

import logging
import signal

import pytest

import aggregator.collector as collector_module
from aggregator.db import Database
from aggregator.feeds import create_feed, sources_of
from aggregator.sources.instagram_payload import item_from_media
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers.instagram import ig_media


def _settings(api, **more):
    return {
        "INSTAGRAM_API_URL": api.url + "/v21.0",
        "INSTAGRAM_USER_ID": api.user,
        "INSTAGRAM_ACCESS_TOKEN": api.token,
        "INSTAGRAM_POLL_SECONDS": 0.05,
        **more,
    }


def _health(db):
    return sources_of(db, source_row(db, "kc")["feed_id"])[0]


def _error(db):
    return source_row(db, "kc")["last_error"] or ""


def test_a_documented_media_object_becomes_an_item():
    # Fields of https://developers.facebook.com/docs/instagram-platform/reference/instagram-media
    media = {
        "id": "17880997618081620",
        "caption": "Summit stage #kredcrew",
        "media_type": "CAROUSEL_ALBUM",
        "permalink": "https://www.instagram.com/p/KRED1/",
        "timestamp": "2026-11-25T12:00:00+0000",
        "children": {"data": [
            {"id": "1", "media_type": "IMAGE", "media_url": "https://scontent.cdninstagram.com/a.jpg"},
            {"id": "2", "media_type": "VIDEO", "media_url": "https://scontent.cdninstagram.com/b.mp4"},
        ]},
    }  # fmt: skip
    item = item_from_media(media)
    assert (item.source, item.source_id, item.created_at) == (
        "instagram",
        media["id"],
        "2026-11-25T12:00:00.000Z",
    )
    assert [m.type for m in item.media] == ["image", "video"] and item.url == media["permalink"]
    tag = "https://www.instagram.com/explore/tags/kredcrew/"  # Instagram sends no entities: linked at storage
    anchor = f'<a href="{tag}" rel="nofollow noopener noreferrer ugc" class="hashtag">'
    assert item.render_html() == f"Summit stage {anchor}#kredcrew</a>"


def test_recent_media_over_pages_then_only_what_is_new_and_the_24_hours_in_health(
    db, instagram_api, collecting
):
    instagram_api.media["kredcrew"] = [ig_media(n) for n in range(120)]
    create_feed(db, "kc", "#kredcrew", ["instagram"])
    with collecting(**_settings(instagram_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 120)
        instagram_api.media["kredcrew"].append(ig_media(200))
        wait_for(lambda: len(feed_texts(db, "kc")) == 121)
        recent = [args for path, args in instagram_api.requests if path.endswith("/recent_media")]
    assert sorted(feed_texts(db, "kc")) == sorted(
        [f"photo {n} #kredcrew" for n in range(120)] + ["photo 200 #kredcrew"]
    )
    assert [r.get("after") for r in recent[:3]] == [None, "QVFI50", "QVFI100"]
    assert not any(r.get("after") for r in recent[3:])  # later sweeps stop at what they saw
    assert instagram_api.searched == ["kredcrew"]  # the hashtag id is looked up once
    quota = _health(db)["quota"]
    assert (quota["used"], quota["limit"], quota["window"]) == (1, 30, "7 days")
    assert "only the last 24 hours" in quota["note"]


def test_the_distinct_hashtag_limit_holds_across_restarts(db, instagram_api, collecting):
    for tag in ("a", "b", "c"):
        instagram_api.media[tag] = [ig_media(n, tag) for n in range(3)]
    create_feed(db, "kc", "#a #b #c", ["instagram"])
    for _ in range(2):  # a restarted collector goes on from the stored count
        with collecting(**_settings(instagram_api, INSTAGRAM_WEEKLY_HASHTAG_LIMIT=2)):
            wait_for(lambda: "hashtag limit reached" in _error(db))
    assert instagram_api.searched == ["a", "b"]
    assert "2 of 2 distinct hashtags in the last 7 days; #c waits" in _error(db)
    assert sorted(feed_texts(db, "kc")) == sorted(f"photo {n} #{t}" for t in "ab" for n in range(3))
    assert _health(db)["quota"]["used"] == 2 and _health(db)["quota"]["resumes_at"]


def test_meta_rate_limit_waits_for_the_time_it_gives(db, instagram_api, collecting):
    instagram_api.media["kredcrew"] = [ig_media(0)]
    instagram_api.failures.append("rate")
    create_feed(db, "kc", "#kredcrew", ["instagram"])
    with collecting(**_settings(instagram_api)):
        row = wait_for(lambda: (r := source_row(db, "kc"))["rate_limit_reset"] and r)
    assert "rate limit reached (code 4); waiting 900 s" in row["last_error"]
    assert instagram_api.searched == []  # refused before it counted: the hashtag is not spent
    assert _health(db)["quota"]["used"] == 0


def test_an_expired_or_missing_token_is_said_plainly_and_never_logged(db, instagram_api, collecting, caplog):
    caplog.set_level(logging.DEBUG)
    create_feed(db, "kc", "#kredcrew", ["instagram"])
    with collecting(**_settings(instagram_api, INSTAGRAM_ACCESS_TOKEN="expired-token")):
        wait_for(lambda: "refused the access token" in _error(db))
    assert "code 190" in _error(db) and "TAGSTORY_INSTAGRAM_ACCESS_TOKEN" in _error(db)
    assert "expired-token" not in caplog.text
    with collecting(**_settings(instagram_api, INSTAGRAM_USER_ID=None)):
        wait_for(lambda: _error(db).startswith("Instagram needs TAGSTORY_INSTAGRAM_USER_ID"))


def test_503_and_truncated_json_are_retried_without_loss(db, instagram_api, collecting):
    instagram_api.media["kredcrew"] = [ig_media(n) for n in range(120)]
    instagram_api.failures.extend([None, None, 503, "truncated"])
    create_feed(db, "kc", "#kredcrew", ["instagram"])
    start, collector_module.BACKOFF_START = collector_module.BACKOFF_START, 0.05
    try:
        with collecting(**_settings(instagram_api)):
            wait_for(lambda: len(feed_texts(db, "kc")) == 120)
    finally:
        collector_module.BACKOFF_START = start
    assert len(set(feed_texts(db, "kc"))) == 120 == len(feed_texts(db, "kc"))


@pytest.mark.process  # starts `flask collect` twice, killing the first
def test_a_collector_killed_mid_sweep_resumes_without_gap_or_duplicate(instagram_api, tmp_path):
    from bench.support import stop_process
    from tests.sources.test_collect_process import _collect

    total = 50 * 10
    instagram_api.media["kredcrew"] = [ig_media(n) for n in range(total)]
    instagram_api.delay = 0.2
    database = str(tmp_path / "instagram.sqlite")
    db = Database(database)
    create_feed(db, "kc", "#kredcrew", ["instagram"])
    env = {
        "TAGSTORY_FETCH_ALLOW_PRIVATE": "1",
        "TAGSTORY_INSTAGRAM_API_URL": instagram_api.url + "/v21.0",
        "TAGSTORY_INSTAGRAM_USER_ID": instagram_api.user,
        "TAGSTORY_INSTAGRAM_ACCESS_TOKEN": instagram_api.token,
        "TAGSTORY_INSTAGRAM_POLL_SECONDS": "0.1",
    }
    stored = lambda: db.query_one("SELECT count(*) AS n FROM feed_items")["n"]  # noqa: E731
    first = _collect(database, tmp_path, "first", **env)
    try:
        wait_for(lambda: stored() >= 150, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop_process(first)
    assert 0 < stored() < total
    second = _collect(database, tmp_path, "second", **env)
    try:
        wait_for(lambda: stored() == total, timeout=60)
    finally:
        stop_process(second)
    assert instagram_api.searched == ["kredcrew"]  # the restart kept the hashtag's id and its count
    texts = [r["text"] for r in db.query("SELECT i.text FROM feed_items m JOIN items i ON i.id = m.item_id")]
    assert sorted(texts) == sorted(f"photo {n} #kredcrew" for n in range(total))
    adds = db.query_one("SELECT count(*) AS n FROM events WHERE type = 'item' AND op = 'add'")["n"]
    assert adds == total
    db.close()


def test_curators_see_the_limit_and_the_24_hours_in_the_api_page_and_cli(
    client, curators, db, instagram_api, collecting, runner
):
    instagram_api.media["kredcrew"] = [ig_media(0)]
    create_feed(db, "kc", "#kredcrew", ["instagram"])
    with collecting(**_settings(instagram_api)):
        wait_for(lambda: len(feed_texts(db, "kc")) == 1)
    source = client.get("/api/feeds/kc", headers=curators.token()).get_json()["sources"][0]
    assert (source["quota"]["used"], source["quota"]["limit"]) == (1, 30)
    assert "quota" not in client.get("/api/feeds/kc").get_json()["sources"][0]  # not for anonymous readers
    curators.login(client)
    page = client.get("/feeds/kc").get_data(as_text=True)
    assert "1 of 30 per 7 days" in page and "only the last 24 hours" in page
    listed = runner.invoke(args=["feed", "sources", "kc"]).output
    assert "used 1 of 30 per 7 days" in listed and "only the last 24 hours" in listed
