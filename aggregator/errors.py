"""Errors shared by the domain packages."""


class NotFound(LookupError):
    """A named thing (item, element) does not exist; the message names it."""
