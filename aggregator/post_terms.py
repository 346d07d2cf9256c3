"""The hashtags and links a post's text carries, read one way for counting and for filtering."""

from __future__ import annotations

import re

HASHTAG = re.compile(r"(?<![\w&/])#(\w+)")
LINK = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]}"


def hashtags(text: str | None) -> set[str]:
    """The post's hashtags, lower-cased, without the '#', each once."""
    return {tag.lower() for tag in HASHTAG.findall(text or "")}


def links(text: str | None) -> set[str]:
    """The links in the post's text, each once, without trailing punctuation."""
    return {link.rstrip(TRAILING) for link in LINK.findall(text or "")}


def has_hashtag(text: str | None, tag: str | None) -> int:
    """1 when the text carries the hashtag `tag` (with or without '#', any case); for SQL."""
    return int(bool(tag) and tag.lstrip("#").lower() in hashtags(text))


def has_link(text: str | None, link: str | None) -> int:
    """1 when the text carries exactly the link `link`; for SQL."""
    return int(bool(link) and link in links(text))
