"""Errors shared by the domain packages."""


class NotFound(LookupError):
    """A named thing (item, element) does not exist; the message names it."""


class Conflict(Exception):
    """A change based on a stale version; `current` is the thing as it is now."""

    def __init__(self, message: str, current: dict) -> None:
        super().__init__(message)
        self.current = current
