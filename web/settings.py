"""Every setting Tagstory reads, declared once with its default and its help text.

A setting comes from, in order: the built-in default, `config.py` in the instance
folder, the environment (`TAGSTORY_<NAME>`), then the `config` passed to create_app.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS = (
    Setting(
        "DATABASE",
        None,
        "Path of the SQLite file (default: tagstory.sqlite in the instance folder).",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs session cookies (default: a random key kept in the instance folder).",
    ),
    Setting(
        "DEMO",
        True,
        "Replay the #kredcrew summit into the feed `kredcrew` and build the seed story (0 turns it off).",
    ),
    Setting(
        "REPLAY_SPEED",
        60.0,
        "How many times faster than the original a replay runs (0 = no waiting).",
    ),
    Setting(
        "REPLAY_ROOT",
        None,
        "Folder that relative replay:FILE paths are read from (default: the folder of app.py).",
    ),
    Setting(
        "COLLECT",
        True,
        "Run the collectors inside the web process (0 when `flask collect` runs them).",
    ),
    Setting(
        "MESSAGE_QUEUE",
        None,
        "Redis URL shared by web and collector processes, e.g. redis://127.0.0.1:6379/0.",
    ),
    Setting(
        "ASYNC_MODE",
        None,
        "Socket.IO async mode; `python app.py` uses gevent (see docs/benchmarks.md).",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        2 * 1024 * 1024,
        "Largest request body accepted, in bytes; a larger one is refused with 413.",
    ),
    Setting(
        "POLL_SECONDS",
        1.0,
        "How often each web process checks the event log for writes from other processes.",
    ),
)

_BOOLEAN_FALSE = {"0", "false", "no", "off", ""}


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() not in _BOOLEAN_FALSE
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, int):
        return int(raw)
    return raw


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The settings given as TAGSTORY_<NAME> environment variables, typed like their defaults."""
    environ = os.environ if environ is None else environ
    found = {}
    for setting in SETTINGS:
        raw = environ.get(f"TAGSTORY_{setting.name}")
        if raw is not None:
            found[setting.name] = _coerce(raw, setting.default)
    return found


def defaults() -> dict[str, Any]:
    """Every setting at its default value."""
    return {setting.name: setting.default for setting in SETTINGS}


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def markdown_table() -> str:
    """The settings as the Markdown table of docs/settings.md (a test keeps the two equal)."""
    lines = ["| setting | environment variable | default | what it does |", "|---|---|---|---|"]
    for setting in SETTINGS:
        help_text = setting.help.replace("|", "\\|")
        lines.append(
            f"| `{setting.name}` | `TAGSTORY_{setting.name}` | `{_shown(setting.default)}` | {help_text} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
