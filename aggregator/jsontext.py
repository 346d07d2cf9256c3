"""JSON read from files people bring: one plain message for whatever does not parse."""

from __future__ import annotations

import json
from typing import Any


class BrokenJson(ValueError):
    """Text that is not JSON; the message says why and where."""


def loads(text: str) -> Any:
    """`json.loads`, raising BrokenJson for broken or too deeply nested JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BrokenJson(f"{error.msg} at line {error.lineno}, column {error.colno}") from error
    except RecursionError as error:
        raise BrokenJson(f"nested too deeply ({error})") from error


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: hostile payloads are read with `.get`."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
