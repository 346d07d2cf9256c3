"""The JSON module of the Socket.IO server: engineio's, with an answerable over-long integer.

engineio refuses integers of more than 100 digits (converting them costs quadratic time) by
raising inside the packet decoder, so the packet is dropped and its acknowledgement never
sent. Here such a number decodes to infinity, a float: the handler's own validation then
answers it like any other value that is not an integer.
"""

from __future__ import annotations

import math
from json import dumps
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
