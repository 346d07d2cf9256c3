"""The `flask --app app …` commands: accounts, feeds, collecting, export and import."""

from __future__ import annotations

import signal
from typing import Any

import click
from flask import Flask, current_app
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
from stories.curators import CuratorError, create_curator, create_token, list_tokens, revoke_token
from web.archive_commands import export_command, import_command
from web.lookups import database


@click.command("create-curator")
@with_appcontext
@click.argument("name")
@click.option("--password", help="Password for logging in (8+ characters); omit for a token-only account.")
def create_curator_command(name: str, password: str | None) -> None:
    """Create a curator account NAME."""
    try:
        create_curator(database(), name, password)
    except CuratorError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created curator {name}.")


@click.command("create-token")
@with_appcontext
@click.argument("name")
def create_token_command(name: str) -> None:
    """Create an API token for curator NAME; the token is printed alone on the last line."""
    try:
        token = create_token(database(), name)
    except CuratorError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"API token for {name} (shown once; send it as 'Authorization: Bearer TOKEN'):")
    click.echo(token)


@click.command("tokens")
@with_appcontext
@click.argument("name")
def tokens_command(name: str) -> None:
    """List the API tokens of curator NAME: id and creation time (the tokens are never shown again)."""
    try:
        tokens = list_tokens(database(), name)
    except CuratorError as error:
        raise click.ClickException(str(error)) from error
    if not tokens:
        click.echo(f"Curator {name} has no API token.")
    for token in tokens:
        click.echo(f"{token['id']:>4}  created {token['created_at']}")


@click.command("revoke-token")
@with_appcontext
@click.argument("name")
@click.argument("token_id", type=int)
def revoke_token_command(name: str, token_id: int) -> None:
    """Revoke API token TOKEN_ID (from `tokens NAME`) of curator NAME; it stops working at once."""
    try:
        revoke_token(database(), name, token_id)
    except CuratorError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Revoked token {token_id} of {name}.")


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


def _change_source(name: str, source: str, change: str) -> dict[str, Any]:
    feed = _feed_named(name)
    try:
        if change == "remove":
            return remove_source(database(), feed, source)
        return set_source_state(database(), feed, source, change)
    except (NotFound, FeedError) as error:
        raise click.ClickException(str(error)) from error


@feed_group.command("pause")
@click.argument("name")
@click.argument("source")
def feed_pause_command(name: str, source: str) -> None:
    """Pause SOURCE (its id or spec) of feed NAME; the collected items stay."""
    found = _change_source(name, source, "paused")
    click.echo(f"Paused {found['spec']} of feed {name}.")


@feed_group.command("resume")
@click.argument("name")
@click.argument("source")
def feed_resume_command(name: str, source: str) -> None:
    """Resume SOURCE (its id or spec) of feed NAME where it stopped."""
    found = _change_source(name, source, "running")
    click.echo(f"Resumed {found['spec']} of feed {name}.")


@feed_group.command("remove-source")
@click.argument("name")
@click.argument("source")
def feed_remove_source_command(name: str, source: str) -> None:
    """Stop following SOURCE (its id or spec) in feed NAME; the collected items stay."""
    found = _change_source(name, source, "remove")
    click.echo(f"Removed {found['spec']} from feed {name}; its {found['items']} items stay.")


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


def init_app(app: Flask) -> None:
    """Register every command on the app."""
    for command in (
        create_curator_command,
        create_token_command,
        tokens_command,
        revoke_token_command,
        feed_group,
        collect_command,
        export_command,
        import_command,
    ):
        app.cli.add_command(command)
