"""Consent: the signals by which people say "not on a public wall", and what a feed does with them.

A source reads each author's signal where its network keeps it (a Mastodon account's
`noindex`, `discoverable` and bio; a Bluesky profile's `!no-unauthenticated` self-label) and
sets `Item.opt_out` to a sentence saying which. The OPT_OUT policy then decides: `skip` (the
post is never stored) or `hold` (it waits, pending, with that sentence as its reason, for a
curator to decide). Either way no viewer sees it unless a curator approves it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aggregator import sanitize

POLICIES = ("skip", "hold")
BIO_TAGS = ("nobot", "nowall", "nosearch")  # hashtags in a fediverse bio that mean "leave me out"
BLUESKY_LABEL = "!no-unauthenticated"  # "do not show my content to logged-out readers"
_BIO_TAG = re.compile(rf"(?<![\w#])#({'|'.join(BIO_TAGS)})(?!\w)", re.IGNORECASE)


class ConsentError(ValueError):
    """A consent setting that cannot be honoured; the message says why."""


def policy(settings: Mapping[str, Any]) -> str:
    """What a feed does with an opted-out post: `skip` or `hold` (the OPT_OUT setting)."""
    chosen = str(settings["OPT_OUT"]).strip().lower()
    if chosen not in POLICIES:
        raise ConsentError(f"OPT_OUT must be one of {', '.join(POLICIES)}, not '{chosen}'")
    return chosen


def mastodon_opt_out(account: Any) -> str | None:
    """Why a Mastodon (or compatible) account asks to stay off walls, or None.

    The Account entity's `noindex: true` (opted out of search engines), `discoverable: false`
    (opted out of discovery features), or a #nobot / #nowall / #nosearch in its bio (`note`).
    """
    if not isinstance(account, dict):
        return None
    if account.get("noindex") is True:
        return "the author's Mastodon account asks not to be indexed (noindex)"
    if account.get("discoverable") is False:
        return "the author's Mastodon account is not discoverable (discoverable: false)"
    return bio_opt_out(account.get("note"))


def bio_opt_out(bio: Any) -> str | None:
    """Why a fediverse bio (HTML or text) asks to stay off walls: a #nobot-like tag in it, or None."""
    if not isinstance(bio, str) or "#" not in bio:
        return None
    found = _BIO_TAG.search(sanitize.html_to_text(bio) if "<" in bio else bio)
    return f"the author's bio says #{found.group(1).lower()}" if found else None


def bluesky_opt_out(profile: Any) -> str | None:
    """Why a Bluesky profile (app.bsky.actor.defs#profileViewDetailed) asks to stay off walls, or None."""
    labels = profile.get("labels") if isinstance(profile, dict) else None
    for label in labels if isinstance(labels, list) else []:
        if isinstance(label, dict) and label.get("val") == BLUESKY_LABEL and not label.get("neg"):
            return f"the author's Bluesky profile is labelled {BLUESKY_LABEL} (not for logged-out readers)"
    return bio_opt_out(profile.get("description")) if isinstance(profile, dict) else None


HIDDEN_PROFILE = "Bluesky does not show the author's profile to logged-out readers (or it is gone)"
UNCHECKED = "the author's consent could not be checked (the Bluesky AppView did not answer)"


def screen(items: list[Any], chosen: str) -> tuple[list[Any], int]:
    """The items a feed stores under policy `chosen`, and how many it skipped.

    With `skip` an opted-out post is dropped; with `hold` it stays and `held` marks it
    pending. A post whose consent could not be checked is always held, never dropped.
    """
    if chosen == "hold":
        return items, 0
    kept = [item for item in items if not item.opt_out or item.opt_out == UNCHECKED]
    return kept, len(items) - len(kept)


def held(status: str, reason: str | None, opt_out: str | None) -> tuple[str, str | None]:
    """The status and reason of a new post after its author's signal: pending, saying why."""
    if not opt_out or status == "hidden":
        return status, reason
    return "pending", f"opted out: {opt_out}"
