"""Authors who opted out stay off every public page: each network's signal, skipped or held.

Against local servers speaking Mastodon's hashtag timeline (the Account entity's `noindex`,
`discoverable` and `note`) and Bluesky's Jetstream plus an AppView answering getProfiles
(the `!no-unauthenticated` self-label). Viewers read the feed over HTTP as anyone would.
"""

from __future__ import annotations

import pytest

from aggregator.feeds import create_feed
from tests.sources.conftest import feed_texts, wait_for
from tests.sources.servers import post_event, status

LIVE_US = 1783175999000000
LABELLED = "did:plc:leavemeout"

MASTODON_SIGNALS = {
    "noindex": ({"noindex": True}, "noindex"),
    "not discoverable": ({"discoverable": False}, "discoverable: false"),
    "#nobot in the bio": (
        {"note": '<p>Writer. <a href="https://m.example/tags/nobot">#<span>NoBot</span></a></p>'},
        "#nobot",
    ),
    "#nowall in the bio": ({"note": "<p>please #nowall thanks</p>"}, "#nowall"),
}


def _opted_out_status(number: int, account_fields: dict) -> dict:
    post = status(number)
    post["account"] = {**post["account"], "id": "2", "username": "bea", "acct": "bea", **account_fields}
    post["account"]["url"] = "https://mastodon.example/@bea"
    return post


def _viewer_texts(client, feed: str) -> list[str]:
    return [item["text"] for item in client.get(f"/api/feeds/{feed}/items").get_json()["items"]]


@pytest.mark.parametrize("signal", MASTODON_SIGNALS, ids=list(MASTODON_SIGNALS))
def test_a_mastodon_author_who_opted_out_is_skipped_by_default(db, client, mastodon, collecting, signal):
    fields, _said = MASTODON_SIGNALS[signal]
    mastodon.add(_opted_out_status(1, fields), status(2))
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])
    with collecting():
        wait_for(lambda: feed_texts(db, "kc"))
    assert feed_texts(db, "kc") == ["Post 2 #kredcrew"]
    assert db.query_one("SELECT count(*) AS n FROM items WHERE author_handle LIKE 'bea@%'")["n"] == 0
    assert _viewer_texts(client, "kc") == ["Post 2 #kredcrew"]


@pytest.mark.parametrize("signal", MASTODON_SIGNALS, ids=list(MASTODON_SIGNALS))
def test_held_mastodon_posts_wait_for_a_curator_who_sees_why(
    db, client, curators, mastodon, collecting, signal
):
    fields, said = MASTODON_SIGNALS[signal]
    mastodon.add(_opted_out_status(1, fields), status(2))
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])
    with collecting(OPT_OUT="hold"):
        wait_for(lambda: len(feed_texts(db, "kc")) == 2)
    assert _viewer_texts(client, "kc") == ["Post 2 #kredcrew"]
    curators.login(client)
    held = client.get("/api/feeds/kc/items?status=pending").get_json()["items"]
    assert [item["text"] for item in held] == ["Post 1 #kredcrew"]
    assert said in held[0]["reason"] and held[0]["reason"].startswith("opted out:")
    page = client.get("/feeds/kc/moderate").get_data(as_text=True)
    assert said in page


def test_an_account_without_signals_or_with_discoverable_unset_is_shown(db, client, mastodon, collecting):
    mastodon.add(
        _opted_out_status(1, {"discoverable": None, "noindex": False, "note": "<p>#nobots are fine</p>"})
    )
    create_feed(db, "kc", "#kredcrew", [f"mastodon:{mastodon.url}"])
    with collecting():
        wait_for(lambda: _viewer_texts(client, "kc"))
    assert _viewer_texts(client, "kc") == ["Post 1 #kredcrew"]


def _bluesky_feed(db, jetstream):
    create_feed(db, "kc", "#kredcrew", [f"bluesky:{jetstream.ws_url}"])


def test_a_bluesky_author_labelled_no_unauthenticated_is_skipped(db, client, jetstream, appview, collecting):
    appview.label(LABELLED, "!no-unauthenticated")
    jetstream.publish(
        post_event(LIVE_US, "mine #kredcrew", "b1", did=LABELLED),
        post_event(LIVE_US + 1, "shown #kredcrew", "b2", did="did:plc:happy"),
    )
    _bluesky_feed(db, jetstream)
    with collecting():
        wait_for(lambda: "shown #kredcrew" in _viewer_texts(client, "kc"))
    assert "mine #kredcrew" not in feed_texts(db, "kc")
    assert any(LABELLED in actors for actors in appview.requests)


def test_held_bluesky_posts_say_which_label(db, client, curators, jetstream, appview, collecting):
    appview.label(LABELLED, "!no-unauthenticated")
    jetstream.publish(post_event(LIVE_US, "mine #kredcrew", "b1", did=LABELLED))
    _bluesky_feed(db, jetstream)
    with collecting(OPT_OUT="hold"):
        wait_for(lambda: feed_texts(db, "kc"))
    assert _viewer_texts(client, "kc") == []
    curators.login(client)
    held = client.get("/api/feeds/kc/items?status=pending").get_json()["items"]
    assert "!no-unauthenticated" in held[0]["reason"]


def test_a_profile_the_appview_leaves_out_counts_as_opted_out(db, client, jetstream, appview, collecting):
    appview.hidden.add(LABELLED)
    jetstream.publish(
        post_event(LIVE_US, "hidden author #kredcrew", "b1", did=LABELLED),
        post_event(LIVE_US + 1, "shown #kredcrew", "b2", did="did:plc:happy"),
    )
    _bluesky_feed(db, jetstream)
    with collecting():
        wait_for(lambda: "shown #kredcrew" in _viewer_texts(client, "kc"))
    assert feed_texts(db, "kc") == ["shown #kredcrew"]


def test_when_the_appview_fails_posts_are_held_never_shown(
    db, client, curators, jetstream, appview, collecting
):
    appview.failing = True
    jetstream.publish(post_event(LIVE_US, "unchecked #kredcrew", "b1", did="did:plc:happy"))
    _bluesky_feed(db, jetstream)
    with collecting():
        wait_for(lambda: feed_texts(db, "kc"))
    assert _viewer_texts(client, "kc") == []
    curators.login(client)
    held = client.get("/api/feeds/kc/items?status=pending").get_json()["items"]
    assert "could not be checked" in held[0]["reason"]


def test_each_author_is_looked_up_once_while_cached(db, client, jetstream, appview, collecting):
    _bluesky_feed(db, jetstream)
    with collecting():
        jetstream.publish(post_event(LIVE_US, "one #kredcrew", "b1", did="did:plc:happy"))
        wait_for(lambda: _viewer_texts(client, "kc") == ["one #kredcrew"])
        jetstream.publish(post_event(LIVE_US + 1, "two #kredcrew", "b2", did="did:plc:happy"))
        wait_for(lambda: _viewer_texts(client, "kc") == ["one #kredcrew", "two #kredcrew"])
    asked = [actors for actors in appview.requests if "did:plc:happy" in actors]
    assert len(asked) == 1


def test_the_profile_cache_is_bounded(db, client, jetstream, appview, collecting):
    _bluesky_feed(db, jetstream)
    with collecting(BLUESKY_PROFILE_CACHE=2):
        for n, did in enumerate(("did:plc:a", "did:plc:b", "did:plc:c", "did:plc:a")):
            jetstream.publish(post_event(LIVE_US + n, f"p{n} #kredcrew", f"b{n}", did=did))
            wait_for(lambda n=n: len(_viewer_texts(client, "kc")) == n + 1)
    asked_for_a = [actors for actors in appview.requests if "did:plc:a" in actors]
    assert len(asked_for_a) == 2  # pushed out by b and c, so asked again


def test_an_unknown_policy_is_refused_plainly():
    from aggregator.consent import ConsentError, policy

    with pytest.raises(ConsentError, match="OPT_OUT must be one of skip, hold"):
        policy({"OPT_OUT": "maybe"})


def test_with_no_profile_cache_every_batch_asks_and_nothing_is_held(
    db, client, jetstream, appview, collecting
):
    _bluesky_feed(db, jetstream)
    with collecting(BLUESKY_PROFILE_CACHE=0, BLUESKY_PROFILE_TTL=0):
        jetstream.publish(post_event(LIVE_US, "one #kredcrew", "b1", did="did:plc:happy"))
        wait_for(lambda: _viewer_texts(client, "kc") == ["one #kredcrew"])
        jetstream.publish(post_event(LIVE_US + 1, "two #kredcrew", "b2", did="did:plc:happy"))
        wait_for(lambda: _viewer_texts(client, "kc") == ["one #kredcrew", "two #kredcrew"])
    assert len([actors for actors in appview.requests if "did:plc:happy" in actors]) == 2
