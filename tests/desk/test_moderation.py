"""Moderation per feed: mode, rules at ingest, decisions, the audit trail and who sees what."""

from __future__ import annotations

import pytest

from aggregator.feed_rules import rules_of
from aggregator.feeds import get_feed, list_items
from aggregator.moderation import ModerationError, parse_rules
from stories.elements import add_element, list_elements
from stories.model import create_story
from tests.desk.conftest import events_named


def _patch_feed(client, headers, body):
    return client.patch("/api/feeds/demo", json=body, headers=headers)


def test_manual_mode_holds_new_items_pending_and_viewers_do_not_see_them(client, curator_client, feed, post):
    ada, headers = curator_client("ada")
    assert _patch_feed(ada, headers, {"moderation": "manual"}).json["moderation"] == "manual"
    held = post(1)
    assert held["status"] == "pending"
    assert client.get("/api/feeds/demo/items").json["items"] == []
    pending = ada.get("/api/feeds/demo/items?status=pending").json["items"]
    assert [i["id"] for i in pending] == [held["id"]]
    assert ada.get("/api/feeds/demo/moderation", headers=headers).json["counts"] == {
        "approved": 0,
        "pending": 1,
        "hidden": 0,
    }


@pytest.mark.parametrize(
    ("rules", "fields", "reason"),
    [
        (
            {"blocked_words": ["spoiler alert"]},
            {"text": "SPOILER ALERT: it ends"},
            "blocked word: spoiler alert",
        ),
        ({"blocked_authors": ["@Troll"]}, {"author": "Troll"}, "blocked author: troll"),
        ({"hide_replies": True}, {"reply_to": "x1"}, "replies are hidden"),
        ({"hide_reposts": True}, {"repost_of": "x1"}, "reposts are hidden"),
        ({"hide_sensitive": True}, {"sensitive": True}, "sensitive posts are hidden"),
        ({"languages": ["en"]}, {"lang": "de"}, "language not allowed: de"),
    ],
)
def test_a_rule_hides_a_new_item_and_says_which_rule(curator_client, feed, post, rules, fields, reason):
    ada, headers = curator_client("ada")
    assert _patch_feed(ada, headers, {"rules": rules}).status_code == 200
    item = post(1, **fields)
    assert (item["status"], item["reason"]) == ("hidden", reason)
    shown = ada.get("/api/feeds/demo/items?status=hidden").json["items"]
    assert shown[0]["reason"] == reason


def test_a_feeds_rules_are_parsed_once_per_change_and_a_change_applies_to_the_next_post(
    curator_client, db, feed, post
):
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"rules": {"blocked_words": ["spoiler"]}})
    assert rules_of(db, feed["id"])[1] is rules_of(db, feed["id"])[1]  # one parse serves every post
    assert post(1, text="no spoiler here")["status"] == "hidden"
    _patch_feed(ada, headers, {"rules": {"blocked_words": ["leak"]}})
    assert post(2, text="a spoiler now")["status"] == "approved"
    assert post(3, text="a leak")["status"] == "hidden"


def test_blocked_words_match_whole_words_only(curator_client, feed, post):
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"rules": {"blocked_words": ["ass"]}})
    assert post(1, text="a class act")["status"] == "approved"
    assert post(2, text="what an ass!")["status"] == "hidden"


def test_allowed_languages_let_regional_variants_and_unknown_languages_through(curator_client, feed, post):
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"rules": {"languages": ["en"]}})
    assert post(1, lang="en-GB")["status"] == "approved"
    assert post(2)["status"] == "approved"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"moderation": "sometimes"},
        {"rules": []},
        {"rules": {"blocked_words": "spam"}},
        {"rules": {"hide_replies": "yes"}},
        {"rules": {"colour": ["red"]}},
        {"rules": {"blocked_words": ["x" * 201]}},
    ],
)
def test_bad_moderation_settings_get_a_clear_400(curator_client, feed, body):
    ada, headers = curator_client("ada")
    response = _patch_feed(ada, headers, body)
    assert response.status_code == 400
    assert response.json["error"]


def test_only_curators_change_or_read_moderation(client, feed):
    assert client.patch("/api/feeds/demo", json={"moderation": "manual"}).status_code == 401
    assert client.get("/api/feeds/demo/moderation").status_code == 401
    assert client.get("/api/feeds/demo/audit").status_code == 401
    assert client.get("/feeds/demo/moderate").status_code == 302


def test_approve_hide_and_block_author_are_recorded_with_who_and_when(curator_client, feed, post):
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"moderation": "manual"})
    first, second = post(1, author="Bob"), post(2, author="Bob")
    assert (
        ada.patch(
            f"/api/feeds/demo/items/{first['id']}", json={"status": "approved"}, headers=headers
        ).status_code
        == 200
    )
    blocked = ada.post(f"/api/feeds/demo/items/{first['id']}/block-author", headers=headers).json
    assert set(blocked["hidden"]) == {first["id"], second["id"]}
    assert blocked["rules"]["blocked_authors"] == ["bob"]
    assert post(3, author="Bob")["reason"] == "blocked author: bob"
    audit = ada.get("/api/feeds/demo/audit", headers=headers).json
    decided = [(e["actor"], e["item_id"], e["status"]) for e in audit if e.get("item_id")]
    assert ("ada", first["id"], "approved") in decided
    assert ("ada", second["id"], "hidden") in decided
    assert all(e["at"] for e in audit)
    assert any(e.get("moderation") == "manual" and e["actor"] == "ada" for e in audit)


def test_blocking_an_author_keeps_their_items_pinned_in_a_story(db, curator_client, feed, post):
    ada, headers = curator_client("ada")
    pinned, loose = post(1, author="Bob"), post(2, author="Bob")
    story = create_story(db, "Story", feed["id"], None)
    add_element(db, story, {"type": "item", "item_id": pinned["id"]})
    result = ada.post(f"/api/feeds/demo/items/{loose['id']}/block-author", headers=headers).json
    assert result["hidden"] == [loose["id"]]
    assert result["kept_pinned"] == [pinned["id"]]
    assert [e["item_id"] for e in list_elements(db, story)] == [pinned["id"]]
    visible = list_items(db, get_feed(db, "demo"))
    assert [i["id"] for i in visible] == [pinned["id"]]


def test_moderating_an_unknown_item_is_404_and_a_bad_status_400(curator_client, feed, post):
    ada, headers = curator_client("ada")
    assert (
        ada.patch("/api/feeds/demo/items/nope", json={"status": "hidden"}, headers=headers).status_code == 404
    )
    item = post(1)
    assert (
        ada.patch(f"/api/feeds/demo/items/{item['id']}", json={"status": "gone"}, headers=headers).status_code
        == 400
    )
    assert ada.post("/api/feeds/demo/items/nope/block-author", headers=headers).status_code == 404


def test_viewers_never_receive_pending_or_hidden_content(
    client, curator_client, feed, post, socket_client, deliver
):
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"moderation": "manual", "rules": {"blocked_words": ["secret"]}})
    viewer = socket_client()
    assert viewer.emit("join", {"feed": "demo", "after": 0}, callback=True)["ok"]
    held, blocked = post(1, text="held back"), post(2, text="a secret")
    deliver()
    assert events_named(viewer, "item") == []
    ada.patch(f"/api/feeds/demo/items/{held['id']}", json={"status": "approved"}, headers=headers)
    deliver()
    ada.patch(f"/api/feeds/demo/items/{held['id']}", json={"status": "hidden"}, headers=headers)
    deliver()
    shown, gone = events_named(viewer, "item")
    assert shown["item"]["text"] == "held back" and shown["item"]["status"] == "approved"
    assert "reason" not in shown["item"]
    assert gone["item"] == {"id": held["id"], "status": "hidden"}
    catch_up = socket_client().emit("join", {"feed": "demo", "after": 0}, callback=True)["events"]
    # the approval is still in the log, in order, but no longer carries what was hidden
    redacted = {"id": held["id"], "status": "hidden", "redacted": True, "was": "approved"}
    assert [e["data"]["item"] for e in catch_up] == [redacted, gone["item"]]
    assert [e["data"]["seq"] for e in catch_up] == [shown["seq"], gone["seq"]]
    assert blocked["id"] not in str(catch_up)


def test_the_desk_room_carries_what_viewers_must_not_see_and_only_curators_join_it(
    client, curator_client, feed, post, socket_client, deliver
):
    stranger = socket_client()
    refused = stranger.emit("join", {"feed": "demo", "desk": True, "after": 0}, callback=True)
    assert refused == {"ok": False, "error": "only curators can follow a feed's moderation desk"}
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"rules": {"blocked_words": ["secret"]}})
    desk = socket_client(ada)
    assert desk.emit("join", {"feed": "demo", "desk": True, "after": 0}, callback=True)["ok"]
    hidden = post(1, text="a secret")
    post(2, text="fine")
    deliver()
    (event,) = events_named(desk, "item")
    assert (event["item"]["id"], event["item"]["reason"]) == (hidden["id"], "blocked word: secret")
    again = socket_client(ada).emit("join", {"feed": "demo", "desk": True, "after": 0}, callback=True)
    assert [e["event"] for e in again["events"]] == ["feed", "item"]


def test_an_approved_item_keeps_one_seq_for_viewers_and_the_api(client, feed, post, socket_client, deliver):
    viewer = socket_client()
    viewer.emit("join", {"feed": "demo", "after": 0}, callback=True)
    item = post(1)
    deliver()
    (event,) = events_named(viewer, "item")
    listed = client.get("/api/feeds/demo/items").json
    assert (
        event["seq"] == event["item"]["seq"] == item["seq"] == listed["items"][0]["seq"] == listed["last_seq"]
    )


def test_parse_rules_refuses_unknown_rules():
    with pytest.raises(ModerationError):
        parse_rules({"nope": True})


def test_moderation_page_lists_the_queue(curator_client, feed, post):
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"moderation": "manual"})
    post(1, text="waiting for you")
    page = ada.get("/feeds/demo/moderate")
    assert page.status_code == 200
    assert b"waiting for you" in page.data


def test_blocking_an_author_takes_their_posts_off_viewers_screens_live(
    curator_client, feed, post, socket_client, deliver
):
    ada, headers = curator_client("ada")
    shown = post(1, author="Bob")
    kept = post(2, author="Cy")
    deliver()
    viewer = socket_client()
    viewer.emit("join", {"feed": "demo", "after": kept["seq"]}, callback=True)
    ada.post(f"/api/feeds/demo/items/{shown['id']}/block-author", headers=headers)
    deliver()
    assert [e["item"] for e in events_named(viewer, "item")] == [{"id": shown["id"], "status": "hidden"}]


def test_desk_catch_up_from_a_seq_brings_exactly_what_came_after(
    curator_client, feed, post, socket_client, deliver
):
    ada, headers = curator_client("ada")
    _patch_feed(ada, headers, {"moderation": "manual"})
    first, second, third = post(1), post(2), post(3)
    deliver()
    desk = socket_client(ada)
    ack = desk.emit("join", {"feed": "demo", "desk": True, "after": first["seq"]}, callback=True)
    assert [e["data"]["item"]["id"] for e in ack["events"]] == [second["id"], third["id"]]
    assert ack["last_seq"] == third["seq"]


def test_a_source_editing_a_hidden_post_reaches_the_desk_not_viewers(
    db, curator_client, feed, post, socket_client, deliver
):
    from aggregator.items import change_items, item_from_dict

    ada, headers = curator_client("ada")
    hidden = post(1, text="first words")
    ada.patch(f"/api/feeds/demo/items/{hidden['id']}", json={"status": "hidden"}, headers=headers)
    deliver()
    viewer, desk = socket_client(), socket_client(ada)
    viewer.emit("join", {"feed": "demo", "after": 0}, callback=True)
    desk.emit("join", {"feed": "demo", "desk": True, "after": 0}, callback=True)
    edited = {"source": "test", "source_id": "1", "text": "edited words", "author": {"name": "Tess"}}
    change_items(db, changed=[item_from_dict(edited)])
    deliver()
    assert events_named(viewer, "item") == []
    (event,) = events_named(desk, "item")
    assert (event["item"]["text"], event["item"]["status"]) == ("edited words", "hidden")
