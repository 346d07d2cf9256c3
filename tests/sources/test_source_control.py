"""Pause, resume and remove a source through the API and the CLI; the feed keeps its items."""

from __future__ import annotations

from aggregator.feeds import create_feed, sources_of
from aggregator.items import item_from_dict, store_items
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers import status


def _feed_with_an_item(db, specs):
    feed = create_feed(db, "kc", "#kredcrew", specs)
    item = item_from_dict({"source": "test", "source_id": "1", "text": "kept", "author": {"name": "A"}})
    store_items(db, feed, [item], sources_of(db, feed["id"])[0]["id"])
    return feed


def test_api_adds_pauses_resumes_and_removes_sources(db, client, curators):
    _feed_with_an_item(db, ["rss:https://blog.example/feed.xml"])
    headers = curators.token()
    created = client.post(
        "/api/feeds/kc/sources", json={"spec": "mastodon:https://Mastodon.Social/"}, headers=headers
    )
    assert created.status_code == 201 and created.json["spec"] == "mastodon:mastodon.social"
    source_id = created.json["id"]
    paused = client.patch(f"/api/feeds/kc/sources/{source_id}", json={"state": "paused"}, headers=headers)
    assert paused.status_code == 200 and paused.json["state"] == "paused"
    health = client.get("/api/feeds/kc", headers=headers).json["sources"]
    assert [s["state"] for s in health] == ["idle", "paused"]
    assert {"last_success", "items", "last_error", "rate_limit_reset"} <= set(health[0])
    resumed = client.patch(
        "/api/feeds/kc/sources/mastodon:mastodon.social", json={"state": "running"}, headers=headers
    )
    assert resumed.json["state"] == "idle"  # the collector marks it running when it starts
    first = health[0]["id"]
    assert client.delete(f"/api/feeds/kc/sources/{first}", headers=headers).status_code == 204
    remaining = client.get("/api/feeds/kc", headers=headers).json["sources"]
    assert [s["spec"] for s in remaining] == ["mastodon:mastodon.social"]
    assert [i["text"] for i in client.get("/api/feeds/kc/items").json["items"]] == ["kept"]


def test_api_refuses_bad_requests_with_clear_errors(db, client, curators):
    _feed_with_an_item(db, ["rss:https://blog.example/feed.xml"])
    headers = curators.token()
    cases = [
        ("post", "/api/feeds/kc/sources", {"spec": "myspace:x"}, 400),
        ("post", "/api/feeds/kc/sources", {"spec": 5}, 400),
        ("post", "/api/feeds/kc/sources", {"spec": "mastodon:"}, 400),
        ("post", "/api/feeds/kc/sources", {"spec": "rss:javascript:alert(1)"}, 400),
        ("patch", "/api/feeds/kc/sources/1", {"state": "exploded"}, 400),
        ("patch", "/api/feeds/kc/sources/999", {"state": "paused"}, 404),
        ("delete", "/api/feeds/kc/sources/999", None, 404),
        ("patch", "/api/feeds/nope/sources/1", {"state": "paused"}, 404),
    ]
    for method, url, body, code in cases:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == code, (url, body, response.data)
        assert response.json["error"]
    assert client.patch("/api/feeds/kc/sources/1", json={"state": "paused"}).status_code in (401, 403)


def test_a_paused_source_stops_and_resumes_where_it_was(db, mastodon, collecting):
    mastodon.add(*(status(n) for n in range(3)))
    feed = create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])
    from aggregator.feeds import set_source_state

    with collecting() as collector:
        wait_for(lambda: len(feed_texts(db, "kc")) == 3)
        set_source_state(db, feed, source_row(db, "kc")["id"], "paused")
        wait_for(lambda: not any(t.is_alive() for t in collector._threads.values()))
        mastodon.add(status(3))
        set_source_state(db, feed, source_row(db, "kc")["id"], "running")
        collector.refresh()
        wait_for(lambda: len(feed_texts(db, "kc")) == 4)
    assert source_row(db, "kc")["state"] == "running"


def test_cli_lists_pauses_resumes_and_removes(db, runner):
    _feed_with_an_item(db, ["rss:https://blog.example/feed.xml", "x"])
    assert "rss:https://blog.example/feed.xml" in runner.invoke(args=["feed", "sources", "kc"]).output
    assert "Paused x" in runner.invoke(args=["feed", "pause", "kc", "x"]).output
    assert "Resumed x" in runner.invoke(args=["feed", "resume", "kc", "x"]).output
    result = runner.invoke(args=["feed", "remove-source", "kc", "rss:https://blog.example/feed.xml"])
    assert "its 1 items stay" in result.output
    assert runner.invoke(args=["feed", "pause", "kc", "nothing"]).exit_code != 0
    assert feed_texts(db, "kc") == ["kept"]


def test_feed_page_shows_source_health_to_curators_only(db, client, curators):
    _feed_with_an_item(db, ["x"])
    assert "source-health" not in client.get("/feeds/kc").text
    curators.login(client)
    page = client.get("/feeds/kc").text
    assert 'class="source-health"' in page and '<th scope="row">x</th>' in page


def test_curators_create_a_feed_and_control_its_sources_from_the_pages(db, client, curators):
    assert "new-feed" not in client.get("/").text
    assert client.post("/feeds", data={"name": "kc", "query": "#kredcrew"}).status_code == 403
    csrf = curators.login(client)
    assert 'id="new-feed"' in client.get("/").text
    response = client.post(
        "/feeds",
        data={
            "csrf_token": csrf,
            "name": "kc",
            "query": "#kredcrew",
            "sources": "x\r\n\r\nmastodon:Mastodon.Social\n",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/feeds/kc")
    health = client.get("/api/feeds/kc").json["sources"]
    assert [s["spec"] for s in health] == ["x", "mastodon:mastodon.social"]
    control = f"/feeds/kc/sources/{health[0]['id']}"
    assert client.post(control, data={"csrf_token": csrf, "action": "pause"}).status_code == 302
    assert 'aria-label="Resume x"' in client.get("/feeds/kc").text
    assert client.post(control, data={"csrf_token": csrf, "action": "explode"}).status_code == 400
    assert client.post(control, data={"action": "remove"}).status_code == 400  # no CSRF token
    assert client.post(control, data={"csrf_token": csrf, "action": "remove"}).status_code == 302
    assert client.post(control, data={"csrf_token": csrf, "action": "remove"}).status_code == 404
    bad = client.post(
        "/feeds", data={"csrf_token": csrf, "name": "Bad Name", "query": "#x"}, follow_redirects=True
    )
    assert bad.status_code == 200 and "The feed was not created: name must be" in bad.text
    bad = client.post(
        "/feeds",
        data={"csrf_token": csrf, "name": "ok", "query": "#x", "sources": "myspace:x"},
        follow_redirects=True,
    )
    assert "unknown source &#39;myspace&#39;" in bad.text


def test_a_source_added_after_removing_the_last_one_collects_and_the_old_loop_stops(db, serve, collecting):
    from aggregator.feeds import add_source, remove_source
    from tests.sources.servers import FakeMastodon

    old, new = FakeMastodon(), FakeMastodon()
    for fake in (old, new):
        fake.url = serve(fake).url
    old.add(status(1))
    new.add(status(2))
    feed = create_feed(db, "kc", "#kredcrew", [f"mastodon:{old.url}"])
    with collecting() as collector:
        wait_for(lambda: feed_texts(db, "kc") == ["Post 1 #kredcrew"])
        removed = remove_source(db, feed, f"mastodon:{old.url}")  # the feed's last source
        add_source(db, feed, f"mastodon:{new.url}")
        added = source_row(db, "kc")
        collector.refresh()
        wait_for(lambda: feed_texts(db, "kc") == ["Post 1 #kredcrew", "Post 2 #kredcrew"])
        old_loop = collector._threads[removed["id"]]
        wait_for(lambda: not old_loop.is_alive())
        requests_to_old = len(old.requests)
        polls_so_far = len(new.requests)
        wait_for(lambda: len(new.requests) >= polls_so_far + 5)  # the new one goes on polling
    assert added["id"] != removed["id"]  # a removed source's id never names another one
    assert len(old.requests) == requests_to_old
    assert source_row(db, "kc")["state"] == "running"
