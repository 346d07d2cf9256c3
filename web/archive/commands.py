"""`flask --app app export` and `import`: stories and feeds in and out of files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from aggregator.imports import ImportFileError, created_feed_note, import_file
from aggregator.sources.http import user_agent
from stories.archive import ArchiveError, duplicate_pins_note, from_archive
from stories.formats import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    STORY_IMPORT_FORMATS,
    export_story,
    read_story_archive,
)
from stories.media import LocalPictures, MediaFetcher
from stories.model import get_header
from web.lookups import database
from web.participate import images


def media_fetcher(config: Any) -> MediaFetcher:
    """A fetcher configured by EXPORT_MEDIA_MAX_BYTES and the address policy's FETCH_ALLOW_PRIVATE,
    which reads the wall form's own pictures (`/uploads/<name>`) from UPLOADS_FOLDER."""
    return MediaFetcher(
        max_bytes=int(config["EXPORT_MEDIA_MAX_BYTES"]),
        allow_private=bool(config["FETCH_ALLOW_PRIVATE"]),
        user_agent=user_agent(config),
        local=LocalPictures(images.uploads_folder(config), images.ROUTE, images.STORED_NAME),
    )


def _bar(description: str, unit: str) -> Any:
    return lambda iterable: tqdm(iterable, desc=description, unit=unit, leave=False)


@click.command("export")
@with_appcontext
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="html",
    show_default=True,
    help="html: one self-contained page (with its JSON archive inside); json: the archive; md: Markdown.",
)
@click.option("--embed-media", is_flag=True, help="html: download images now and inline them as data URIs.")
def export_command(slug: str, output: Path, fmt: str, embed_media: bool) -> None:
    """Export story SLUG to FILE as HTML, Tagstory JSON or Markdown."""
    story = get_header(database(), slug)
    if story is None:
        raise click.ClickException(f"no story '{slug}'")
    fetcher = media_fetcher(current_app.config) if embed_media and fmt == "html" else None
    exported = export_story(database(), story, fmt, _bar("exporting", " elements"), fetcher)
    output.write_text(exported.text, encoding="utf-8")
    click.echo(f"Wrote {output} ({output.stat().st_size:,} bytes).")
    if exported.media_report:
        click.echo(f"{len(exported.media_report)} image(s) could not be embedded (left out of the page):")
        for line in exported.media_report:
            click.echo(f"  {line}")


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(tuple(IMPORT_FORMATS)),
    default="jsonl",
    show_default=True,
    help="Stories: tagstory (a Tagstory JSON or HTML export), storify (Storify JSON). Posts into a feed:"
    " jsonl (Tagstory items), twarc (twarc2 JSONL), mastodon (status array or JSONL), jetstream (JSONL).",
)
@click.option(
    "--feed",
    "feed_name",
    help="The feed that receives the posts (required for post formats); created when it does not exist.",
)
@click.option("--slug", help="Stories: import under this slug (a slug that exists is an error).")
def import_command(file: Path, fmt: str, feed_name: str | None, slug: str | None) -> None:
    """Import FILE; nothing is stored unless the whole file is valid (one transaction)."""
    try:
        if fmt in STORY_IMPORT_FORMATS:
            archive = read_story_archive(file.read_text(encoding="utf-8"), fmt)
            story = from_archive(database(), archive, slug, feed_name, None, _bar("importing", " elements"))
            if story.get("created_feed"):
                click.echo(created_feed_note(**story["created_feed"]))
            if story["duplicate_pins"]:
                click.echo(duplicate_pins_note(story["duplicate_pins"]))
            count = story["imported_elements"]
            click.echo(f"Imported story '{story['slug']}' with {count} elements: /stories/{story['slug']}")
            return
        if feed_name is None:
            raise click.ClickException(f"--feed NAME is required for --format {fmt}")
        with file.open(encoding="utf-8") as stream:
            summary = import_file(database(), feed_name, stream, fmt, _bar("reading", " records"))
    except (ArchiveError, ImportFileError) as error:
        raise click.ClickException(f"{file}: {error}; nothing was imported") from error
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{file}: not UTF-8 text ({error.reason}); nothing was imported"
        ) from error
    click.echo(summary.describe())


COMMANDS = (export_command, import_command)
