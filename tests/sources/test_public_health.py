"""Anonymous viewers see a source's network and public state; its spec and error texts are for curators."""

from __future__ import annotations

from pathlib import Path

from tests.sources.conftest import source_row, wait_for

CREDENTIAL = "hunter2-secret"
SPECS = ["replay:missing-archive.jsonl?speed=0", f"rss:https://reader:{CREDENTIAL}@feeds.example/feed.xml"]
PUBLIC = {"id", "network", "state", "last_success", "items", "rate_limit_reset"}


def _failed_feed(client, curators, db, collecting, tmp_path: Path) -> dict[str, str]:
    headers = curators.token()
    body = {"name": "kc", "query": "#kredcrew", "sources": SPECS}
    assert client.post("/api/feeds", json=body, headers=headers).status_code == 201
    with collecting(REPLAY_ROOT=str(tmp_path)):
        row = wait_for(lambda: (r := source_row(db, "kc"))["last_error"] and r)
    assert str(tmp_path) in row["last_error"]  # the error text names a server path
    return headers


def _leaks(text: str, tmp_path: Path) -> list[str]:
    secrets = [CREDENTIAL, "missing-archive", str(tmp_path), "cannot read", "feeds.example"]
    return [secret for secret in secrets if secret in text]


def test_anonymous_feed_views_show_networks_and_states_only(client, curators, db, collecting, tmp_path):
    _failed_feed(client, curators, db, collecting, tmp_path)
    listed = client.get("/api/feeds")
    assert listed.get_json()[0]["sources"] == ["replay", "rss"]
    shown = client.get("/api/feeds/kc")
    sources = shown.get_json()["sources"]
    assert [set(s) for s in sources] == [PUBLIC, PUBLIC]
    assert (sources[0]["network"], sources[0]["state"]) == ("replay", "error")
    for path in ("/api/feeds", "/api/feeds/kc", "/feeds/kc", "/", "/feeds/kc/wall"):
        page = client.get(path)
        assert page.status_code == 200
        assert _leaks(page.get_data(as_text=True), tmp_path) == [], path


def test_curators_still_see_every_detail(client, curators, db, collecting, tmp_path):
    headers = _failed_feed(client, curators, db, collecting, tmp_path)
    assert client.get("/api/feeds", headers=headers).get_json()[0]["sources"] == SPECS
    sources = client.get("/api/feeds/kc", headers=headers).get_json()["sources"]
    assert [s["spec"] for s in sources] == SPECS
    assert "cannot read replay file" in sources[0]["last_error"]
    curators.login(client)
    page = client.get("/feeds/kc").get_data(as_text=True)
    assert "missing-archive.jsonl" in page and "cannot read replay file" in page
