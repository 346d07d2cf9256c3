"""Bluesky Jetstream events into Items: a pure function, no network.

Only a `commit` that `create`s an `app.bsky.feed.post` is a new post; facets carry
links, mentions and tags with UTF-8 *byte* offsets, turned here into character offsets.
"""

from __future__ import annotations

from typing import Any

from aggregator import clock
from aggregator.items import Author, InvalidItem, Item, Media

POST = "app.bsky.feed.post"
CDN = "https://cdn.bsky.app/img"


def skip_reason(event: Any) -> str | None:
    """Why an event is not a new post (e.g. 'commit create app.bsky.feed.like'), or None if it is."""
    if not isinstance(event, dict):
        return "not a JSON object"
    if event.get("kind") != "commit":
        return f"{event.get('kind', 'unknown')} event"
    commit = event.get("commit") or {}
    if commit.get("collection") != POST or commit.get("operation") != "create":
        return f"commit {commit.get('operation', '?')} {commit.get('collection', '?')}"
    return None


def _char_offset(encoded: bytes, byte_offset: int) -> int:
    return len(encoded[:byte_offset].decode("utf-8", errors="ignore"))


def _spans(text: str, facets: Any) -> list[tuple[int, int, str]]:
    encoded = text.encode("utf-8")
    spans = []
    for facet in facets if isinstance(facets, list) else []:
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(encoded):
            continue
        for feature in facet.get("features") or []:
            kind = feature.get("$type", "")
            href = None
            if kind.endswith("#link"):
                href = feature.get("uri")
            elif kind.endswith("#mention") and feature.get("did"):
                href = f"https://bsky.app/profile/{feature['did']}"
            elif kind.endswith("#tag") and feature.get("tag"):
                href = f"https://bsky.app/hashtag/{feature['tag']}"
            if href:
                spans.append((_char_offset(encoded, start), _char_offset(encoded, end), href))
                break
    return spans


def _blob_cid(blob: Any) -> str | None:
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    return ref.get("$link") if isinstance(ref, dict) else blob.get("cid")


def _media(did: str, embed: Any) -> list[Media]:
    if not isinstance(embed, dict):
        return []
    if isinstance(embed.get("media"), dict):  # recordWithMedia: a quote with pictures
        embed = embed["media"]
    media = []
    for image in embed.get("images") or []:
        cid = _blob_cid(image.get("image"))
        if cid:
            media.append(
                Media(
                    "image",
                    f"{CDN}/feed_fullsize/plain/{did}/{cid}@jpeg",
                    f"{CDN}/feed_thumbnail/plain/{did}/{cid}@jpeg",
                    image.get("alt") or "",
                )
            )
    cid = _blob_cid(embed.get("video"))
    if cid:
        base = f"https://video.bsky.app/watch/{did}/{cid}"
        media.append(Media("video", f"{base}/playlist.m3u8", f"{base}/thumbnail.jpg", embed.get("alt") or ""))
    return media


def item_from_jetstream_event(event: dict[str, Any]) -> Item | None:
    """A Jetstream post-create event as an Item; None for every other event (see `skip_reason`)."""
    if skip_reason(event) is not None:
        return None
    commit = event["commit"]
    record, did, rkey = commit.get("record"), event.get("did"), commit.get("rkey")
    if not isinstance(record, dict) or not did or not rkey or not isinstance(record.get("text"), str):
        raise InvalidItem("a post event needs 'did', 'commit.rkey' and 'commit.record.text'")
    text = record["text"]
    reply = (record.get("reply") or {}).get("parent") or {}
    labels = (record.get("labels") or {}).get("values") or []
    langs = record.get("langs") or []
    return Item(
        source="bluesky",
        source_id=f"at://{did}/{POST}/{rkey}",
        author=Author(name=did, handle=None, url=f"https://bsky.app/profile/{did}"),
        text=text,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        created_at=clock.normalize(record.get("createdAt")) or "",
        media=_media(did, record.get("embed")),
        reply_to=reply.get("uri"),
        lang=langs[0] if langs else None,
        sensitive=bool(labels),
        raw=event,
        links=_spans(text, record.get("facets")),
    )
