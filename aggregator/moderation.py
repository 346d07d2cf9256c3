"""Moderation rules, pure: a feed's mode and rules decide the status of an item; nothing is written here.

Where a decision goes (the item's membership, its events) is `aggregator.membership`;
a curator's changes of mode and rules are `aggregator.curation`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

MODES = ("auto", "manual")
# Posts from the wall's form (people without a social account) wait for a curator whatever the mode.
ALWAYS_REVIEWED_SOURCES = ("web",)
# The statuses of an item in a feed (a story's statuses are stories.model.STORY_STATUSES).
MODERATION_STATUSES = ("approved", "pending", "hidden")
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
        fields["blocked_authors"] = tuple(author_key(a) for a in fields["blocked_authors"])
    if fields["languages"]:
        fields["languages"] = tuple(lang.lower() for lang in fields["languages"])
    return Rules(**fields)


def author_key(name: str) -> str:
    """How a blocked author is compared: without '@', case-insensitive."""
    return name.strip().lstrip("@").lower()


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
        if key and author_key(key) in rules.blocked_authors:
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
    reviewed = mode == "manual" or item.get("source") in ALWAYS_REVIEWED_SOURCES
    return ("pending" if reviewed else "approved"), None


@functools.lru_cache(maxsize=64)
def parse_stored_rules(text: str | None) -> Rules:
    """The rules as stored in `feeds.rules` (JSON text, maybe empty), parsed once per text.

    Every post reads its feed's rules, and parsing full blocklists (500 words and 500
    authors) cost ~275 µs a post; `Rules` is frozen, so one object serves every post until
    the stored text changes (a new text is a new key)."""
    return parse_rules(json.loads(text or "{}"))
