"""Hashtags and mentions in a post's HTML: linked once, when the post is stored (aggregator/sanitize.py)."""

from __future__ import annotations

from aggregator.sanitize import text_to_html
from tests.factories import feed, post


def test_a_replayed_x_post_links_its_mentions_and_hashtags_to_x(db):
    stored = post(db, feed(db), 1, source="x", text="Hello @ada_l, see you at #KredCrew!")
    html = stored["html"]
    assert (
        '<a href="https://x.com/ada_l" rel="nofollow noopener noreferrer ugc" class="mention">@ada_l</a>'
        in html
    )
    assert 'href="https://x.com/hashtag/KredCrew"' in html and 'class="hashtag">#KredCrew</a>!' in html


def test_a_post_of_no_network_sets_its_hashtags_off_and_leaves_mentions_as_text(db):
    stored = post(db, feed(db), 1, source="api", text="Ask @ada about #tagstory")
    assert stored["html"] == 'Ask @ada about <span class="hashtag">#tagstory</span>'


def test_the_sources_own_spans_win_over_the_fallback():
    text = "hi @ada.bsky.social #live"
    html = text_to_html(text, links=[(3, 19, "https://bsky.app/profile/did:plc:ada")], network="bluesky")
    assert html.count("<a ") == 2
    profile = '<a href="https://bsky.app/profile/did:plc:ada" rel="nofollow noopener noreferrer ugc">'
    assert f"{profile}@ada.bsky.social</a>" in html
    assert 'href="https://bsky.app/hashtag/live"' in html


def test_what_only_looks_like_a_tag_stays_text():
    html = text_to_html("mail a@b.org, C# code, issue #12, https://e.org/#part", network="x")
    assert "hashtag" not in html and "mention" not in html
    assert html.count("<a ") == 1  # the URL, with its fragment whole


def test_a_hashtag_cannot_break_out_of_its_link():
    html = text_to_html('#tag"><script>x</script>', network="x")
    assert "<script>" not in html and 'href="https://x.com/hashtag/tag"' in html
