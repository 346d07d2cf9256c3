"""X API v2 payloads (search, lookups, twarc2 files) into Items: a pure function, no network."""

from __future__ import annotations

from typing import Any

from aggregator import clock
from aggregator.items import Author, InvalidItem, Item, Media

# X sends &, < and > escaped in `text`; its entity offsets may count either form.
_ESCAPES = ("&amp;", "&lt;", "&gt;")


def _by_key(includes: dict[str, Any], kind: str, key: str) -> dict[str, dict[str, Any]]:
    return {entry.get(key): entry for entry in includes.get(kind) or [] if isinstance(entry, dict)}


def _spans(text: str, entities: dict[str, Any]) -> list[tuple[int, int, str]]:
    """Link spans from X entities, placed where their text really is (offsets are checked)."""
    wanted: list[tuple[int, str, str]] = []
    for url in entities.get("urls") or []:
        wanted.append(
            (url.get("start", 0), url.get("url", ""), url.get("expanded_url") or url.get("url", ""))
        )
    for mention in entities.get("mentions") or []:
        name = mention.get("username", "")
        wanted.append((mention.get("start", 0), f"@{name}", f"https://x.com/{name}"))
    for tag in entities.get("hashtags") or []:
        name = tag.get("tag", "")
        wanted.append((tag.get("start", 0), f"#{name}", f"https://x.com/hashtag/{name}"))
    spans = []
    for start, needle, href in wanted:
        if not needle.strip("@#"):
            continue
        if text[start : start + len(needle)] != needle:
            start = text.find(needle, max(0, start - 20))
        if start >= 0:
            spans.append((start, start + len(needle), href))
    return spans


def _media(tweet: dict[str, Any], includes: dict[str, Any]) -> list[Media]:
    known = _by_key(includes, "media", "media_key")
    media = []
    for key in (tweet.get("attachments") or {}).get("media_keys") or []:
        entry = known.get(key)
        if not entry:
            continue
        url = entry.get("url") or entry.get("preview_image_url")
        if url:
            kind = "image" if entry.get("type") == "photo" else "video"
            media.append(Media(kind, url, entry.get("preview_image_url"), entry.get("alt_text") or ""))
    return media


def item_from_tweet(tweet: dict[str, Any], includes: dict[str, Any] | None = None) -> Item:
    """One v2 tweet object, with the response's `includes` (users, media), as an Item.

    A twarc2 "flattened" tweet carries its `author` inline and needs no includes.
    """
    if not isinstance(tweet, dict) or not tweet.get("id") or "text" not in tweet:
        raise InvalidItem("a tweet needs 'id' and 'text'")
    includes = includes or {}
    user = tweet.get("author") or _by_key(includes, "users", "id").get(tweet.get("author_id")) or {}
    username = user.get("username")
    note = tweet.get("note_tweet") or {}  # a long post's full text
    text = str(note.get("text") or tweet["text"])
    if any(escape in text for escape in _ESCAPES):
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    references = {ref.get("type"): ref.get("id") for ref in tweet.get("referenced_tweets") or []}
    tweet_id = str(tweet["id"])
    media = _media(tweet, includes)
    keys = set((tweet.get("attachments") or {}).get("media_keys") or [])
    # The tweet as a v2 single-post response: itself, its author and its media.
    raw_includes = {
        "users": [user] if user else [],
        "media": [
            m for m in includes.get("media") or [] if isinstance(m, dict) and m.get("media_key") in keys
        ],
    }
    return Item(
        source="x",
        source_id=tweet_id,
        author=Author(
            name=user.get("name") or username or f"X user {tweet.get('author_id', '?')}",
            handle=username,
            url=f"https://x.com/{username}" if username else None,
            avatar=user.get("profile_image_url"),
        ),
        text=text,
        url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
        created_at=clock.normalize(tweet.get("created_at")) or "",
        media=media,
        reply_to=references.get("replied_to"),
        repost_of=references.get("retweeted"),
        lang=tweet.get("lang"),
        sensitive=bool(tweet.get("possibly_sensitive")),
        raw={"data": tweet, "includes": raw_includes},
        links=_spans(text, note.get("entities") or tweet.get("entities") or {}),
    )
