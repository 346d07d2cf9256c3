"""A curator's moderation of a feed: its mode and rules, and blocking an author now and later."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from aggregator import membership
from aggregator.db import Database
from aggregator.feed_rules import rules_of
from aggregator.feeds import save_rules
from aggregator.moderation import MODES, ModerationError, author_key, hiding_rule, parse_rules


def settings(db: Database, feed: dict[str, Any]) -> dict[str, Any]:
    """A feed's mode, rules and counts, for its curators."""
    mode, rules = rules_of(db, feed["id"])
    opened = db.query_one("SELECT web_posts FROM feeds WHERE id = ?", [feed["id"]])
    return {
        "feed": feed["name"],
        "moderation": mode,
        "rules": rules.as_dict(),
        "web_posts": bool(opened["web_posts"]),
        "counts": membership.counts(db, feed["id"]),
    }


def update_settings(db: Database, feed: dict[str, Any], data: Any, actor: str | None) -> dict[str, Any]:
    """Change a feed's mode, rules and/or whether its wall's form takes posts (`web_posts`);
    the desk gets a `feed` event (the audit trail)."""
    if not isinstance(data, dict) or not ({"moderation", "rules", "web_posts"} & data.keys()):
        raise ModerationError(
            "send 'moderation' (auto or manual), 'rules' and/or 'web_posts' (true or false)"
        )
    if "moderation" in data and data["moderation"] not in MODES:
        raise ModerationError(f"'moderation' must be one of {', '.join(MODES)}")
    if "web_posts" in data and not isinstance(data["web_posts"], bool):
        raise ModerationError("'web_posts' must be true or false")
    with db.write() as tx:
        mode, rules = rules_of(tx, feed["id"])
        mode = data.get("moderation", mode)
        if "rules" in data:
            rules = parse_rules(data["rules"], rules)
        save_rules(db, tx, feed, mode, rules, actor, data.get("web_posts"))
    return settings(db, feed)


def pinned_item_ids(tx: sqlite_utils.Database) -> set[str]:
    """Items pinned in a story: rules never take them away without a curator deciding."""
    rows = tx.execute("SELECT DISTINCT item_id FROM elements WHERE item_id IS NOT NULL").fetchall()
    return {row[0] for row in rows}


def block_author(db: Database, feed: dict[str, Any], author: Any, actor: str | None) -> dict[str, Any]:
    """Block an author: a rule for what comes, and their visible items hidden now (unless pinned)."""
    if not isinstance(author, str) or not author_key(author):
        raise ModerationError("'author' must be a handle or a name")
    hidden, kept = [], []
    with db.write() as tx:
        mode, rules = rules_of(tx, feed["id"])
        rules = parse_rules({"blocked_authors": [*rules.blocked_authors, author]}, rules)
        save_rules(db, tx, feed, mode, rules, actor)
        pinned = pinned_item_ids(tx)
        for item in membership.member_items(tx, feed["id"], " AND f.status != 'hidden'"):
            reason = hiding_rule(rules, item)
            if not reason or not reason.startswith("blocked author"):
                continue
            if item["id"] in pinned:
                kept.append(item["id"])
                continue
            membership.set_status(db, tx, feed, item, "hidden", reason, actor)
            hidden.append(item["id"])
    return {**settings(db, feed), "hidden": hidden, "kept_pinned": kept}
