"""The demo: the #kredcrew summit of 29 May 2012, replayed live, and the seed's story built from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aggregator.db import Database
from aggregator.feeds import create_feed, get_feed
from aggregator.items import Item, item_from_dict, store_items
from stories.elements import add_element, list_elements
from stories.model import create_story, get_header

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
POSTS = DEMO_DIR / "kredcrew-2012-05-29.jsonl"
STORY = DEMO_DIR / "kredcrew-summit.json"


def _posts() -> dict[tuple[str, str], Item]:
    items = [
        item_from_dict(json.loads(line)) for line in POSTS.read_text("utf-8").splitlines() if line.strip()
    ]
    return {(item.source, item.source_id): item for item in items}


def install_demo(db: Database) -> None:
    """Create the feed `kredcrew` (a replay of the summit) and the story `kredcrew-summit`, once."""
    if get_feed(db, "kredcrew") is None:
        create_feed(db, "kredcrew", "#kredcrew", [f"replay:{POSTS.relative_to(DEMO_DIR.parent)}"])
    if get_header(db, "kredcrew-summit") is not None:
        return
    spec: dict[str, Any] = json.loads(STORY.read_text("utf-8"))
    posts = _posts()
    pinned = [posts[(e["source"], e["source_id"])] for e in spec["elements"] if e["type"] == "item"]
    # The story quotes these posts from the start; the replay brings them into the feed later.
    store_items(db, None, pinned)
    feed = get_feed(db, spec["feed"])
    story = create_story(
        db,
        spec["title"],
        feed["id"],
        None,
        slug=spec["slug"],
        description=spec["description"],
        status=spec["status"],
        byline=spec["byline"],
        open_to_curators=True,
        created_at=spec["created_at"],
    )
    for element in spec["elements"]:
        if element["type"] == "item":
            element = {
                "type": "item",
                "item_id": posts[(element["source"], element["source_id"])].id,
            }
        add_element(db, story, element, actor=spec["byline"])
    if len(list_elements(db, story)) != len(spec["elements"]):
        raise RuntimeError(f"the demo story '{story['slug']}' lost elements while it was installed")
