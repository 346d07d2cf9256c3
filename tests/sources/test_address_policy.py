"""The address policy: with FETCH_ALLOW_PRIVATE off, no source reaches a private address.

Every network gets a real local server that would answer with a matching post and records
each request; with the setting off the server is never hit, nothing becomes a post, and the
source's health says why. Curators get a 400 when they add a plainly private host.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.wrappers import Response

from aggregator import netpolicy
from aggregator.feeds import create_feed
from tests.sources.conftest import feed_texts, source_row, wait_for
from tests.sources.servers import FakeBlueskyApi, FakeRss, LocalServer, post_event, status, tweet

OFF = {"FETCH_ALLOW_PRIVATE": False}


class Recorded:
    """A WSGI app that notes each request it is sent, then lets `app` answer it."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.hits: list[str] = []

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        self.hits.append(environ.get("PATH_INFO", ""))
        return self.app(environ, start_response)


def _refused(db: Any, feed: str) -> Any:
    row = wait_for(lambda: (r := source_row(db, feed))["last_error"] and r)
    assert row["state"] == "error", row["last_error"]
    assert "refused by the address policy" in row["last_error"], row["last_error"]
    return row


def _rss_feed() -> Recorded:
    """An RSS feed with one matching entry, noting each request."""
    fake = FakeRss()
    fake.entries = [("a", "Summit #kredcrew", "<p>from inside the network</p>")]
    return Recorded(fake)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_rss_never_fetches_a_private_address(db, serve, collecting, host):
    recorded = _rss_feed()
    url = serve(recorded).url + "/feed.xml"
    create_feed(db, "kc", "#kredcrew", [f"rss:{url.replace('127.0.0.1', host)}"])
    with collecting(**OFF):
        row = _refused(db, "kc")
    assert "loopback" in row["last_error"] and row["items"] == 0
    assert recorded.hits == [] and feed_texts(db, "kc") == []


def test_the_same_rss_feed_is_collected_when_private_addresses_are_allowed(db, serve, collecting):
    recorded = _rss_feed()
    url = serve(recorded).url + "/feed.xml"
    create_feed(db, "kc", "#kredcrew", [f"rss:{url}"])
    with collecting(FETCH_ALLOW_PRIVATE=True):
        wait_for(lambda: feed_texts(db, "kc"))
    assert recorded.hits and feed_texts(db, "kc") == ["Summit #kredcrew\nfrom inside the network"]


def test_mastodon_never_polls_a_private_server(db, serve, mastodon, collecting):
    mastodon.statuses.append(status(1, "inside #kredcrew"))
    recorded = Recorded(mastodon)
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{serve(recorded).url}"])
    with collecting(**OFF):
        _refused(db, "kc")
    assert recorded.hits == [] and feed_texts(db, "kc") == []


def test_jetstream_never_connects_to_a_private_address(db, serve, jetstream, collecting):
    jetstream.publish(post_event(int(time.time() * 1_000_000), "inside #kredcrew", "p1"))
    recorded = Recorded(jetstream)
    ws_url = serve(recorded).url.replace("http://", "ws://") + "/subscribe"
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{ws_url}"])
    with collecting(**OFF):
        _refused(db, "kc")
    assert recorded.hits == [] and jetstream.connections == [] and feed_texts(db, "kc") == []


def test_bluesky_search_never_logs_in_to_a_private_address(db, serve, collecting):
    api = FakeBlueskyApi()
    api.add(1, "searched #kredcrew")
    recorded = Recorded(api)
    api.url = serve(recorded).url
    create_feed(db, "kc", "#kredcrew", ["bluesky:wss://jetstream.example/subscribe"])
    account = {"BLUESKY_HANDLE": api.handle, "BLUESKY_APP_PASSWORD": api.password, "BLUESKY_API_URL": api.url}
    with collecting(**account, **OFF):
        _refused(db, "kc")
    assert recorded.hits == [] and feed_texts(db, "kc") == []


def test_x_never_reaches_a_private_api_url(db, x_api, serve, collecting):
    x_api.tweets = [tweet(n) for n in range(3)]
    recorded = Recorded(x_api)
    create_feed(db, "kc", "#kredcrew", ["x"])
    with collecting(X_API_URL=serve(recorded).url, X_BEARER_TOKEN=x_api.token, **OFF):
        _refused(db, "kc")
    assert recorded.hits == [] and x_api.requests == [] and feed_texts(db, "kc") == []


def test_a_redirect_from_an_allowed_host_to_a_private_one_is_refused(db, serve, collecting, monkeypatch):
    """127.0.0.1 stands in for a public host here; its redirect leads to 127.0.0.2, which stays refused."""
    inside = _rss_feed()
    inside_server = LocalServer(inside, host="127.0.0.2")
    outside = Recorded(Response("", 302, {"Location": inside_server.url + "/feed.xml"}))
    public, strict = ipaddress.ip_address("127.0.0.1"), netpolicy.refusal
    monkeypatch.setattr(netpolicy, "refusal", lambda address: None if address == public else strict(address))
    create_feed(db, "kc", "#kredcrew", [f"rss:{serve(outside).url}/feed.xml"])
    try:
        with collecting(**OFF):
            row = _refused(db, "kc")
    finally:
        inside_server.stop()
    assert outside.hits == ["/feed.xml"]  # the allowed host was asked, and answered with the redirect
    assert inside.hits == [] and "127.0.0.2" in row["last_error"] and feed_texts(db, "kc") == []


SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "localhost",
    "LocalHost.",
    "api.localhost",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "169.254.169.254",
    "10.0.0.1",
    "192.168.1.1",
    "172.16.0.1",
    "100.64.0.1",
    "0.0.0.0",
    "0",
    "[::]",
    "224.0.0.1",
    "240.0.0.1",
    "[fe80::1]",
    "[fc00::1]",
    "[2002:7f00:1::]",
    "[64:ff9b::7f00:1]",
]


TEMPLATES = ["rss:http://{}/feed.xml", "mastodon:{}", "bluesky:ws://{}/subscribe"]


def test_adding_a_plainly_private_host_is_a_400_that_says_why(client, curators, subtests):
    headers = curators.token()
    for host in SPELLINGS:
        for template in TEMPLATES:
            spec = template.format(host)
            with subtests.test(spec=spec):
                body = {"name": "kc", "query": "#kredcrew", "sources": [spec]}
                response = client.post("/api/feeds", json=body, headers=headers)
                assert response.status_code == 400, response.get_json()
                error = response.get_json()["error"]
                assert "refused" in error and "FETCH_ALLOW_PRIVATE" in error
                assert client.get("/api/feeds/kc").status_code == 404


def test_adding_a_source_to_a_feed_refuses_a_private_host_too(client, curators, app):
    headers = curators.token()
    assert client.post("/api/feeds", json={"name": "kc", "query": "#k"}, headers=headers).status_code == 201
    refused = client.post(
        "/api/feeds/kc/sources", json={"spec": "rss:http://169.254.169.254/"}, headers=headers
    )
    assert refused.status_code == 400 and "link-local" in refused.get_json()["error"]
    app.config["FETCH_ALLOW_PRIVATE"] = True
    allowed = client.post("/api/feeds/kc/sources", json={"spec": "rss:http://127.0.0.1/"}, headers=headers)
    assert allowed.status_code == 201


@pytest.mark.parametrize("host", ["example.org", "93.184.215.14", "[2606:4700::1]", "mastodon.social"])
def test_public_hosts_are_accepted_at_add_time(client, curators, host):
    response = client.post(
        "/api/feeds",
        json={"name": "kc", "query": "#k", "sources": [f"rss:https://{host}/feed.xml"]},
        headers=curators.token(),
    )
    assert response.status_code == 201, response.get_json()


def test_the_command_line_and_the_form_refuse_a_private_host(runner, client, curators):
    result = runner.invoke(args=["feed", "add", "kc", "#k", "--source", "rss:http://2130706433/"])
    assert result.exit_code == 1 and "loopback" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["feed", "add", "kc", "#k"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["feed", "add-source", "kc", "mastodon:[::1]"])
    assert result.exit_code == 1 and "loopback" in result.output
    csrf = curators.login(client)
    page = client.post(
        "/feeds",
        data={
            "name": "other",
            "query": "#k",
            "sources": "bluesky:ws://localhost/subscribe",
            "csrf_token": csrf,
        },
        follow_redirects=True,
    )
    assert "The feed was not created" in page.get_data(as_text=True) and "loopback" in page.get_data(
        as_text=True
    )
    assert client.get("/api/feeds/other").status_code == 404


@pytest.mark.parametrize("network", ["rss", "bluesky"])
def test_a_name_that_resolved_public_but_connects_private_is_refused_before_a_byte(
    db, serve, jetstream, collecting, monkeypatch, network
):
    """DNS rebinding: the name checks out as public, then connects to 127.0.0.1; the connected
    address is checked again, so the request is never sent."""
    recorded = _rss_feed() if network == "rss" else Recorded(jetstream)
    url = serve(recorded).url
    spec = f"rss:{url}/feed.xml" if network == "rss" else f"bluesky:{url.replace('http', 'ws')}/subscribe"
    monkeypatch.setattr(netpolicy, "check_host", lambda host, port, allowed_private: [])
    create_feed(db, "kc", "#kredcrew", [spec])
    with collecting(**OFF):
        row = _refused(db, "kc")
    assert "connected to a loopback address (127.0.0.1)" in row["last_error"]
    assert recorded.hits == [] and feed_texts(db, "kc") == []
