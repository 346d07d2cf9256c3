"""Timestamps as Tagstory stores them: ISO 8601 in UTC, to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> str:
    """The current time as an ISO 8601 UTC string."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalize(value: str | None) -> str | None:
    """Parse an ISO 8601 timestamp (any offset) and return it in UTC, or None if unparseable."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted out of range by its offset
        return None
    return in_utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def later(seconds: float) -> str:
    """The time `seconds` from now, as an ISO 8601 UTC string."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
