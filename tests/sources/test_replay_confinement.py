"""`replay:FILE` reads only .jsonl files inside the replay folder, and its options are checked when added."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import post_dict
from tests.sources.conftest import feed_texts, source_row, wait_for

SECRET = "do-not-leak-7c1e"


@pytest.fixture
def replays(app, tmp_path: Path) -> Path:
    """The replay folder, with one good file and, beside it (outside), a file that must stay unread."""
    root = tmp_path / "replays"
    root.mkdir()
    (root / "good.jsonl").write_text(json.dumps(post_dict(1)) + "\n", encoding="utf-8")
    outside = tmp_path / "outside.jsonl"
    outside.write_text(json.dumps(post_dict(2, text=SECRET)) + "\n", encoding="utf-8")
    (root / "link.jsonl").symlink_to(outside)
    (root / "dir").symlink_to(tmp_path)
    app.config["REPLAY_ROOT"] = str(root)
    return root


REFUSED = {
    "replay:/etc/shadow": "relative to the replay folder",
    "replay:/proc/self/environ": "relative to the replay folder",
    "replay:../../x.jsonl": "'..'",
    "replay:good/../../outside.jsonl": "'..'",
    "replay:instance/secret_key": "JSON Lines",
    "replay:link.jsonl": "outside the replay folder",
    "replay:dir/outside.jsonl": "outside the replay folder",
    "replay:good.jsonl?speed=abc": "speed must be a number",
    "replay:good.jsonl?speed=-1": "speed must be a number",
    "replay:good.jsonl?speed=nan": "speed must be a number",
    "replay:good.jsonl?sped=2": "unknown option 'sped'",
    "replay:good.jsonl?speed": "NAME=VALUE",
}


def test_every_way_out_of_the_replay_folder_is_a_400_that_says_why(client, curators, replays, subtests):
    headers = curators.token()
    assert client.post("/api/feeds", json={"name": "kc", "query": "#k"}, headers=headers).status_code == 201
    for spec, reason in {**REFUSED, f"replay:{replays.parent}/outside.jsonl": "relative"}.items():
        with subtests.test(spec=spec):
            response = client.post("/api/feeds/kc/sources", json={"spec": spec}, headers=headers)
            assert response.status_code == 400, response.get_json()
            assert reason in response.get_json()["error"]
            created = client.post(
                "/api/feeds", json={"name": "k2", "query": "#k", "sources": [spec]}, headers=headers
            )
            assert created.status_code == 400 and reason in created.get_json()["error"]
    assert client.get("/api/feeds/kc", headers=headers).get_json()["sources"] == []


def test_a_good_file_with_its_speed_is_accepted(client, curators, replays):
    headers = curators.token()
    body = {"name": "kc", "query": "#k", "sources": ["replay:good.jsonl?speed=0"]}
    assert client.post("/api/feeds", json=body, headers=headers).status_code == 201


def test_the_command_line_refuses_a_file_outside_the_folder(runner, replays):
    result = runner.invoke(args=["feed", "add", "kc", "#k", "--source", "replay:link.jsonl"])
    assert result.exit_code == 1 and "outside the replay folder" in result.output
    assert "Traceback" not in result.output


def test_a_stored_spec_that_leads_outside_is_refused_when_collected(db, replays, collecting):
    """A spec stored before these checks (or written into the database) still reads nothing outside."""
    with db.write() as tx:
        feed_id = tx.execute(
            "INSERT INTO feeds (name, query, created_at) VALUES ('kc', '#k', 'now')"
        ).lastrowid
        tx.execute(
            "INSERT INTO sources (feed_id, spec, created_at) VALUES (?, 'replay:link.jsonl?speed=0', 'now')",
            [feed_id],
        )
    with collecting(REPLAY_ROOT=str(replays)):
        row = wait_for(lambda: (r := source_row(db, "kc"))["last_error"] and r)
    assert row["state"] == "error" and "outside the replay folder" in row["last_error"]
    assert feed_texts(db, "kc") == [] and SECRET not in json.dumps(dict(row))
