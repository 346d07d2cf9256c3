"""`flask --app app feed …` (feeds and their sources) and `collect` (run the collectors)."""

from __future__ import annotations

import signal
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from aggregator.collector import Collector
from aggregator.errors import NotFound
from aggregator.feeds import (
    FeedError,
    add_source,
    create_feed,
    get_feed,
    remove_source,
    set_source_state,
    sources_of,
)
from aggregator.sources import SpecError
from web.lookups import database


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
        feed = create_feed(database(), name, query, list(sources), current_app.config)
    except (FeedError, SpecError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created feed {feed['name']} with {len(feed['sources'])} source(s).")


def _feed_named(name: str) -> dict[str, Any]:
    feed = get_feed(database(), name)
    if feed is None:
        raise click.ClickException(f"no feed named '{name}'")
    return feed


@feed_group.command("sources")
@click.argument("name")
def feed_sources_command(name: str) -> None:
    """List the sources of feed NAME with their health."""
    for source in sources_of(database(), _feed_named(name)["id"]):
        line = f"{source['id']:>4}  {source['spec']}  {source['state']}  items={source['items']}"
        if source["last_success"]:
            line += f"  last success {source['last_success']}"
        if source["rate_limit_reset"]:
            line += f"  rate limit until {source['rate_limit_reset']}"
        if "reads_today" in source:
            line += f"  reads today={source['reads_today']}"
        if "quota" in source:
            quota = source["quota"]
            line += f"  used {quota['used']} of {quota['limit']} per {quota['window']}"
            line += f"\n      {quota['note']}" if quota.get("note") else ""
        if source["last_error"]:
            line += f"\n      last error: {source['last_error']}"
        click.echo(line)


@feed_group.command("add-source")
@click.argument("name")
@click.argument("spec")
def feed_add_source_command(name: str, spec: str) -> None:
    """Add source SPEC to feed NAME."""
    try:
        add_source(database(), _feed_named(name), spec, current_app.config)
    except SpecError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Feed {name} follows {spec}.")


# feed COMMAND NAME SOURCE: (COMMAND, its help, the state it sets or "remove", what it says after)
SOURCE_CHANGES = (
    (
        "pause",
        "Pause SOURCE (its id or spec) of feed NAME; the collected items stay.",
        "paused",
        "Paused {spec} of feed {feed}.",
    ),
    (
        "resume",
        "Resume SOURCE (its id or spec) of feed NAME where it stopped.",
        "running",
        "Resumed {spec} of feed {feed}.",
    ),
    (
        "remove-source",
        "Stop following SOURCE (its id or spec) in feed NAME; the collected items stay.",
        "remove",
        "Removed {spec} from feed {feed}; its {items} items stay.",
    ),
)


def _change_source(name: str, source: str, change: str) -> dict[str, Any]:
    feed = _feed_named(name)
    try:
        if change == "remove":
            return remove_source(database(), feed, source)
        return set_source_state(database(), feed, source, change)
    except (NotFound, FeedError) as error:
        raise click.ClickException(str(error)) from error


def _source_command(command: str, help_text: str, change: str, done: str) -> None:
    """Register `feed COMMAND NAME SOURCE`, which applies `change` and says `done`."""

    @feed_group.command(command, help=help_text)
    @click.argument("name")
    @click.argument("source")
    def run(name: str, source: str) -> None:
        found = _change_source(name, source, change)
        click.echo(done.format(spec=found["spec"], feed=name, items=found["items"]))


for source_change in SOURCE_CHANGES:
    _source_command(*source_change)


@click.command("collect")
@with_appcontext
def collect_command() -> None:
    """Run the collectors in this process until interrupted (Ctrl-C or SIGTERM)."""
    collector = Collector(database(), current_app.config)
    signal.signal(signal.SIGTERM, lambda *_: collector.stop_event.set())
    queue = current_app.config["MESSAGE_QUEUE"]
    click.echo(f"Collecting; publishing through {queue or 'the database (web processes poll it)'}.")
    try:
        collector.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        collector.stop()


COMMANDS = (feed_group, collect_command)
