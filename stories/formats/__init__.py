"""A story in each export format, and foreign story formats read into Tagstory archives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aggregator.db import Database
from aggregator.imports import FORMAT_LABELS
from stories.archive import Progress, archive_from_text, dumps, dumps_for_html, no_progress, to_archive
from stories.elements import list_elements
from stories.export import render_html
from stories.formats.markdown import render_markdown
from stories.formats.storify import archive_from_storify
from stories.media import MediaFetcher, embed_media

EXPORT_FORMATS = ("html", "json", "md")
STORY_IMPORT_LABELS = {
    "tagstory": "A story exported from Tagstory (JSON or HTML)",
    "storify": "A story exported from Storify (JSON)",
}
STORY_IMPORT_FORMATS = tuple(STORY_IMPORT_LABELS)
# Every import format, stories first, with what it holds: the one list the form and the CLI offer.
IMPORT_FORMATS = {**STORY_IMPORT_LABELS, **FORMAT_LABELS}
MEDIA_TYPES = {"html": "text/html", "json": "application/json", "md": "text/markdown"}


@dataclass
class Export:
    """An exported story: its text, and what could not be embedded."""

    text: str
    media_report: list[str] = field(default_factory=list)


def export_story(
    db: Database,
    story: dict[str, Any],
    fmt: str,
    progress: Progress = no_progress,
    fetcher: MediaFetcher | None = None,
) -> Export:
    """The story as html (with its archive embedded), json (the archive) or md.

    With a `fetcher`, the HTML's images are downloaded and inlined as data URIs.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format '{fmt}' (one of {', '.join(EXPORT_FORMATS)})")
    archive = to_archive(db, story, progress)
    if fmt == "json":
        return Export(dumps(archive))
    if fmt == "md":
        return Export(render_markdown(archive))
    elements, report = list_elements(db, story), []
    if fetcher is not None:
        elements, report = embed_media(elements, fetcher)
    return Export(render_html(story, elements, dumps_for_html(archive)), report)


def read_story_archive(text: str, fmt: str) -> dict[str, Any]:
    """A Tagstory archive from a Tagstory JSON/HTML export or a Storify JSON export."""
    if fmt == "storify":
        return archive_from_storify(archive_from_text(text))
    return archive_from_text(text)
