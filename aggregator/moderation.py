"""Moderation per feed: its mode, the rules applied at ingest, and who sees which item event.

Viewers follow `feed:<name>` and see only what they may: approved items, and a bare
`{id, status}` when an approved item leaves. Pending and hidden items (with the rule that
hid them) and settings changes go to the desk room `feed:<name>:desk`, which only curators
may join; the desk follows both rooms. Every change is one event in the one log, so
catch-up is exact for each room.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from aggregator import eventlog, item_watchers
from aggregator.db import Database

MODES = ("auto", "manual")
MAX_RULE_ENTRIES = 500


class ModerationError(ValueError):
    """A moderation setting that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class Rules:
    """What a feed hides on arrival; an empty Rules hides nothing."""

    blocked_words: tuple[str, ...] = ()
    blocked_authors: tuple[str, ...] = ()
    hide_replies: bool = False
    hide_reposts: bool = False
    hide_sensitive: bool = False
    languages: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form stored in `feeds.rules` and shown by the API."""
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()
        }


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModerationError(f"'{name}' must be a list of strings")
    cleaned = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(cleaned) > MAX_RULE_ENTRIES or any(len(v) > 200 for v in cleaned):
        raise ModerationError(f"'{name}' takes at most {MAX_RULE_ENTRIES} entries of 200 characters")
    return cleaned


def parse_rules(data: Any, base: Rules | None = None) -> Rules:
    """Validate a rules object (any subset of the fields) on top of `base`."""
    if not isinstance(data, dict):
        raise ModerationError("'rules' must be an object")
    fields = asdict(base or Rules())
    for key, value in data.items():
        if key not in fields:
            raise ModerationError(f"unknown rule '{key}'; rules are {', '.join(fields)}")
        if isinstance(fields[key], bool):
            if not isinstance(value, bool):
                raise ModerationError(f"'{key}' must be true or false")
            fields[key] = value
        else:
            fields[key] = _strings(value, key)
    if fields["blocked_authors"]:
        fields["blocked_authors"] = tuple(_author_key(a) for a in fields["blocked_authors"])
    if fields["languages"]:
        fields["languages"] = tuple(lang.lower() for lang in fields["languages"])
    return Rules(**fields)


def _author_key(name: str) -> str:
    return name.strip().lstrip("@").lower()


def rules_of(tx: Any, feed_id: int) -> tuple[str, Rules]:
    """A feed's moderation mode and rules, read inside `tx` (or from a Database)."""
    read = tx.query_one if isinstance(tx, Database) else lambda sql, p: tx.execute(sql, p).fetchone()
    row = read("SELECT moderation, rules FROM feeds WHERE id = ?", [feed_id])
    return row["moderation"], parse_rules(json.loads(row["rules"] or "{}"))


@functools.lru_cache(maxsize=64)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a whole blocklist (compiled once per list, not once per item)."""
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _blocked_word(rules: Rules, text: str) -> str | None:
    if not rules.blocked_words:
        return None
    found = _word_pattern(rules.blocked_words).search(text)
    if found is None:
        return None
    return next((w for w in rules.blocked_words if w.casefold() == found.group(0).casefold()), found.group(0))


def hiding_rule(rules: Rules, item: dict[str, Any]) -> str | None:
    """The rule that hides `item` (its public form), said for people, or None."""
    author = item["author"]
    for key in (author.get("handle"), author.get("name")):
        if key and _author_key(key) in rules.blocked_authors:
            return f"blocked author: {key}"
    if word := _blocked_word(rules, f"{item['text']} {author.get('name') or ''}"):
        return f"blocked word: {word}"
    if rules.hide_replies and item.get("reply_to"):
        return "replies are hidden"
    if rules.hide_reposts and item.get("repost_of"):
        return "reposts are hidden"
    if rules.hide_sensitive and item.get("sensitive"):
        return "sensitive posts are hidden"
    lang = (item.get("lang") or "").lower().split("-")[0]
    if rules.languages and lang and lang not in {code.split("-")[0] for code in rules.languages}:
        return f"language not allowed: {lang}"
    return None


def verdict(mode: str, rules: Rules, item: dict[str, Any]) -> tuple[str, str | None]:
    """The status a new item gets in a feed, and the rule that hid it (if one did)."""
    reason = hiding_rule(rules, item)
    if reason:
        return "hidden", reason
    return ("pending" if mode == "manual" else "approved"), None


def viewer_item(item: dict[str, Any]) -> dict[str, Any]:
    """What a viewer may see of an item: without the moderation reason."""
    return {key: value for key, value in item.items() if key != "reason"}


def record_item(
    db: Database,
    tx: sqlite_utils.Database,
    feed_name: str,
    item: dict[str, Any],
    op: str,
    previous: str | None,
    actor: str | None = None,
) -> int:
    """Append an item's one event, to the room that may see it; return the item's new seq.

    `item` carries its new `status` (and `reason`); `previous` is its status before (None
    when new). Approved items go to the viewers' room; an approved item that leaves goes
    there bare (`{id, status}`: viewers drop it, the desk has its content already); every
    other item, with the rule that hid it, goes to the curators' desk room only.
    """
    item["seq"] = eventlog.next_seq(tx)
    if item["status"] == "approved":
        room, shown = eventlog.feed_room(feed_name), viewer_item(item)
    elif previous == "approved":
        room, shown = eventlog.feed_room(feed_name), {"id": item["id"], "status": item["status"]}
    else:
        room, shown = desk_room(feed_name), item
    if previous == "approved" and (item["status"] != "approved" or item.get("deleted")):
        _redact_viewers_copies(tx, feed_name, item)
    eventlog.append(db, tx, room, "item", op, {"feed": feed_name, "item": shown}, actor)
    if op not in ("update", "delete") and (previous == "approved") != (item["status"] == "approved"):
        item_watchers.changed(
            db, tx, item["id"], feed_name, item["status"]
        )  # stories of this feed pinning it
    return item["seq"]


def _redact_viewers_copies(tx: sqlite_utils.Database, feed_name: str, item: dict[str, Any]) -> None:
    """An item leaves the viewers: the earlier events that showed it to them show it no more.

    The event appended next (the bare `{id, status}`, or the emptied deleted item) still
    tells the viewers who follow now to drop it; approving it again appends a new event
    that carries it, so a later catch-up shows it again.
    """
    added = tx.execute(
        "SELECT m.added_seq FROM feed_items m JOIN feeds f ON f.id = m.feed_id"
        " WHERE f.name = ? AND m.item_id = ?",
        [feed_name, item["id"]],
    ).fetchone()
    tombstone = {"id": item["id"], "status": item["status"], "redacted": True}
    if item.get("deleted"):
        tombstone["deleted"] = True
    eventlog.redact_item(tx, eventlog.feed_room(feed_name), item["id"], added[0] if added else 0, tombstone)


def desk_room(feed_name: str) -> str:
    """The curators' room of a feed: pending and hidden items, and settings changes."""
    return f"{eventlog.feed_room(feed_name)}:desk"


def counts(db: Database, feed_id: int) -> dict[str, int]:
    """How many items of a feed are approved, pending and hidden."""
    rows = db.query(
        "SELECT status, count(*) AS n FROM feed_items WHERE feed_id = ? GROUP BY status", [feed_id]
    )
    found = {row["status"]: row["n"] for row in rows}
    return {status: found.get(status, 0) for status in ("approved", "pending", "hidden")}


def settings(db: Database, feed: dict[str, Any]) -> dict[str, Any]:
    """A feed's mode, rules and counts, for its curators."""
    mode, rules = rules_of(db, feed["id"])
    return {
        "feed": feed["name"],
        "moderation": mode,
        "rules": rules.as_dict(),
        "counts": counts(db, feed["id"]),
    }


def update_settings(db: Database, feed: dict[str, Any], data: Any, actor: str | None) -> dict[str, Any]:
    """Change a feed's mode and/or rules; the desk gets a `feed` event (the audit trail)."""
    if not isinstance(data, dict) or not ({"moderation", "rules"} & data.keys()):
        raise ModerationError("send 'moderation' (auto or manual) and/or 'rules'")
    if "moderation" in data and data["moderation"] not in MODES:
        raise ModerationError(f"'moderation' must be one of {', '.join(MODES)}")
    with db.write() as tx:
        mode, rules = rules_of(tx, feed["id"])
        mode = data.get("moderation", mode)
        if "rules" in data:
            rules = parse_rules(data["rules"], rules)
        _save(db, tx, feed, mode, rules, actor)
    return settings(db, feed)


def _save(
    db: Database, tx: sqlite_utils.Database, feed: dict[str, Any], mode: str, rules: Rules, actor: str | None
) -> None:
    tx.execute(
        "UPDATE feeds SET moderation = ?, rules = ? WHERE id = ?",
        [mode, json.dumps(rules.as_dict(), ensure_ascii=False), feed["id"]],
    )
    payload = {"feed": feed["name"], "moderation": mode, "rules": rules.as_dict()}
    eventlog.append(db, tx, desk_room(feed["name"]), "feed", "settings", payload, actor)


def pinned_item_ids(tx: sqlite_utils.Database) -> set[str]:
    """Items pinned in a story: rules never take them away without a curator deciding."""
    rows = tx.execute("SELECT DISTINCT item_id FROM elements WHERE item_id IS NOT NULL").fetchall()
    return {row[0] for row in rows}


def block_author(db: Database, feed: dict[str, Any], author: Any, actor: str | None) -> dict[str, Any]:
    """Block an author: a rule for what comes, and their visible items hidden now (unless pinned)."""
    if not isinstance(author, str) or not _author_key(author):
        raise ModerationError("'author' must be a handle or a name")
    from aggregator.items import item_columns, public_item  # items imports this module

    hidden, kept = [], []
    with db.write() as tx:
        mode, rules = rules_of(tx, feed["id"])
        rules = parse_rules({"blocked_authors": [*rules.blocked_authors, author]}, rules)
        _save(db, tx, feed, mode, rules, actor)
        pinned = pinned_item_ids(tx)
        rows = tx.execute(
            f"SELECT {item_columns()}, f.seq, f.status FROM feed_items f JOIN items i ON i.id = f.item_id"
            " WHERE f.feed_id = ? AND f.status != 'hidden'",
            [feed["id"]],
        ).fetchall()
        for row in rows:
            item = public_item(row)
            reason = hiding_rule(rules, item)
            if not reason or not reason.startswith("blocked author"):
                continue
            if item["id"] in pinned:
                kept.append(item["id"])
                continue
            previous, item["status"], item["reason"] = item["status"], "hidden", reason
            seq = record_item(db, tx, feed["name"], item, "status", previous, actor)
            tx.execute(
                "UPDATE feed_items SET seq = ?, status = 'hidden', reason = ?"
                " WHERE feed_id = ? AND item_id = ?",
                [seq, reason, feed["id"], item["id"]],
            )
            hidden.append(item["id"])
    return {**settings(db, feed), "hidden": hidden, "kept_pinned": kept}
