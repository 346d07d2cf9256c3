"""JSON read from files people bring: one plain message for whatever does not parse."""

from __future__ import annotations

import json
import re
from typing import Any

# A surrogate escape, or a raw surrogate: only texts holding one need the full walk.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


class BrokenJson(ValueError):
    """Text that is not JSON; the message says why and where."""


def loads(text: str) -> Any:
    """`json.loads`, raising BrokenJson for broken or too deeply nested JSON, or a lone surrogate."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise BrokenJson(f"{error.msg} at line {error.lineno}, column {error.colno}") from error
    except RecursionError as error:
        raise BrokenJson(f"nested too deeply ({error})") from error
    problem = text_problem(value) if _MAYBE_SURROGATE.search(text) else None
    if problem:
        raise BrokenJson(problem)
    return value


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: JSON can escape it, no storage can keep it
        return False
    return True


def _path(parts: tuple[str | int, ...]) -> str:
    named = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".")
    return f"'{named}'" if named else "the value"


def text_problem(value: Any) -> str | None:
    """Why parsed JSON cannot be stored as text, naming where: a lone surrogate ("\\ud800",
    valid as a JSON escape but not a character) in a key or a string; None when all is text."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        current, parts = stack.pop()
        if isinstance(current, str) and not _is_text(current):
            return f"{_path(parts)} holds a lone surrogate (\\uD800-\\uDFFF), which is not a character"
        if isinstance(current, dict):
            for key, child in current.items():
                if not _is_text(key):
                    return f"a key in {_path(parts)} is a lone surrogate (\\uD800-\\uDFFF), not a character"
                stack.append((child, (*parts, key)))
        elif isinstance(current, list):
            stack.extend((child, (*parts, n)) for n, child in enumerate(current))
    return None


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: hostile payloads are read with `.get`."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
