"""What every source shares: its errors, the `Batch` it yields and the `Source` protocol.

Each network's module imports these from here, never from the package that lists them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from aggregator.items import Item


class SpecError(ValueError):
    """A source spec that Tagstory cannot follow; the message says why."""


class SourceError(RuntimeError):
    """A source failed; `retry_after` (seconds) says when trying again makes sense.

    `rate_limited` (default: whether `retry_after` is given) shows the wait as the
    source's rate-limit reset; a missing credential waits without being a rate limit.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, rate_limited: bool | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = retry_after is not None if rate_limited is None else rate_limited


@dataclass
class Batch:
    """Items that arrived together, and the cursor that comes after them."""

    items: list[Item]
    cursor: str | None
    skipped: list[str] = field(default_factory=list)  # why each malformed payload was skipped
    changed: list[Item] = field(default_factory=list)  # edits of items collected before
    deleted: list[tuple[str, str]] = field(default_factory=list)  # (source, source_id) deleted at the source


class Source(Protocol):
    """What the collector needs from a network."""

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Yield batches from `cursor` on until `stop` is set or the source is exhausted."""
        ...


def newest_id(a: str | None, b: str | None) -> str | None:
    """The newer of two numeric string ids (Mastodon's, X's): compared by length, then text."""
    candidates = [x for x in (a, b) if x]
    return max(candidates, key=lambda x: (len(x), x)) if candidates else None
