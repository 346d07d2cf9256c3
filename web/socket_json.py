"""The JSON module of the Socket.IO server: engineio's, with an answerable over-long integer
and already encoded parts.

engineio refuses integers of more than 100 digits (converting them costs quadratic time) by
raising inside the packet decoder, so the packet is dropped and its acknowledgement never
sent. Here such a number decodes to infinity, a float: the handler's own validation then
answers it like any other value that is not an integer.

An `Encoded` value (JSON text, a `str` to Socket.IO's binary check) in a packet's data or in
an object at its top goes out as it is: a catch-up page encoded once serves every join.
"""

from __future__ import annotations

import math
from json import dumps as _dumps
from json import loads as _loads
from typing import Any

__all__ = ["dumps", "loads"]

MAX_DIGITS = 100


def _int(text: str) -> int | float:
    return int(text) if len(text) <= MAX_DIGITS else math.inf


def loads(*args: Any, **kwargs: Any) -> Any:
    """`json.loads` where an integer longer than `MAX_DIGITS` digits becomes `math.inf`."""
    kwargs.setdefault("parse_int", _int)
    return _loads(*args, **kwargs)


class Encoded(str):
    """JSON text that `dumps` puts into a packet as it is, not as a string."""


def _part(value: Any, depth: int, **kwargs: Any) -> str:
    if isinstance(value, Encoded):
        return value  # joined as it is: str() would copy a catch-up page first
    item_separator, key_separator = kwargs.get("separators") or (", ", ": ")
    if depth and isinstance(value, list):
        return "[" + item_separator.join(_part(item, depth - 1, **kwargs) for item in value) + "]"
    if depth and isinstance(value, dict):
        pairs = (
            _dumps(str(key)) + key_separator + _part(item, depth - 1, **kwargs) for key, item in value.items()
        )
        return "{" + item_separator.join(pairs) + "}"
    return _dumps(value, **kwargs)


def _holds_encoded(value: Any, depth: int) -> bool:
    if isinstance(value, Encoded):
        return True
    if depth and isinstance(value, list):
        return any(_holds_encoded(item, depth - 1) for item in value)
    if depth and isinstance(value, dict):
        return any(_holds_encoded(item, depth - 1) for item in value.values())
    return False


def dumps(obj: Any, **kwargs: Any) -> str:
    """`json.dumps`, where an `Encoded` value up to two levels down is spliced in as it is."""
    if _holds_encoded(obj, 2):
        return _part(obj, 2, **kwargs)
    return _dumps(obj, **kwargs)
