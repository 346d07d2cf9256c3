"""Bluesky authors' consent, looked up on the public AppView: `app.bsky.actor.getProfiles`.

A Jetstream post carries its author's DID only, not the profile's self-labels, so before a
batch is stored every author in it is looked up (25 DIDs per request, unauthenticated) and
a post whose author is labelled `!no-unauthenticated` gets its `opt_out` (aggregator.consent).
Answers are kept per DID in a bounded cache for BLUESKY_PROFILE_TTL seconds. A profile the
AppView leaves out of its answer is treated as opted out; when the AppView does not answer
at all, the posts are held for a curator (consent.UNCHECKED) and their authors asked again
with the next batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, ClassVar

from aggregator import consent
from aggregator.items import Item
from aggregator.sources import http
from aggregator.sources.base import SourceError

log = logging.getLogger(__name__)

METHOD = "/xrpc/app.bsky.actor.getProfiles"
MOST_ACTORS = 25  # getProfiles takes at most 25 actors per request
_NOT_LABELLED = ""  # a cached "no signal" (None means "not cached")


class AppViewConsent:
    """The opt-out signal of Bluesky authors, by DID, from an AppView, cached (bounded, per process)."""

    # One cache per AppView for the whole process: every feed's Bluesky loop shares it.
    _caches: ClassVar[dict[str, OrderedDict[str, tuple[float, str]]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: dict[str, Any]) -> None:
        self.base = str(settings["BLUESKY_APPVIEW_URL"]).rstrip("/")
        self.http = http.Http(settings, f"Bluesky AppView {self.base}")
        self.ttl = float(settings["BLUESKY_PROFILE_TTL"])  # 0: asked again with every batch
        self.limit = int(settings["BLUESKY_PROFILE_CACHE"])  # 0: nothing kept
        with self._lock:
            self.cache = self._caches.setdefault(self.base, OrderedDict())

    def _cached(self, did: str) -> str | None:
        with self._lock:
            found = self.cache.get(did)
            if found is None or found[0] < time.monotonic():
                return None
            self.cache.move_to_end(did)
            return found[1]

    def _keep(self, did: str, signal: str) -> None:
        with self._lock:
            self.cache[did] = (time.monotonic() + self.ttl, signal)
            self.cache.move_to_end(did)
            while len(self.cache) > self.limit:
                self.cache.popitem(last=False)

    def _ask(self, dids: list[str]) -> dict[str, str]:
        """Look `dids` up (at most 25) and cache what each profile says; return it by DID."""
        response = self.http.get(self.base + METHOD, params={"actors": dids})
        body = self.http.json(response)
        profiles = body.get("profiles") if isinstance(body, dict) else None
        if not isinstance(profiles, list):
            raise SourceError(f"{self.http.what} sent no list of profiles")
        answered = {p.get("did"): p for p in profiles if isinstance(p, dict)}
        said = {}
        for did in dids:
            profile = answered.get(did)
            signal = consent.bluesky_opt_out(profile) if profile else consent.HIDDEN_PROFILE
            said[did] = signal or _NOT_LABELLED
            self._keep(did, said[did])
        return said

    def did_of(self, handle: str) -> str | None:
        """The DID a Bluesky handle names now (getProfiles takes handles too); SourceError if no answer."""
        body = self.http.json(self.http.get(self.base + METHOD, params={"actors": [handle]}))
        profiles = body.get("profiles") if isinstance(body, dict) else None
        did = (
            profiles[0].get("did")
            if isinstance(profiles, list) and profiles and isinstance(profiles[0], dict)
            else None
        )
        return did if isinstance(did, str) and did.startswith("did:") else None

    def mark(self, items: Iterable[Item]) -> None:
        """Set `opt_out` on every Bluesky post whose author asks to stay off walls."""
        posts = [item for item in items if item.source == "bluesky"]
        known = {
            did: signal for did in {_did(item) for item in posts} if (signal := self._cached(did)) is not None
        }
        missing = list(dict.fromkeys(_did(item) for item in posts if _did(item) not in known))
        try:
            for start in range(0, len(missing), MOST_ACTORS):
                known.update(self._ask(missing[start : start + MOST_ACTORS]))
        except SourceError as error:
            log.warning("%s; the posts of unchecked authors are held", error)
        for item in posts:
            signal = known.get(_did(item))
            item.opt_out = (signal or None) if signal is not None else consent.UNCHECKED


def _did(item: Item) -> str:
    """The DID of a Bluesky post's author, from its at:// URI."""
    return item.source_id.removeprefix("at://").split("/", 1)[0]
