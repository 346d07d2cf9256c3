"""A Tagstory archive of any size, with every kind of element: for round trips and the bench."""

from __future__ import annotations

from typing import Any

from stories.archive import FORMAT, VERSION

SOURCES = ("x", "mastodon", "bluesky", "rss")


def synthetic_item(number: int) -> dict[str, Any]:
    """A post with links, a mention, a hashtag, non-ASCII text and, often, media and an avatar."""
    source = SOURCES[number % len(SOURCES)]
    item: dict[str, Any] = {
        "source": source,
        "source_id": f"synthetic-{number}",
        "url": f"https://example.org/{source}/posts/{number}",
        "author": {
            "name": f"Poster {number} (fictional)",
            "handle": f"poster{number % 97}",
            "url": f"https://example.org/@poster{number % 97}",
            "avatar": f"https://example.org/avatars/{number % 13}.png" if number % 3 == 0 else None,
        },
        "text": f"Post {number} at #summit: https://example.org/talks/{number} — café ✓ @friend{number % 7}",
        "media": [],
        "created_at": f"2026-07-04T{10 + number // 3600 % 10}:{number // 60 % 60:02d}:{number % 60:02d}.000Z",
        "lang": "en",
        "sensitive": number % 50 == 0,
        "synthetic": True,
    }
    if number % 4 == 0:
        item["media"] = [
            {"type": "image", "url": f"https://example.org/media/{number}.jpg", "alt": f"Photo {number}"}
        ]
    item["raw"] = {**item, "id_str": str(number), "nested": {"kept": [number, None, True]}}
    return item


def synthetic_archive(elements: int, slug: str = "synthetic-story") -> dict[str, Any]:
    """An archive of `elements` elements: headings, paragraphs, links and pinned posts (some annotated)."""
    items, out = [], []
    for number in range(elements):
        if number % 10 == 0:
            out.append({"type": "text", "text": f"Part {number // 10 + 1}", "style": "heading"})
        elif number % 10 == 5:
            out.append(
                {"type": "text", "text": f"Between posts <b>{number}</b> & more.", "style": "paragraph"}
            )
        elif number % 20 == 7:
            out.append(
                {
                    "type": "link",
                    "url": f"https://example.org/read/{number}",
                    "title": f"Read {number}",
                    "text": "",
                }
            )
        else:
            item = synthetic_item(number)
            item_id = f"ref-{number}"
            items.append({**item, "id": item_id})
            annotation = f"Note on {number}: *well said*" if number % 3 == 1 else ""
            out.append({"type": "item", "item": item_id, "annotation": annotation})
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": "2026-07-05T00:00:00.000Z",
        "story": {
            "slug": slug,
            "title": f"A story of {elements} elements",
            "description": "Made up for tests and the bench.\nSecond line.",
            "status": "published",
            "byline": "Test Curator",
            "created_at": "2026-07-04T09:00:00-04:00",
            "updated_at": "2026-07-04T20:00:00.000Z",
        },
        "elements": out,
        "items": items,
    }
