"""`flask import --format threads|youtube|instagram`: saved API answers, converted as the live sources do."""

from __future__ import annotations

import json

import pytest

from tests.sources.conftest import feed_texts
from tests.sources.servers.instagram import ig_media
from tests.sources.servers.threads import thread
from tests.sources.servers.youtube import chat_message

SAVED = {
    # a keyword_search answer, then one media object on its own line
    "threads": [{"data": [thread(1), thread(2)], "paging": {"cursors": {"after": "QVFH2"}}}, thread(3)],
    # a liveChatMessages.list answer (a ban in it is skipped), then one message
    "youtube": [
        {"kind": "youtube#liveChatMessageListResponse",
         "items": [chat_message(1), chat_message(2, kind="userBannedEvent")]},
        chat_message(3),
    ],
    # a recent_media answer, then one media object
    "instagram": [{"data": [ig_media(1), ig_media(2)]}, ig_media(3)],
}  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(SAVED))
def test_saved_api_answers_are_imported_once(db, runner, tmp_path, fmt):
    path = tmp_path / f"{fmt}.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in SAVED[fmt]) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--format", fmt, "--feed", "summit"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["import", str(path), "--format", fmt, "--feed", "summit"])
    posts = 2 if fmt == "youtube" else 3
    assert f"0 added, {posts} duplicates" in again.output
    assert len(feed_texts(db, "summit")) == posts
    sources = {row["source"] for row in db.query("SELECT source FROM items")}
    assert sources == {fmt}
    if fmt == "youtube":
        assert "skipped 1: userBannedEvent (not a chat post)" in result.output


def test_a_saved_answer_with_a_broken_post_names_what_was_skipped(db, runner, tmp_path):
    path = tmp_path / "threads.jsonl"
    path.write_text(json.dumps({"data": [thread(1), {"id": "", "text": "x"}]}) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--format", "threads", "--feed", "summit"])
    assert (
        result.exit_code == 0
        and "skipped 1: invalid Threads post: a Threads post needs an 'id'" in result.output
    )
