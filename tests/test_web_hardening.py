"""Issue 8, the web's share: cookies, login throttling and sessions, redirects, hostile JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, wait_for
from tests.factories import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def _session_cookie(response: Any) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, response.headers
    return cookies[0]


def test_the_session_cookie_is_samesite_lax_and_httponly_by_default(client):
    cookie = _session_cookie(client.get("/login"))
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1: a Secure cookie would never come back


def test_samesite_is_a_setting(app_with):
    app = app_with(SESSION_COOKIE_SAMESITE="Strict")
    assert "SameSite=Strict" in _session_cookie(app.test_client().get("/login"))


def test_the_secure_setting_marks_the_cookie_secure(app_with):
    app = app_with(SESSION_COOKIE_SECURE=True)
    assert "; Secure" in _session_cookie(app.test_client().get("/login"))


def test_a_request_over_https_gets_a_secure_cookie(client):
    cookie = _session_cookie(client.get("/login", base_url="https://localhost"))
    assert "; Secure" in cookie and "SameSite=Lax" in cookie


def test_behind_a_trusted_proxy_its_forwarded_scheme_counts(app_with):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    trusting = app_with(TRUSTED_PROXIES=1).test_client()
    assert "; Secure" in _session_cookie(trusting.get("/login", headers=forwarded))
    # Without the setting anyone could send the header: it is ignored.
    plain = app_with().test_client()
    assert "Secure" not in _session_cookie(plain.get("/login", headers=forwarded))


# --- login: throttling, sessions that logout really ends, tokens that can be revoked ---


def _csrf(client: Any) -> str:
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf"]


def _login(client: Any, name: str, password: str, **environ: Any) -> Any:
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": _csrf(client)},
        environ_base=environ,
    )


def test_after_five_failures_even_the_right_password_is_refused_for_a_while(client, curators):
    curators.create("ada")
    for _ in range(5):
        assert _login(client, "ada", "wrong password").status_code == 401
    refused = _login(client, "ada", PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 300
    assert "Too many failed logins" in refused.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "curator" not in session


def test_the_account_is_throttled_whatever_address_the_guesses_come_from(client, curators):
    curators.create("ada")
    for n in range(5):
        _login(client, "ada", "wrong password", REMOTE_ADDR=f"198.51.100.{n}")
    assert _login(client, "ada", PASSWORD, REMOTE_ADDR="198.51.100.99").status_code == 429


def test_an_address_is_throttled_whatever_names_it_tries(client, curators):
    curators.create("ada")
    for n in range(5):
        _login(client, f"guess{n}", "wrong password", REMOTE_ADDR="198.51.100.1")
    assert _login(client, "ada", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 429
    # Another address is not punished for it.
    assert _login(client, "ada", PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_a_refused_login_is_accepted_once_the_window_has_passed(app_with):
    app = app_with(LOGIN_MAX_FAILURES=2, LOGIN_WINDOW_SECONDS=1.0)
    from stories.curators import create_curator

    create_curator(app.extensions["tagstory.db"], "ada", PASSWORD)
    client = app.test_client()
    for _ in range(2):
        assert _login(client, "ada", "wrong password").status_code == 401
    assert _login(client, "ada", PASSWORD).status_code == 429
    # The refused attempts are not counted: once the window passes, the right password works.
    wait_for(lambda: _login(client, "ada", PASSWORD).status_code == 302, timeout=10, interval=0.2)


def test_a_successful_login_starts_the_account_afresh(client, curators):
    curators.create("ada")
    for _ in range(4):
        _login(client, "ada", "wrong password", REMOTE_ADDR=f"198.51.100.{_}")
    assert _login(client, "ada", PASSWORD, REMOTE_ADDR="198.51.100.50").status_code == 302
    for _ in range(4):
        assert _login(client, "ada", "wrong password", REMOTE_ADDR="198.51.100.60").status_code == 401


def test_behind_a_trusted_proxy_failures_count_per_forwarded_address(app_with):
    app = app_with(TRUSTED_PROXIES=1)
    from stories.curators import create_curator

    create_curator(app.extensions["tagstory.db"], "ada", PASSWORD)
    client = app.test_client()

    def attempt(name: str, password: str, client_address: str) -> int:
        return client.post(
            "/login",
            data={"name": name, "password": password, "csrf_token": _csrf(client)},
            headers={"X-Forwarded-For": client_address},
        ).status_code

    for n in range(5):
        attempt(f"guess{n}", "wrong password", "203.0.113.1")
    assert attempt("ada", PASSWORD, "203.0.113.1") == 429
    assert attempt("ada", PASSWORD, "203.0.113.2") == 302  # nginx's own address is not blamed


def test_logout_ends_the_session_for_a_copied_cookie_too(app, client, curators):
    csrf = curators.login(client, "ada")
    with client.session_transaction() as session:
        stolen = dict(session)
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/api/feeds/none/moderation").status_code == 404  # logged in: passes the 401
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert thief.get("/api/feeds/none/moderation").status_code == 401
    assert thief.post("/api/stories", json={"title": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 401
    # Logging in again starts a new session that works.
    curators.login(client, "ada")
    assert client.get("/api/feeds/none/moderation").status_code == 404


def test_a_logged_out_cookie_cannot_follow_a_draft_over_the_socket(app, client, curators, socket_client):
    from tests.factories import story

    csrf = curators.login(client, "ada")
    draft = story(app.extensions["tagstory.db"], {"id": 1, "name": "ada"}, status="draft")
    with client.session_transaction() as session:
        stolen = dict(session)
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    client.post("/logout", data={"csrf_token": csrf})
    ack = socket_client(thief).emit("join", {"story": draft["slug"], "after": 0}, callback=True)
    assert ack["ok"] is False and "draft" in ack["error"]


def test_tokens_are_listed_without_the_secret_and_can_be_revoked(app, runner, curators):
    curators.create("ada")
    first = runner.invoke(args=["create-token", "ada"]).output.strip().splitlines()[-1]
    second = runner.invoke(args=["create-token", "ada"]).output.strip().splitlines()[-1]
    client = app.test_client()

    def status(token: str) -> int:
        return client.get(
            "/api/feeds/none/moderation", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    assert status(first) == status(second) == 404
    listed = runner.invoke(args=["tokens", "ada"])
    assert listed.exit_code == 0
    lines = listed.output.strip().splitlines()
    assert len(lines) == 2 and all("created" in line for line in lines)
    assert first not in listed.output and second not in listed.output
    first_id = lines[0].split()[0]
    revoked = runner.invoke(args=["revoke-token", "ada", first_id])
    assert revoked.exit_code == 0 and f"Revoked token {first_id}" in revoked.output
    assert status(first) == 401
    assert status(second) == 404
    assert len(runner.invoke(args=["tokens", "ada"]).output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["tokens", "nobody"], "no curator named 'nobody'"),
        (["revoke-token", "nobody", "1"], "no curator named 'nobody'"),
        (["revoke-token", "ada", "999"], "has no token 999"),
        (["revoke-token", "ada", "abc"], "is not a valid integer"),
    ],
)
def test_token_commands_explain_what_is_wrong(runner, curators, args, message):
    curators.create("ada")
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output


def test_another_curators_token_cannot_be_revoked_through_your_name(runner, curators):
    curators.create("ada")
    curators.create("bob")
    runner.invoke(args=["create-token", "bob"])
    bobs = runner.invoke(args=["tokens", "bob"]).output.split()[0]
    assert runner.invoke(args=["revoke-token", "ada", bobs]).exit_code != 0
    assert len(runner.invoke(args=["tokens", "bob"]).output.strip().splitlines()) == 1


# --- open redirect after login ---


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d/evil.example",
        "/%00/evil.example",
        "/%20/evil.example",
        "/%7f/evil.example",
        "%09//evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "HTTPS://evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%E2%80%8B/evil.example",
        "/%E3%80%80/evil.example",
        "%2F%2Fevil.example",
        "",
    ],
)
def test_login_never_redirects_off_the_site(client, curators, target):
    curators.create("ada")
    response = client.post(
        f"/login?next={target}",
        data={"name": "ada", "password": PASSWORD, "csrf_token": _csrf(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/", target


@pytest.mark.parametrize(
    "target",
    ["/stories/x/edit", "/feeds/demo?q=a%20b", "/import#top", "/feeds/café", "/%2F%2Fevil.example"],
)
def test_login_redirects_to_paths_on_the_site(client, curators, target):
    curators.create("ada")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"name": "ada", "password": PASSWORD, "csrf_token": _csrf(client)},
    )
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and location != "/", location


def test_unknown_names_cost_the_same_time_as_real_ones(live_server):
    """The issue asks for a bound: an unknown name took twice as long as a real one (a timing oracle).

    A real server with real password hashing; attempts interleaved, medians compared.
    """
    import re
    import statistics
    import time

    import requests

    server = live_server(env={"TAGSTORY_LOGIN_MAX_FAILURES": "1000"})
    server.cli("create-curator", "ada", "--password", PASSWORD)
    server.cli("create-curator", "robot")  # token-only: no password to check
    http = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get(server.url + "/login").text).group(1)

    def seconds(name: str) -> float:
        started = time.perf_counter()
        answer = http.post(
            server.url + "/login", data={"name": name, "password": "wrong pw", "csrf_token": csrf}
        )
        assert answer.status_code == 401
        return time.perf_counter() - started

    times: dict[str, list[float]] = {"ada": [], "nobody": [], "robot": []}
    for _ in range(7):
        for name, spent in times.items():
            spent.append(seconds(name))
    known = statistics.median(times["ada"])
    for name in ("nobody", "robot"):
        assert 0.66 < statistics.median(times[name]) / known < 1.5, times


# --- a lone surrogate ("\ud800": valid JSON, not a character) anywhere in a JSON text ---

LONE = '"\\ud800"'  # the JSON text of the escape, as a hostile client sends it


def _raw_json(template: str) -> str:
    return template.replace("LONE", LONE)


@pytest.fixture
def world(app: Any, curators: Any) -> dict[str, Any]:
    from tests.factories import feed, post, story

    db = app.extensions["tagstory.db"]
    ada = curators.create("ada")
    feed(db)
    item = post(db, feed_of(db), 1)
    found = story(db, ada)
    return {"slug": found["slug"], "item": item["id"], "headers": curators.token("ada")}


def feed_of(db: Any) -> dict[str, Any]:
    from aggregator.feeds import get_feed

    return get_feed(db, "demo")


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("post", "/api/feeds/demo/items", '{"text": LONE, "author": {"name": "a", "handle": "a"}}'),
        ("post", "/api/feeds/demo/items", '{"text": "t", "author": {"name": LONE, "handle": "a"}}'),
        ("post", "/api/feeds/demo/items", '{"text": "t", "author": {"name": "a"}, "extra": [1, {LONE: 2}]}'),
        ("post", "/api/stories", '{"title": LONE}'),
        ("post", "/api/stories/SLUG/elements", '{"type": "text", "text": LONE}'),
        ("post", "/api/stories/SLUG/elements", '{"type": "item", "item_id": "ITEM", "annotation": LONE}'),
        ("patch", "/api/stories/SLUG", '{"description": LONE}'),
        ("post", "/api/feeds", '{"name": "x", "query": LONE, "sources": []}'),
        ("patch", "/api/feeds/demo/items/ITEM", '{"status": LONE}'),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_a_clear_400(client, world, method, url, body):
    url = url.replace("SLUG", world["slug"]).replace("ITEM", world["item"])
    body = _raw_json(body).replace("ITEM", world["item"])
    response = getattr(client, method)(
        url, data=body, headers={**world["headers"], "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "lone surrogate" in response.get_json()["error"]


def test_a_surrogate_pair_is_a_character_and_is_stored(client, world):
    body = '{"text": "\\ud83d\\ude00", "author": {"name": "a", "handle": "a"}}'
    response = client.post(
        "/api/feeds/demo/items", data=body, headers={**world["headers"], "Content-Type": "application/json"}
    )
    assert response.status_code == 201 and response.get_json()["text"] == "\U0001f600"


@pytest.mark.parametrize(
    "fmt, content",
    [
        ("jsonl", '{"source": "test", "source_id": "1", "text": LONE, "author": {"name": "a"}}\n'),
        ("mastodon", '[{"id": "1", "content": LONE}]'),
        ("twarc", '{"data": [{"id": "1", "text": LONE}]}\n'),
        ("jetstream", '{"kind": "commit", "commit": {"record": {"text": LONE}}}\n'),
        ("tagstory", '{"format": "tagstory", "story": {"title": LONE}, "elements": [], "items": []}'),
        ("storify", '{"content": {"title": LONE, "elements": []}}'),
    ],
)
def test_a_lone_surrogate_in_an_imported_file_is_a_clear_import_error(
    app, client, curators, world, tmp_path, fmt, content
):
    import io

    db = app.extensions["tagstory.db"]
    before = db.query_one("SELECT count(*) AS n FROM events")["n"]
    path = tmp_path / f"hostile.{fmt}"
    path.write_text(_raw_json(content))
    result = app.test_cli_runner().invoke(args=["import", str(path), "--format", fmt, "--feed", "demo"])
    assert result.exit_code != 0 and "lone surrogate" in result.output, result.output
    assert "Traceback" not in result.output
    csrf = curators.login(client, "ada")
    form = {
        "csrf_token": csrf,
        "format": fmt,
        "feed": "demo",
        "file": (io.BytesIO(path.read_bytes()), path.name),
    }
    response = client.post("/import", data=form, content_type="multipart/form-data")
    assert response.status_code == 400 and "lone surrogate" in response.get_data(as_text=True)
    assert db.query_one("SELECT count(*) AS n FROM events")["n"] == before


@pytest.mark.parametrize(
    "data",
    [
        {"feed": "\ud800", "after": 0},
        {"story": "\ud800", "after": 0},
        {"feed": "demo", "after": 0, "\udfff": 1},
    ],
)
def test_a_lone_surrogate_in_a_socket_join_gets_an_error_ack(world, socket_client, data):
    sio = socket_client()
    ack = sio.emit("join", data, callback=True)
    assert ack["ok"] is False and "lone surrogate" in ack["error"]
    # The connection still works.
    assert sio.emit("join", {"feed": "demo", "after": 0}, callback=True)["ok"] is True


# --- the story history keeps its cap ---


def test_the_story_history_keeps_its_cap_and_refuses_bad_limits(app, client, world):
    from web.desk.api import HISTORY_LIMIT

    headers = world["headers"]
    for n in range(HISTORY_LIMIT + 5):
        response = client.post(
            f"/api/stories/{world['slug']}/elements", json={"type": "text", "text": f"t{n}"}, headers=headers
        )
        assert response.status_code == 201
    url = f"/api/stories/{world['slug']}/history"
    assert len(client.get(url, headers=headers).get_json()) == HISTORY_LIMIT
    assert len(client.get(url, query_string={"limit": 10_000}, headers=headers).get_json()) == HISTORY_LIMIT
    assert len(client.get(url, query_string={"limit": 3}, headers=headers).get_json()) == 3
    for bad in ("-1", "abc", "1.5", str(2**70)):
        response = client.get(url, query_string={"limit": bad}, headers=headers)
        assert response.status_code == 400 and "'limit'" in response.get_json()["error"], bad


# --- story exports: rendered once per version, for anyone who asks ---


def _renders(app: Any) -> int:
    return app.extensions["tagstory.exports"].renders


@pytest.mark.parametrize("fmt", ["html", "json", "md"])
def test_an_unchanged_story_is_exported_once_and_a_change_renders_it_again(app, client, world, fmt):
    url = f"/stories/{world['slug']}/export.{fmt}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url)
    assert again.get_data() == first.get_data()  # the same bytes, its export time included
    assert again.headers["ETag"] == first.headers["ETag"]
    assert _renders(app) == 1
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    response = client.post(
        f"/api/stories/{world['slug']}/elements",
        json={"type": "text", "text": "A new paragraph"},
        headers=world["headers"],
    )
    assert response.status_code == 201
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "A new paragraph" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert _renders(app) == 2


def test_a_change_to_a_pinned_post_renders_the_export_again(app, client, world):
    from aggregator.items import change_items, item_from_dict
    from tests.factories import post_dict

    client.post(
        f"/api/stories/{world['slug']}/elements",
        json={"type": "item", "item_id": world["item"]},
        headers=world["headers"],
    )
    url = f"/stories/{world['slug']}/export.md"
    assert "post 1" in client.get(url).get_data(as_text=True)
    db = app.extensions["tagstory.db"]
    change_items(db, changed=[item_from_dict(post_dict(1, text="post 1, edited at its source"))])
    assert "edited at its source" in client.get(url).get_data(as_text=True)
    change_items(db, deleted=[("test", "1")])
    assert "edited at its source" not in client.get(url).get_data(as_text=True)
    assert _renders(app) == 3


def test_a_draft_export_is_private_and_still_for_its_curators_only(app, client, world):
    client.patch(f"/api/stories/{world['slug']}", json={"status": "draft"}, headers=world["headers"])
    assert client.get(f"/stories/{world['slug']}/export.html").status_code == 404
    response = client.get(f"/stories/{world['slug']}/export.html", headers=world["headers"])
    assert response.status_code == 200 and "private" in response.headers["Cache-Control"]
    assert client.get(f"/stories/{world['slug']}/export.html").status_code == 404


def test_concurrent_requests_for_the_same_version_render_it_once(app, world):
    import threading

    barrier = threading.Barrier(6)
    bodies: list[bytes] = []

    def download() -> None:
        local = app.test_client()
        barrier.wait()
        bodies.append(local.get(f"/stories/{world['slug']}/export.json").get_data())

    threads = [threading.Thread(target=download) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(bodies) == 6 and len(set(bodies)) == 1
    assert _renders(app) == 1


def test_the_cache_stays_within_its_bytes(app_with):
    from stories.curators import create_curator
    from tests.factories import feed, story

    app = app_with(EXPORT_CACHE_BYTES=1)
    db = app.extensions["tagstory.db"]
    feed(db)
    found = story(db, create_curator(db, "ada", None))
    client = app.test_client()
    for _ in range(2):
        assert client.get(f"/stories/{found['slug']}/export.md").status_code == 200
    assert _renders(app) == 2  # too big to keep: rendered each time, never stored


def test_served_with_gevent_exports_render_off_the_hub_and_are_cached(live_server):
    import requests

    server = live_server()
    server.cli("create-curator", "ada")
    token = server.cli("create-token", "ada").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(
        server.url + "/api/stories", json={"title": "Live", "status": "live"}, headers=headers
    )
    slug = created.json()["slug"]
    requests.post(
        f"{server.url}/api/stories/{slug}/elements", json={"type": "text", "text": "Hello"}, headers=headers
    ).raise_for_status()
    first = requests.get(f"{server.url}/stories/{slug}/export.html")
    assert first.status_code == 200 and "Hello" in first.text
    again = requests.get(
        f"{server.url}/stories/{slug}/export.html", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
