"""What one post counts in, for a feed's insight: its minute and its (figure, key) pairs (pure).

The one definition of every figure's keys, used where the per-minute buckets are kept
(aggregator/membership.py, at ingest and on every change), where a migration fills them for
existing feeds, and where insight counts posts directly (a story's pins, the partial minutes
at a window's edges). Each key is what the items API's filter of that figure matches
(aggregator/feeds.py StreamFilter), so a figure's link lists exactly the posts it counts.
A post is read as its stored columns (POST_COLUMNS); a deleted post counts in nothing.
Changing what a post counts in needs a new migration that fills the buckets again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from aggregator import post_terms

MINUTE = 16  # len("2012-05-29T18:00"): a bucket's minute is its posts' created_at cut there
ALL_TIME = "*"  # the bucket "minute" of a feed's totals over all time (sorts before any year)
POST_COLUMNS = (
    "source",
    "author_handle",
    "author_name",
    "text",
    "media",
    "lang",
    "reply_to",
    "repost_of",
    "created_at",
    "deleted",
)
Buckets = Counter[tuple[str, str, str]]  # (minute, figure, key) -> how many posts


def post_columns(alias: str = "i") -> str:
    """The SELECT list of the item columns a post's keys are read from."""
    return ", ".join(f"{alias}.{column}" for column in POST_COLUMNS)


def minute_of(created_at: str) -> str:
    """The minute bucket of a post's time."""
    return created_at[:MINUTE]


def lang_key(lang: str | None) -> str:
    """A language as the stream's `lang` filter matches it: the primary subtag, ASCII lower-cased
    as SQLite's lower() does; '' for none."""
    primary = (lang or "").split("-", 1)[0]
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in primary)


def author_key(post: Mapping[str, Any]) -> str:
    """The contributor a post counts for: its handle, or its name when it has none (SQL's COALESCE)."""
    return post["author_handle"] if post["author_handle"] is not None else post["author_name"]


def _media_types(media: str | None) -> list[str]:
    try:
        attachments = json.loads(media or "[]")
    except ValueError:
        return []
    types = (
        {m.get("type") for m in attachments if isinstance(m, dict)} if isinstance(attachments, list) else ()
    )
    return sorted(t for t in types if isinstance(t, str))


def content_keys(post: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (figure, key) pairs a post's content counts in."""
    keys = [("network", post["source"]), ("author", author_key(post)), ("lang", lang_key(post["lang"]))]
    keys += [("hashtag", tag) for tag in sorted(post_terms.hashtags(post["text"]))]
    keys += [("link", link) for link in sorted(post_terms.links(post["text"]))]
    keys += [("media", kind) for kind in _media_types(post["media"])]
    if post["reply_to"] is not None:
        keys.append(("reply", ""))
    if post["repost_of"] is not None:
        keys.append(("repost", ""))
    return keys


def moderation_keys(status: str, reason: str | None) -> list[tuple[str, str]]:
    """The (figure, key) pairs a post's status in a feed counts in."""
    return [("status", status), *([("rule", reason)] if status == "hidden" and reason is not None else [])]


def counted(post: Mapping[str, Any], status: str, reason: str | None, content: bool = True) -> Buckets:
    """The minute buckets one post counts in, in a feed where it has `status` (only its
    moderation ones without `content`); none when it is deleted."""
    if post["deleted"]:
        return Counter()
    keys = moderation_keys(status, reason) + (content_keys(post) if content else [])
    minute = minute_of(post["created_at"])
    return Counter((minute, figure, key) for figure, key in keys)


def with_totals(buckets: Buckets) -> Buckets:
    """The buckets and the feed's all-time totals they add to (negative counts kept: a change)."""
    both = Counter(buckets)
    for (_, figure, key), n in buckets.items():
        both[(ALL_TIME, figure, key)] += n
    return both
