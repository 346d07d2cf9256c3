"""The `flask --app app …` commands: accounts, tokens, feeds, import, and their clear errors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSWORD
from tests.factories import cheap_passwords, feed, post_dict

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def _ok(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _fails(runner, *args) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return result.output


def _login(client, name, password):
    client.get("/login")
    with client.session_transaction() as session:
        csrf = session["csrf"]
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf})


def test_a_created_curator_can_log_in(runner, client):
    assert "Created curator ada" in _ok(runner, "create-curator", "ada", "--password", PASSWORD)
    assert _login(client, "ada", PASSWORD).status_code == 302
    assert _login(client, "ada", "wrong password").status_code == 401


def test_a_curator_without_password_cannot_log_in(runner, client):
    _ok(runner, "create-curator", "robot")
    assert _login(client, "robot", "").status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-curator", "ada", "--password", "short"], "at least 8"),
        (["create-curator", "bad name!", "--password", PASSWORD], "curator name"),
        (["create-token", "nobody"], "no curator named 'nobody'"),
        (["export", "nope", "-o", "out.html"], "no story 'nope'"),
        (["import", __file__, "--format", "twarc"], "--feed NAME is required for --format twarc"),
        (["feed", "add", "x", "#x", "--source", "gopher:somewhere"], "unknown source 'gopher'"),
        (["feed", "add", "Bad Name", "#x"], "name must be"),
    ],
)
def test_bad_requests_are_clear_errors(runner, args, message):
    assert message in _fails(runner, *args)


def test_a_duplicate_curator_is_a_clear_error(runner):
    _ok(runner, "create-curator", "ada", "--password", PASSWORD)
    assert "exists already" in _fails(runner, "create-curator", "ada", "--password", PASSWORD)


def test_create_token_prints_the_token_alone_on_its_last_line_and_it_works(runner, client):
    _ok(runner, "create-curator", "ada")
    output = _ok(runner, "create-token", "ada")
    token = output.strip().splitlines()[-1]
    assert token and " " not in token and len(token) >= 32
    response = client.post(
        "/api/feeds",
        json={"name": "hooked", "query": "#x", "sources": []},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    second = _ok(runner, "create-token", "ada").strip().splitlines()[-1]
    assert second != token


def test_feed_add_creates_a_feed_with_its_sources(runner, client, curators):
    output = _ok(
        runner,
        "feed",
        "add",
        "kc",
        "#kredcrew",
        "--source",
        "replay:demo/a.jsonl",
        "--source",
        "replay:b.jsonl",
    )
    assert "Created feed kc with 2 source(s)" in output
    shown = client.get("/api/feeds/kc", headers=curators.token()).get_json()
    assert [s["spec"] for s in shown["sources"]] == ["replay:demo/a.jsonl", "replay:b.jsonl"]
    assert "exists already" in _fails(runner, "feed", "add", "kc", "#again")


def _jsonl(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_import_reads_every_line_and_counts_duplicates(runner, db, tmp_path):
    feed(db)
    lines = [json.dumps(post_dict(n)) for n in (1, 2, 2, 3)] + [""]
    output = _ok(
        runner, "import", _jsonl(tmp_path / "in.jsonl", lines), "--format", "jsonl", "--feed", "demo"
    )
    assert "Read 4 items: 3 added, 1 duplicates." in output
    assert db.query_one("SELECT count(*) AS n FROM feed_items")["n"] == 3


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("{not json", "Expecting"),
        (json.dumps({"text": "no author"}), "'source'"),
        ("[1]", "JSON object"),
        ("[" * 100_000, "recursion"),
    ],
)
def test_import_is_all_or_nothing_and_names_the_bad_line(runner, db, tmp_path, bad, reason):
    feed(db)
    lines = [json.dumps(post_dict(1)), json.dumps(post_dict(2)), bad, json.dumps(post_dict(4))]
    output = _fails(runner, "import", _jsonl(tmp_path / "in.jsonl", lines), "--feed", "demo")
    assert "line 3" in output and reason in output
    assert db.query_one("SELECT count(*) AS n FROM items")["n"] == 0
    assert db.query_one("SELECT count(*) AS n FROM events")["n"] == 0


def test_import_of_an_unknown_format_is_a_usage_error(runner, db, tmp_path):
    feed(db)
    result = runner.invoke(
        args=["import", _jsonl(tmp_path / "x.csv", ["a"]), "--format", "csv", "--feed", "demo"]
    )
    assert result.exit_code == 2 and "csv" in result.output
