"""The collectors of a serving process, told when the feeds' sources change."""

from __future__ import annotations

from flask import current_app


def refresh_collector() -> None:
    """Have this process's collectors (if it runs any) pick up added, paused or resumed sources."""
    collector = current_app.extensions.get("tagstory.collector")
    if collector:
        collector.refresh()
