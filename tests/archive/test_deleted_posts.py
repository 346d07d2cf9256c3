"""Posts deleted at their source are imported as deleted: viewers never get them as empty or live posts."""

from __future__ import annotations

from typing import Any

import pytest

from aggregator.feeds import create_feed
from bench.synthetic import synthetic_archive
from tests.factories import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def archive_with_deleted_posts(write_json: Any) -> tuple[Any, set[str], str]:
    """A published story of 20 elements; two of its posts were deleted at their source, one still has text."""
    archive = synthetic_archive(20, slug="with-deleted")
    archive["story"]["status"] = "published"
    emptied, flagged = archive["items"][2], archive["items"][3]
    emptied.update(deleted=True, text="", html="", media=[], raw={"deleted": True})
    flagged.update(deleted=True)  # a file that kept the text of a deleted post
    return write_json("story.json", archive), {emptied["source_id"], flagged["source_id"]}, flagged["text"]


def test_a_viewer_watching_the_feed_never_sees_a_deleted_post_arrive(
    db: Any, runner: Any, client: Any, socket_client: Any, deliver: Any, write_json: Any
) -> None:
    create_feed(db, "summit", "#summit", [])
    viewer = socket_client()
    assert viewer.emit("join", {"feed": "summit", "after": 0}, callback=True)["ok"]
    path, deleted, kept_text = archive_with_deleted_posts(write_json)
    result = runner.invoke(args=["import", str(path), "--format", "tagstory", "--feed", "summit"])
    assert result.exit_code == 0, result.output
    deliver()
    events = [packet["args"][0] for packet in viewer.get_received() if packet["name"] == "item"]
    by_post = {event["item"]["source_id"]: event["item"] for event in events}
    assert len(events) == len(by_post) == db.query_one("SELECT count(*) AS n FROM items")["n"]
    for source_id, item in by_post.items():
        if source_id in deleted:
            assert item["deleted"] and (item["text"], item["html"], item["media"]) == ("", "", [])
        else:
            assert not item["deleted"] and item["text"].startswith("Post ")
    # A viewer arriving later gets the same, and the API agrees with both.
    late = socket_client()
    caught_up = late.emit("join", {"feed": "summit", "after": 0}, callback=True)["events"]
    assert [event["data"] for event in caught_up] == events
    story = client.get("/api/stories/with-deleted").get_json()
    pinned = {e["item"]["source_id"]: e["item"] for e in story["elements"] if e["type"] == "item"}
    assert {source_id for source_id, item in pinned.items() if item["deleted"]} == deleted
    assert all(pinned[source_id]["text"] == "" for source_id in deleted)
    for event in caught_up + [{"data": {"item": item}} for item in pinned.values()]:
        assert kept_text not in str(event)  # the kept text of the deleted post went nowhere
