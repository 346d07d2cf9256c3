"""Where items come from: each network in its own module, all behind one small protocol.

A source turns a stored cursor into a stream of `Batch`es; the collector stores each
batch together with its cursor, so a killed collector resumes where it stopped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aggregator import netpolicy
from aggregator.sources.base import Batch, Source, SourceError, SpecError
from aggregator.sources.bluesky import BlueskySource
from aggregator.sources.instagram import InstagramSource
from aggregator.sources.mastodon import MastodonSource, ServerPace, server_url
from aggregator.sources.replay import ReplaySource, parse_target, replay_path
from aggregator.sources.rss import RssSource
from aggregator.sources.threads import ThreadsSource
from aggregator.sources.x import XSource
from aggregator.sources.youtube import YouTubeSource
from aggregator.sources.youtube import parse_target as youtube_target

__all__ = [
    "Batch",
    "Source",
    "SourceError",
    "SourceSpec",
    "SourceState",
    "SpecError",
    "open_source",
    "parse_spec",
]


@dataclass(frozen=True)
class SourceSpec:
    """A parsed SPEC: `kind` (x, mastodon, bluesky, rss, threads, youtube, instagram, replay), `target`."""

    kind: str
    target: str

    @property
    def spec(self) -> str:
        """The canonical spec string, as stored."""
        return f"{self.kind}:{self.target}" if self.target else self.kind


def parse_spec(spec: Any, settings: Mapping[str, Any] | None = None) -> SourceSpec:
    """Parse and validate a SPEC string such as `replay:demo/kredcrew.jsonl`.

    With the server's `settings`, also refuse what this server will not follow (see
    `check_allowed`): how a curator's spec is checked when it is added.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError("a source spec must be a non-empty string")
    kind, _, target = spec.strip().partition(":")
    kind = kind.lower()
    if kind not in OPENERS:
        known = ", ".join(sorted(OPENERS))
        raise SpecError(f"unknown source '{kind}' in '{spec}' (this server knows: {known})")
    if kind == "replay":
        parse_target(target.strip())
    if kind == "mastodon":
        target = server_url(target).removeprefix("https://")
    if kind == "rss" and not re.match(r"^https?://[^\s]+$", target.strip()):
        raise SpecError("rss needs the feed's http(s) URL: rss:URL")
    if kind == "bluesky" and target and not re.match(r"^wss?://[^\s]+$", target.strip()):
        raise SpecError("bluesky takes a Jetstream websocket URL: bluesky:wss://HOST/subscribe")
    if kind in ("x", "threads", "instagram") and target:
        raise SpecError(f"{kind} takes no target: its search is the feed's query")
    if kind == "youtube":
        youtube_target(target)
    parsed = SourceSpec(kind, target.strip())
    if settings is not None:
        check_allowed(parsed, settings)
    return parsed


def spec_host(spec: SourceSpec) -> str | None:
    """The host a network spec fetches from (None for replay, x and the configured Jetstreams)."""
    if spec.kind not in ("rss", "mastodon", "bluesky") or not spec.target:
        return None
    url = spec.target if "://" in spec.target else f"https://{spec.target}"
    try:
        return urlsplit(url).hostname
    except ValueError as error:
        raise SpecError(f"'{spec.target}' is not a valid URL") from error


def check_allowed(spec: SourceSpec, settings: Mapping[str, Any]) -> None:
    """SpecError when this server will not follow `spec`: a replay file outside the replay
    folder, or a host the address policy plainly refuses (a literal private address, localhost).

    A name that only resolves to a refused address is refused when it is fetched, in the
    source's health: resolving here would be no guarantee, since a name can change its answer.
    """
    if spec.kind == "replay":
        replay_path(parse_target(spec.target)[0], dict(settings))
        return
    host = spec_host(spec)
    reason = netpolicy.plainly_refused(host, settings) if host else None
    if reason:
        raise SpecError(f"{spec.kind}:{spec.target}: {reason} (see FETCH_ALLOW_PRIVATE)")


@dataclass
class SourceState:
    """What the sources of one collector share across their lifetimes, owned by that collector.

    A source object lives for one connection or poll loop; the collector opens a new one
    after each failure. The Mastodon pace (one per server) and which Jetstream instance
    each Bluesky source tries next outlive them here, and die with their collector.
    """

    mastodon_pace: ServerPace = field(default_factory=ServerPace)
    bluesky_turns: dict[str, int] = field(default_factory=dict)


def open_source(spec: SourceSpec, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    """Build the source object for a parsed spec; `state` is its collector's."""
    return OPENERS[spec.kind](spec.target, query, settings, state)


def _open_replay(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return ReplaySource.from_target(target, settings)


def _open_mastodon(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return MastodonSource(target, query, settings, state.mastodon_pace)


def _open_bluesky(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return BlueskySource(target, query, settings, state.bluesky_turns)


def _open_rss(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return RssSource(target, query, settings)


def _open_x(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return XSource(query, settings)


def _open_threads(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return ThreadsSource(query, settings)


def _open_youtube(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return YouTubeSource(target, query, settings)


def _open_instagram(target: str, query: str, settings: dict[str, Any], state: SourceState) -> Source:
    return InstagramSource(query, settings)


# How each source is named to people ("via X"); a source not listed shows its own name.
SOURCE_LABELS = {
    "x": "X",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "rss": "RSS",
    "threads": "Threads",
    "youtube": "YouTube",
    "instagram": "Instagram",
    "api": "API",
    "storify": "Storify",
    "web": "the wall's form",
}


def source_label(source: str) -> str:
    """The name people know a source by: 'X' for x, 'Bluesky' for bluesky."""
    return SOURCE_LABELS.get(source, source)


OPENERS = {
    "replay": _open_replay,
    "mastodon": _open_mastodon,
    "bluesky": _open_bluesky,
    "rss": _open_rss,
    "x": _open_x,
    "threads": _open_threads,
    "youtube": _open_youtube,
    "instagram": _open_instagram,
}
