"""What a feed's QUERY means to the networks that only understand hashtags."""

from __future__ import annotations

import re

_TAG = re.compile(r"#(\w+)", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def hashtags(query: str) -> list[str]:
    """The hashtags of a query, lowercased, without '#': `#KredCrew #kred` -> [kredcrew, kred].

    A query without any '#' is read as a list of tags (`kredcrew` -> [kredcrew]).
    """
    found = _TAG.findall(query) or _WORD.findall(query)
    return list(dict.fromkeys(tag.lower() for tag in found))


def mentions_any(text: str, tags: list[str]) -> bool:
    """Whether `text` carries one of `tags` as a hashtag (case-insensitive)."""
    return any(tag.lower() in tags for tag in _TAG.findall(text or ""))


def contains_any(text: str, tags: list[str]) -> bool:
    """Whether `text` contains one of `tags` as a hashtag or as a whole word (case-insensitive)."""
    words = {word.lower() for word in _WORD.findall(text or "")}
    return mentions_any(text, tags) or any(tag in words for tag in tags)
