"""Forgotten authors: who asked to be taken down, kept as digests so their future posts are refused.

An author is named per network: `@alice@mastodon.social` or `https://mastodon.social/@alice`
(Mastodon), `alice.bsky.social`, a `did:plc:…` or `https://bsky.app/profile/…` (Bluesky),
`@alice` or `https://x.com/alice` (X). Each stored item yields the same keys from its
source and author, so one comparison serves both the takedown and every later arrival. The
list keeps SHA-256 digests of the keys: it refuses a name without spelling it out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from aggregator import clock

_X_HOSTS = {"x.com", "twitter.com", "www.x.com", "www.twitter.com", "mobile.twitter.com"}
_BLUESKY_HOSTS = {"bsky.app", "www.bsky.app"}


class AuthorError(ValueError):
    """An AUTHOR that names nobody Tagstory could recognize; the message says what to write."""


@dataclass(frozen=True)
class Person:
    """A person to forget on one network, with every key their posts are stored under."""

    network: str
    keys: frozenset[str]

    @property
    def shown(self) -> str:
        """The first key, as people write it (for the confirmation prompt, never the log)."""
        return sorted(self.keys)[0]


def parse_author(text: Any) -> Person:
    """The Person an AUTHOR argument names: a handle or a profile URL, per network."""
    if not isinstance(text, str) or not text.strip():
        raise AuthorError("name an author: @user@server, user.bsky.social, did:plc:…, @user or a profile URL")
    value = text.strip()
    if value.startswith(("http://", "https://")):
        return _from_url(value)
    if value.startswith("did:"):
        return Person("bluesky", frozenset({value.lower()}))
    bare = value.removeprefix("@")
    if re.fullmatch(r"[\w.-]+@[\w.-]+\.\w+", bare):
        return Person("mastodon", frozenset({bare.lower()}))
    if value.startswith("@") and re.fullmatch(r"\w{1,50}", bare):
        return Person("x", frozenset({bare.lower()}))
    if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", bare.lower()):
        return Person("bluesky", frozenset({bare.lower()}))
    raise AuthorError(
        f"'{value}' names no author: write @user@server (Mastodon), user.bsky.social or did:plc:… (Bluesky),"
        " @user (X), or a profile URL"
    )


def _from_url(url: str) -> Person:
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), [p for p in parts.path.split("/") if p]
    if host in _X_HOSTS and path:
        return Person("x", frozenset({path[0].removeprefix("@").lower()}))
    if host in _BLUESKY_HOSTS and len(path) >= 2 and path[0] == "profile":
        return Person("bluesky", frozenset({path[1].lower()}))
    if host and path and path[0].startswith("@") and len(path[0]) > 1:
        return Person("mastodon", frozenset({f"{path[0][1:].lower()}@{host}"}))
    raise AuthorError(f"'{url}' is not a profile URL Tagstory knows (Mastodon, Bluesky or X)")


def item_keys(source: str, handle: str | None, url: str | None, name: str | None) -> set[str]:
    """The keys a stored post's author is known by on its network (lowercase)."""
    keys = {handle.lower().removeprefix("@")} if handle else set()
    if url:
        try:
            named = _from_url(url)
        except AuthorError:
            named = None
        if named is not None and named.network == source:
            keys |= named.keys
    if source == "bluesky" and name and name.startswith("did:"):
        keys.add(name.lower())  # a Jetstream post names its author by DID only
    return keys


def author_of(item: dict[str, Any]) -> Person:
    """The Person who wrote a stored item (its public form); AuthorError when nothing names them."""
    author = item["author"]
    keys = item_keys(item["source"], author.get("handle"), author.get("url"), author.get("name"))
    if not keys:
        raise AuthorError("this post names no author that could be forgotten (no handle, no profile)")
    return Person(item["source"], frozenset(keys))


def _digest(network: str, key: str) -> str:
    return hashlib.sha256(f"{network}\0{key}".encode()).hexdigest()


def remember(tx: sqlite_utils.Database, author: Person) -> None:
    """Put `author` on the forgotten list (inside the open write transaction `tx`)."""
    for key in author.keys:
        tx.execute(
            "INSERT INTO forgotten_authors (key, created_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            [_digest(author.network, key), clock.now()],
        )


def refusal(tx: sqlite_utils.Database) -> Callable[[str, str | None, str | None, str | None], bool]:
    """Whether a post (source, handle, url, name) is a forgotten author's: read once per transaction."""
    digests = {row[0] for row in tx.execute("SELECT key FROM forgotten_authors").fetchall()}
    if not digests:
        return lambda *_: False

    def refused(source: str, handle: str | None, url: str | None, name: str | None) -> bool:
        return any(_digest(source, key) in digests for key in item_keys(source, handle, url, name))

    return refused
