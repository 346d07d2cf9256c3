"""A story as one self-contained HTML file: inline CSS, no JavaScript, sanitized content."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from aggregator import clock
from aggregator.sources import source_label
from stories.pins import REMOVED_TEXTS

ROOT = Path(__file__).resolve().parent.parent
_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(ROOT / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_when(value: str | None, with_seconds: bool = False) -> str:
    """A timestamp as people read it: 'Tue, May 29 2012 14:55:04 UTC-04:00' or 'May 29 2012, 18:02 UTC'."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    zone = moment.strftime("%Z") or ""  # an export is read anywhere, any day: always with its zone
    if with_seconds:
        return (moment.strftime("%a, %b %d %Y %H:%M:%S ") + zone).strip()
    return (moment.strftime("%b %d %Y, %H:%M ") + zone).strip()


_environment.filters["when"] = format_when
_environment.filters["source_label"] = source_label
_environment.globals["removed_texts"] = REMOVED_TEXTS


def render_html(
    story: dict[str, Any], elements: list[dict[str, Any]], archive_json: str | None = None
) -> str:
    """Render the standalone export of a story, with its archive embedded when given.

    `archive_json` must come from `stories.archive.dumps_for_html` (no `</` inside).
    """
    css = (ROOT / "static" / "css" / "story.css").read_text("utf-8")
    template = _environment.get_template("export.html")
    return template.render(
        story=story, elements=elements, css=css, exported_at=clock.now(), archive_json=archive_json
    )
