"""Replay a JSONL file of Tagstory items at a chosen speed: the demo, and archives.

Each line is one item in Tagstory's JSON shape (see docs/api.md). The cursor is the
number of lines consumed, so a restarted replay goes on where it stopped.

A replay reads only `.jsonl` files inside the replay folder (REPLAY_ROOT): FILE is a
relative path whose resolved form (symlinks followed) stays inside it, so a curator
cannot make the server read `/etc/shadow`, `../…` or the instance folder's secret key.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import parse_qs

from aggregator.items import InvalidItem, item_from_dict
from aggregator.sources.base import Batch, SourceError, SpecError

MAX_GAP_SECONDS = 5.0  # a long silence in the original event is shortened to this
OPTIONS = ("speed",)


def parse_target(target: str) -> tuple[str, float | None]:
    """`FILE` or `FILE?speed=N` as (FILE, N or None); SpecError says what is wrong with it."""
    file, _, options = target.partition("?")
    if not file or "\0" in file:
        raise SpecError("replay needs a file: replay:FILE")
    if PurePosixPath(file).is_absolute() or PureWindowsPath(file).is_absolute() or file.startswith("\\"):
        raise SpecError(f"replay:{file}: the file must be a path relative to the replay folder")
    if ".." in PurePosixPath(file.replace("\\", "/")).parts:
        raise SpecError(f"replay:{file}: '..' may not lead out of the replay folder")
    if not file.endswith(".jsonl"):
        raise SpecError(f"replay:{file}: a replay reads a JSON Lines file (FILE.jsonl)")
    try:
        values = parse_qs(options, keep_blank_values=True, strict_parsing=True) if options else {}
    except ValueError as error:
        raise SpecError(f"replay:{target}: options are NAME=VALUE pairs joined by '&'") from error
    unknown = sorted(set(values) - set(OPTIONS))
    if unknown:
        raise SpecError(f"replay:{target}: unknown option '{unknown[0]}' (known: {', '.join(OPTIONS)})")
    if "speed" not in values:
        return file, None
    try:
        speed = float(values["speed"][-1])
    except ValueError:
        speed = math.nan
    if not math.isfinite(speed) or speed < 0:
        raise SpecError(f"replay:{target}: speed must be a number, 0 or more (0 = no waiting)")
    return file, speed


def replay_path(file: str, settings: dict[str, Any]) -> Path:
    """Where `file` is, resolved inside the replay folder; SpecError when it leads outside."""
    root = Path(settings["REPLAY_ROOT"]).resolve()
    path = (root / file).resolve()
    if not path.is_relative_to(root):
        raise SpecError(f"replay:{file} leads outside the replay folder (a link or '..'); refused")
    return path


class ReplaySource:
    """Items from a JSONL file, spaced like the original event, `speed` times faster."""

    def __init__(self, path: Path, speed: float) -> None:
        self.path = path
        self.speed = speed

    @classmethod
    def from_target(cls, target: str, settings: dict[str, Any]) -> ReplaySource:
        """Build from `FILE` or `FILE?speed=N` (N = 0 replays without waiting), inside the replay folder."""
        try:
            file, speed = parse_target(target)
            path = replay_path(file, settings)
        except SpecError as error:
            raise SourceError(str(error), retry_after=3600.0, rate_limited=False) from error
        return cls(path, float(settings["REPLAY_SPEED"]) if speed is None else speed)

    def _delay(self, previous: str | None, current: str) -> float:
        if not self.speed or previous is None:
            return 0.0
        try:
            gap = (datetime.fromisoformat(current) - datetime.fromisoformat(previous)).total_seconds()
        except ValueError:
            return 0.0
        return max(0.0, min(gap / self.speed, MAX_GAP_SECONDS))

    def batches(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        """Yield one item per line from line `cursor` on, waiting between them."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise SourceError(f"cannot read replay file {self.path}: {error}") from error
        position = int(cursor or 0)
        previous: str | None = None
        for number in range(position, len(lines)):
            line = lines[number].strip()
            try:
                item = item_from_dict(json.loads(line), source=None) if line else None
            except (json.JSONDecodeError, RecursionError, InvalidItem) as error:
                yield Batch([], str(number + 1), [f"line {number + 1}: {error}"])
                continue
            if item is None:
                continue
            if stop.wait(self._delay(previous, item.created_at)):
                return
            previous = item.created_at
            yield Batch([item], str(number + 1))
