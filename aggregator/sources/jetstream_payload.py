"""Bluesky posts (Jetstream events, search results) into Items: pure functions, no network.

Only a `commit` that `create`s an `app.bsky.feed.post` is a new post; facets carry
links, mentions and tags with UTF-8 *byte* offsets, turned here into character offsets.
"""

from __future__ import annotations

from typing import Any

from aggregator import clock
from aggregator.items import Author, InvalidItem, Item, Media
from aggregator.jsontext import as_dict, as_list
from aggregator.sanitize import clean_url

POST = "app.bsky.feed.post"
CDN = "https://cdn.bsky.app/img"
_FEATURE_LINKS = {
    "app.bsky.richtext.facet#link": ("uri", "{}"),
    "app.bsky.richtext.facet#mention": ("did", "https://bsky.app/profile/{}"),
    "app.bsky.richtext.facet#tag": ("tag", "https://bsky.app/hashtag/{}"),
}


def skip_reason(event: Any) -> str | None:
    """Why an event is not a new post (e.g. 'commit create app.bsky.feed.like'), or None if it is."""
    if not isinstance(event, dict):
        return "not a JSON object"
    if event.get("kind") != "commit":
        return f"{event.get('kind', 'unknown')} event"
    commit = as_dict(event.get("commit"))
    if commit.get("collection") != POST or commit.get("operation") != "create":
        return f"commit {commit.get('operation', '?')} {commit.get('collection', '?')}"
    return None


def post_uri(did: str, rkey: str) -> str:
    """The at:// URI of a post: its id, the same from Jetstream, search and imports."""
    return f"at://{did}/{POST}/{rkey}"


def char_offset(text: str, byte_offset: int) -> int:
    """The character index in `text` of a UTF-8 byte offset (a cut inside a character stays before it)."""
    return len(text.encode("utf-8")[: max(0, byte_offset)].decode("utf-8", errors="ignore"))


def facet_spans(text: str, facets: Any) -> list[tuple[int, int, str]]:
    """Link spans (character offsets) for the link, mention and tag facets of a post."""
    size = len(text.encode("utf-8"))
    spans = []
    for facet in map(as_dict, as_list(facets)):
        index = as_dict(facet.get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= size:
            continue
        for feature in map(as_dict, as_list(facet.get("features"))):
            key, template = _FEATURE_LINKS.get(feature.get("$type"), (None, ""))
            value = feature.get(key) if key else None
            if isinstance(value, str) and value:
                spans.append((char_offset(text, start), char_offset(text, end), template.format(value)))
                break
    return spans


def _blob_cid(blob: Any) -> str | None:
    blob = as_dict(blob)
    cid = as_dict(blob.get("ref")).get("$link") or blob.get("cid")
    return cid if isinstance(cid, str) and cid.isalnum() else None  # it goes into a URL path


def _media(did: str, embed: Any) -> list[Media]:
    embed = as_dict(embed)
    if isinstance(embed.get("media"), dict):  # recordWithMedia: a quote with pictures
        embed = embed["media"]
    media = []
    for image in map(as_dict, as_list(embed.get("images"))):
        cid = _blob_cid(image.get("image"))
        url = clean_url(f"{CDN}/feed_fullsize/plain/{did}/{cid}@jpeg")
        if cid and url:
            preview = clean_url(f"{CDN}/feed_thumbnail/plain/{did}/{cid}@jpeg")
            media.append(Media("image", url, preview, str(image.get("alt") or "")))
    cid = _blob_cid(embed.get("video"))
    base = f"https://video.bsky.app/watch/{did}/{cid}"
    if cid and (url := clean_url(f"{base}/playlist.m3u8")):
        media.append(Media("video", url, clean_url(f"{base}/thumbnail.jpg"), str(embed.get("alt") or "")))
    return media


def item_from_record(did: Any, rkey: Any, record: Any, author: Author | None = None, raw: Any = None) -> Item:
    """A post record (from Jetstream or a search) as an Item; raises InvalidItem when malformed.

    Without an `author` (Jetstream sends only the DID), the DID stands for the author.
    """
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise InvalidItem("a post needs a record with 'text'")
    if not isinstance(did, str) or not did or not isinstance(rkey, str) or not rkey:
        raise InvalidItem("a post needs a 'did' and an 'rkey'")
    text = record["text"]
    reply = as_dict(as_dict(record.get("reply")).get("parent")).get("uri")
    langs = as_list(record.get("langs"))
    return Item(
        source="bluesky",
        source_id=post_uri(did, rkey),
        author=author or Author(name=did, url=clean_url(f"https://bsky.app/profile/{did}")),
        text=text,
        url=clean_url(f"https://bsky.app/profile/{did}/post/{rkey}"),
        created_at=clock.normalize(record.get("createdAt")) or "",
        media=_media(did, record.get("embed")),
        reply_to=reply if isinstance(reply, str) else None,
        lang=langs[0] if langs and isinstance(langs[0], str) else None,
        sensitive=bool(as_list(as_dict(record.get("labels")).get("values"))),
        raw=raw,
        links=facet_spans(text, record.get("facets")),
    )


def item_from_commit(event: dict[str, Any]) -> Item:
    """The post a Jetstream create or update commit carries, as an Item; raises InvalidItem when malformed."""
    commit = as_dict(event.get("commit"))
    return item_from_record(event.get("did"), commit.get("rkey"), commit.get("record"), raw=event)


def item_from_jetstream_event(event: Any) -> Item | None:
    """A Jetstream post-create event as an Item; None for every other event (see `skip_reason`)."""
    if skip_reason(event) is not None:
        return None
    return item_from_commit(event)
