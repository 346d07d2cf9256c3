"""The `flask --app app …` commands: accounts, feeds, collecting, export and import."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from tqdm import tqdm

from aggregator.collector import Collector
from aggregator.feeds import FeedError, create_feed, get_feed
from aggregator.items import InvalidItem, item_from_dict, store_items
from aggregator.sources import SpecError
from stories.curators import CuratorError, create_curator, create_token
from stories.elements import list_elements
from stories.export import render_html
from stories.model import get_header


def _db() -> Any:
    return current_app.extensions["tagstory.db"]


@click.command("create-curator")
@with_appcontext
@click.argument("name")
@click.option("--password", help="Password for logging in (8+ characters); omit for a token-only account.")
def create_curator_command(name: str, password: str | None) -> None:
    """Create a curator account NAME."""
    try:
        create_curator(_db(), name, password)
    except CuratorError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created curator {name}.")


@click.command("create-token")
@with_appcontext
@click.argument("name")
def create_token_command(name: str) -> None:
    """Create an API token for curator NAME; the token is printed alone on the last line."""
    try:
        token = create_token(_db(), name)
    except CuratorError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"API token for {name} (shown once; send it as 'Authorization: Bearer TOKEN'):")
    click.echo(token)


@click.group("feed", cls=AppGroup)
def feed_group() -> None:
    """Manage feeds."""


@feed_group.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--source", "sources", multiple=True, help="A source SPEC; repeat for several.")
def feed_add_command(name: str, query: str, sources: tuple[str, ...]) -> None:
    """Create feed NAME following QUERY from each --source SPEC."""
    try:
        feed = create_feed(_db(), name, query, list(sources))
    except (FeedError, SpecError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created feed {feed['name']} with {len(feed['sources'])} source(s).")


@click.command("collect")
@with_appcontext
def collect_command() -> None:
    """Run the collectors in this process until interrupted (Ctrl-C or SIGTERM)."""
    collector = Collector(_db(), current_app.config)
    signal.signal(signal.SIGTERM, lambda *_: collector.stop_event.set())
    queue = current_app.config["MESSAGE_QUEUE"]
    click.echo(f"Collecting; publishing through {queue or 'the database (web processes poll it)'}.")
    try:
        collector.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        collector.stop()


@click.command("export")
@with_appcontext
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(slug: str, output: Path) -> None:
    """Export story SLUG as one self-contained HTML file."""
    story = get_header(_db(), slug)
    if story is None:
        raise click.ClickException(f"no story '{slug}'")
    output.write_text(render_html(story, list_elements(_db(), story)), encoding="utf-8")
    click.echo(f"Wrote {output} ({output.stat().st_size:,} bytes).")


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(["jsonl"]),
    default="jsonl",
    help="jsonl: one Tagstory item per line (the replay format).",
)
@click.option("--feed", "feed_name", required=True, help="The feed that receives the items.")
def import_command(file: Path, format_: str, feed_name: str) -> None:
    """Import FILE into a feed; nothing is stored unless every line is valid."""
    feed = get_feed(_db(), feed_name)
    if feed is None:
        raise click.ClickException(f"no feed named '{feed_name}'")
    items = []
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(tqdm(lines, desc="reading", unit=" lines"), start=1):
            if not line.strip():
                continue
            try:
                items.append(item_from_dict(json.loads(line)))
            except (json.JSONDecodeError, RecursionError, InvalidItem) as error:
                raise click.ClickException(f"{file}, line {number}: {error}") from error
    added = store_items(_db(), feed, items)
    click.echo(f"Read {len(items)} items: {len(added)} added, {len(items) - len(added)} duplicates.")


def init_app(app: Flask) -> None:
    """Register every command on the app."""
    for command in (
        create_curator_command,
        create_token_command,
        feed_group,
        collect_command,
        export_command,
        import_command,
    ):
        app.cli.add_command(command)
