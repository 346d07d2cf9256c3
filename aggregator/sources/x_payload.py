"""X API v2 tweets (search, stream, lookups, twarc2 files) into Items: a pure function, no network."""

from __future__ import annotations

from typing import Any

from aggregator import clock
from aggregator.items import Author, InvalidItem, Item, Media
from aggregator.jsontext import as_dict, as_list
from aggregator.sanitize import clean_url

# X sends &, < and > escaped in `text`; its entity offsets may count either form.
_ESCAPES = ("&amp;", "&lt;", "&gt;")
_MEDIA_TYPES = {"photo": "image", "video": "video", "animated_gif": "video"}


def _by_key(includes: dict[str, Any], kind: str, key: str) -> dict[Any, dict[str, Any]]:
    return {entry.get(key): entry for entry in as_list(includes.get(kind)) if isinstance(entry, dict)}


def link_spans(text: str, entities: Any) -> list[tuple[int, int, str]]:
    """Link spans for the urls, mentions and hashtags entities, placed where their text really is.

    X's offsets may count the escaped or the unescaped text, so each entity is looked up
    at its offset and, when it is not there, just around it.
    """
    entities = as_dict(entities)
    wanted: list[tuple[Any, str, Any]] = []
    for url in map(as_dict, as_list(entities.get("urls"))):
        href = url.get("unwound_url") or url.get("expanded_url") or url.get("url")
        wanted.append((url.get("start"), str(url.get("url") or ""), href))
    for mention in map(as_dict, as_list(entities.get("mentions"))):
        name = str(mention.get("username") or "")
        wanted.append((mention.get("start"), f"@{name}", f"https://x.com/{name}"))
    for tag in map(as_dict, as_list(entities.get("hashtags"))):
        name = str(tag.get("tag") or "")
        wanted.append((tag.get("start"), f"#{name}", f"https://x.com/hashtag/{name}"))
    spans = []
    for start, needle, href in wanted:
        if not needle.strip("@#") or not isinstance(href, str):
            continue
        start = start if isinstance(start, int) and start >= 0 else 0
        if text[start : start + len(needle)] != needle:
            start = text.find(needle, max(0, start - 20))
        if start >= 0:
            spans.append((start, start + len(needle), href))
    return spans


def _media(keys: list[Any], includes: dict[str, Any]) -> list[Media]:
    known = _by_key(includes, "media", "media_key")
    media = []
    for entry in (known[key] for key in keys if key in known):
        url = clean_url(entry.get("url") or entry.get("preview_image_url"))
        if url:
            kind = _MEDIA_TYPES.get(entry.get("type"), "video")
            preview = clean_url(entry.get("preview_image_url"))
            media.append(Media(kind, url, preview, str(entry.get("alt_text") or "")))
    return media


def _text(tweet: dict[str, Any]) -> tuple[str, Any]:
    """The post's whole text (a long post's `note_tweet`), unescaped, and its entities."""
    note = as_dict(tweet.get("note_tweet"))
    text = str(note.get("text") or tweet["text"])
    if any(escape in text for escape in _ESCAPES):
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text, note.get("entities") or tweet.get("entities")


def original_id(tweet: dict[str, Any]) -> str:
    """The id of a post's first version: X gives each edit a new id, listed in `edit_history_tweet_ids`."""
    history = [str(i) for i in as_list(tweet.get("edit_history_tweet_ids")) if isinstance(i, (str, int))]
    return history[0] if history else str(tweet["id"])


def is_edit(tweet: Any) -> bool:
    """Whether a tweet is a later version of an edited post (its id is not the first of its history)."""
    return isinstance(tweet, dict) and "id" in tweet and original_id(tweet) != str(tweet["id"])


def item_from_tweet(tweet: Any, includes: dict[str, Any] | None = None) -> Item:
    """One v2 tweet object, with the response's `includes` (users, media), as an Item.

    A twarc2 "flattened" tweet carries its `author` inline and needs no includes.
    A quote counts as a repost of the quoted post. Raises InvalidItem when malformed.
    """
    if (
        not isinstance(tweet, dict)
        or not isinstance(tweet.get("id"), (str, int))
        or not tweet["id"]
        or not isinstance(tweet.get("text"), str)
    ):
        raise InvalidItem("a tweet needs 'id' and 'text'")
    includes = as_dict(includes)
    user = as_dict(tweet.get("author")) or _by_key(includes, "users", "id").get(tweet.get("author_id")) or {}
    username = user.get("username") if isinstance(user.get("username"), str) else None
    text, entities = _text(tweet)
    references = {
        ref.get("type"): ref.get("id") for ref in map(as_dict, as_list(tweet.get("referenced_tweets")))
    }
    tweet_id = str(tweet["id"])
    keys = [k for k in as_list(as_dict(tweet.get("attachments")).get("media_keys")) if isinstance(k, str)]
    # The tweet as a v2 single-post response: itself, its author and its media.
    raw_includes = {
        "users": [user] if user else [],
        "media": [
            m for m in as_list(includes.get("media")) if isinstance(m, dict) and m.get("media_key") in keys
        ],
    }
    repost_of = references.get("retweeted") or references.get("quoted")
    return Item(
        source="x",
        source_id=original_id(tweet),  # every version of an edited post is one item
        author=Author(
            name=str(user.get("name") or username or f"X user {tweet.get('author_id', '?')}"),
            handle=username,
            url=clean_url(f"https://x.com/{username}") if username else None,
            avatar=clean_url(user.get("profile_image_url")),
        ),
        text=text,
        url=clean_url(f"https://x.com/{username or 'i/web'}/status/{tweet_id}"),
        created_at=clock.normalize(tweet.get("created_at")) or "",
        media=_media(keys, includes),
        reply_to=str(references["replied_to"]) if references.get("replied_to") else None,
        repost_of=str(repost_of) if repost_of else None,
        lang=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None,
        sensitive=bool(tweet.get("possibly_sensitive")),
        raw={"data": tweet, "includes": raw_includes},
        links=link_spans(text, entities),
    )
