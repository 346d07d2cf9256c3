"""Bytes per live event: a per-event packet against an entry of a frame, full and viewers' form.

    .venv/bin/python scripts/frame_sizes.py

Builds a throwaway database with the demo's posts and story and 50 posts of about 1 KB,
then encodes their event-log payloads as the server sends them (docs/realtime.md, Frames).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator import eventlog  # noqa: E402
from aggregator.db import Database  # noqa: E402
from aggregator.feeds import create_feed  # noqa: E402
from aggregator.items import item_from_dict, store_items  # noqa: E402
from web import frames  # noqa: E402

KB_TEXT = ("Live from the keynote hall: the speaker just announced #kb and the crowd is loud. " * 13)[:1000]


def _bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def report(db: Database, label: str, room: str) -> None:
    events = eventlog.events_after(db, room, 0)
    if not events:
        return
    per_event = sum(2 + _bytes([e["type"], e["payload"]]) for e in events) / len(events)  # 42[...]
    full = sum(1 + _bytes(entry) for entry in frames.frame_events(events, frames.FULL)) / len(events)
    view = sum(1 + _bytes(entry) for entry in frames.frame_events(events, frames.VIEW)) / len(events)
    print(
        f"{label}: {len(events)} events; per-event packet {per_event:.0f} B;"
        f" frame entry {full:.0f} B full, {view:.0f} B viewers' form ({view / per_event:.0%})"
    )


def main() -> None:
    from stories.demo import install_demo

    with tempfile.TemporaryDirectory() as folder:
        db = Database(str(Path(folder) / "sizes.sqlite"))
        install_demo(db)
        demo = create_feed(db, "demoitems", "#kredcrew", [])
        lines = (ROOT / "demo" / "kredcrew-2012-05-29.jsonl").read_text("utf-8").splitlines()
        store_items(db, demo, [item_from_dict(json.loads(line)) for line in lines if line.strip()])
        kb = create_feed(db, "kb", "#kb", [])
        author = {
            "name": "Ada Lovelace",
            "handle": "ada@social.example",
            "url": "https://social.example/@ada",
        }
        posts = [
            {
                "source": "mastodon",
                "source_id": str(n),
                "url": f"https://social.example/@ada/{n}",
                "text": KB_TEXT,
            }
            for n in range(50)
        ]
        store_items(db, kb, [item_from_dict({**post, "author": author, "lang": "en"}) for post in posts])
        report(db, "demo feed posts", eventlog.feed_room("demoitems"))
        report(db, "~1 KB posts", eventlog.feed_room("kb"))
        report(db, "demo story elements", eventlog.story_room("kredcrew-summit"))
        db.close()


if __name__ == "__main__":
    main()
