"""Storify's JSON export (its v1 API shape) as a Tagstory archive, so an old story lives again.

Quotes, images and videos become pinned items (the original network as `source` when
it is recognizable, else "storify"); text becomes text blocks; links become link elements.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from aggregator import clock, sanitize
from aggregator.jsontext import as_dict
from stories.archive import FORMAT, VERSION, ArchiveError

NETWORKS = {
    "twitter": "x",
    "x": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "youtube": "youtube",
    "flickr": "flickr",
    "tumblr": "tumblr",
    "vimeo": "vimeo",
    "google+": "googleplus",
}
# Where each kind keeps its content: the object under `data` (None: `data` itself), and its string.
_CONTENT = {
    "text": (None, "text"),
    "quote": ("quote", "text"),
    "image": ("image", "src"),
    "video": ("video", "src"),
}
_TWEET_ID = re.compile(r"(?:twitter|x)\.com/[^/]+/status(?:es)?/(\d+)")


def _source(element: dict[str, Any]) -> tuple[str, str]:
    """(source, source_id): the network's own id when recognizable, so imports dedupe."""
    network = str(as_dict(element.get("source")).get("name") or "").lower()
    permalink = str(element.get("permalink") or "")
    tweet = _TWEET_ID.search(permalink)
    if NETWORKS.get(network) == "x" and tweet:
        return "x", tweet.group(1)
    if network in NETWORKS and permalink:
        return NETWORKS[network], permalink
    if element.get("id"):
        return "storify", str(element["id"])
    basis = permalink or json.dumps(element, sort_keys=True, default=str)
    return "storify", hashlib.sha1(basis.encode()).hexdigest()


def _content(element: dict[str, Any], number: int) -> dict[str, Any]:
    """The object that holds an element's content; an element without one cannot be read, and is named."""
    kind = element.get("type")
    key, name = _CONTENT[kind]
    data = element.get("data")
    holder = data.get(key) if key and isinstance(data, dict) else data
    if not isinstance(holder, dict) or not isinstance(holder.get(name), str):
        path = ".".join(part for part in ("data", key, name) if part)
        raise ArchiveError(f"Storify element {number} ({kind}) cannot be read: '{path}' must be a string")
    return holder


def _item(element: dict[str, Any], number: int) -> dict[str, Any]:
    content = _content(element, number)
    attribution = as_dict(element.get("attribution"))
    source_info = as_dict(element.get("source"))
    kind = element.get("type")
    media: list[dict[str, Any]] = []
    # Storify's strings may hold HTML: each post's plain text is what a browser would show of it.
    if kind == "quote":
        text = sanitize.html_to_text(content["text"])
    elif kind == "image":
        text = sanitize.html_to_text(str(content.get("caption") or ""))
        media.append({"type": "image", "url": content["src"], "alt": text})
    else:
        parts = (content.get("title"), content.get("description"))
        text = " — ".join(sanitize.html_to_text(str(v)) for v in parts if v)
        media.append(
            {"type": "video", "url": content["src"], "preview": content.get("thumbnail"), "alt": text}
        )
    source, source_id = _source(element)
    username = attribution.get("username") or source_info.get("username")
    return {
        "source": source,
        "source_id": source_id,
        "url": element.get("permalink"),
        "author": {
            "name": attribution.get("name") or username or "unknown",
            "handle": username,
            "url": attribution.get("href"),
            "avatar": attribution.get("thumbnail"),
        },
        "text": text or str(element.get("permalink") or f"({kind} {number})"),
        "media": [m for m in media if sanitize.clean_url(m["url"])],
        "created_at": clock.normalize(element.get("posted_at")) or None,
        "raw": element,
    }


def _element(element: Any, number: int, items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(element, dict):
        raise ArchiveError(f"Storify element {number}: must be an object")
    kind = element.get("type")
    if kind not in (*_CONTENT, "link"):
        raise ArchiveError(
            f"Storify element {number}: unknown type {kind!r} (quote, text, link, image or video)"
        )
    data = as_dict(element.get("data"))
    if kind == "text":
        # Storify's text is HTML: kept as sanitized HTML, so its formatting survives export and import.
        text = sanitize.clean_markup(_content(element, number)["text"])
        return {"type": "text", "text": text, "style": "paragraph"}
    if kind == "link":
        link = as_dict(data.get("link"))
        url = link.get("url") or element.get("permalink")
        if not sanitize.clean_url(url):
            raise ArchiveError(f"Storify element {number}: a link needs an http(s) url")
        return {
            "type": "link",
            "url": url,
            "title": link.get("title") or url,
            "text": link.get("description") or "",
        }
    item = _item(element, number)
    key = f"{item['source']}\0{item['source_id']}"
    items.setdefault(key, item)
    item_id = hashlib.sha1(key.encode()).hexdigest()[:16]
    items[key]["id"] = item_id
    return {"type": "item", "item": item_id, "annotation": ""}


def archive_from_storify(data: Any) -> dict[str, Any]:
    """A Tagstory archive from a Storify export (`{"content": {...}}`, or the content alone)."""
    content = data.get("content", data) if isinstance(data, dict) else None
    if not isinstance(content, dict) or not isinstance(content.get("elements"), list):
        raise ArchiveError('not a Storify export: expected {"content": {"title", "elements": [...]}}')
    author = as_dict(content.get("author"))
    dates = as_dict(content.get("date"))
    items: dict[str, dict[str, Any]] = {}
    elements = [
        element
        for number, raw in enumerate(content["elements"], start=1)
        if (element := _element(raw, number, items))["type"] != "text" or element["text"].strip()
    ]
    slug = re.sub(r"[^a-z0-9-]+", "-", str(content.get("slug") or "").lower()).strip("-")[:80] or None
    return {
        "format": FORMAT,
        "version": VERSION,
        "generator": "Storify",
        "exported_at": clock.now(),
        "story": {
            "slug": slug,
            "title": str(content.get("title") or "").strip() or "Untitled Storify story",
            "description": str(content.get("description") or ""),
            "cover": None,
            "status": "published" if dates.get("published") else "draft",
            "byline": str(author.get("name") or author.get("username") or ""),
            "created_at": dates.get("created"),
            "updated_at": dates.get("modified"),
            "feed": None,
            "curators": [],
        },
        "elements": elements,
        "items": list(items.values()),
    }
