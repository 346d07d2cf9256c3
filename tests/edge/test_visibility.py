"""Which events an edge may be sent: decided alike wherever the mirror starts walking the log.

The mirror resumes from the stream's last seq (after an outage, or a Redis that came back
empty), so a story's status at any seq must follow from the log, not from the walk so far.
"""

from __future__ import annotations

from aggregator import eventlog
from stories.curators import create_curator
from stories.elements import add_element
from stories.model import create_story, get_header, update_meta
from stories.visibility import ViewerRooms


def _walk(db, start: int) -> dict[int, bool]:
    rooms = ViewerRooms(db)
    return {event["seq"]: rooms.visible(event) for event in eventlog.all_after(db, start, limit=1000)}


def test_a_story_is_mirrored_while_not_a_draft_whatever_the_walk_starts_from(db):
    owner = create_curator(db, "owner", None)
    story = create_story(db, "Live from the hall", None, owner, slug="hall", status="published")
    public = add_element(db, story, {"type": "text", "text": "shown"}, "owner")
    update_meta(db, get_header(db, "hall"), {"status": "draft"}, "owner")
    add_element(db, get_header(db, "hall"), {"type": "text", "text": "curators only"}, "owner")
    update_meta(db, get_header(db, "hall"), {"status": "published"}, "owner")
    events = {event["seq"]: event for event in eventlog.all_after(db, 0, limit=1000)}
    whole = _walk(db, 0)
    for start in events:  # a walk that starts anywhere decides the rest the same way
        assert _walk(db, start) == {seq: shown for seq, shown in whole.items() if seq > start}
    texts = {seq: (e["payload"].get("element") or {}).get("text") for seq, e in events.items()}
    ops = {seq: e["payload"]["op"] for seq, e in events.items()}
    shown = [(ops[seq], texts[seq]) for seq, visible in whole.items() if visible]
    hidden = [(ops[seq], texts[seq]) for seq, visible in whole.items() if not visible]
    assert ("add", "shown") in shown and public["text"] == "shown"
    assert ("meta", None) in shown  # the return to draft: viewers are withdrawn
    assert ("add", "curators only") in hidden  # written while a draft
    assert shown[-3:][0] == ("reset", None)  # published again: restated, with both elements
    assert ("add", "curators only") in shown[-2:]


def test_a_feed_is_mirrored_and_its_desk_is_not(db):
    rooms = ViewerRooms(db)
    feed = {"seq": 1, "room": eventlog.feed_room("f"), "type": "item", "payload": {}}
    desk = {"seq": 2, "room": eventlog.desk_room("f"), "type": "item", "payload": {}}
    assert rooms.visible(feed) and not rooms.visible(desk)
