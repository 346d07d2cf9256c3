"""Replay a JSONL file of Tagstory items at a chosen speed: the demo, and archives.

Each line is one item in Tagstory's JSON shape (see docs/api.md). The cursor is the
number of lines consumed, so a restarted replay goes on where it stopped.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aggregator.items import InvalidItem, item_from_dict
from aggregator.sources import Batch, SourceError

MAX_GAP_SECONDS = 5.0  # a long silence in the original event is shortened to this


class ReplaySource:
    """Items from a JSONL file, spaced like the original event, `speed` times faster."""

    def __init__(self, path: Path, speed: float) -> None:
        self.path = path
        self.speed = speed

    @classmethod
    def from_target(cls, target: str, settings: dict[str, Any]) -> ReplaySource:
        """Build from `FILE` or `FILE?speed=N` (N = 0 replays without waiting)."""
        file, _, options = target.partition("?")
        speed = float(parse_qs(options).get("speed", [settings.get("REPLAY_SPEED", 60)])[0])
        path = Path(file)
        if not path.is_absolute():
            path = Path(settings.get("REPLAY_ROOT", ".")) / path
        return cls(path, speed)

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
