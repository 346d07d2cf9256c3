"""`flask --app app create-curator`, `create-token`, `tokens` and `revoke-token`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import with_appcontext

from stories.curators import CuratorError, create_curator, create_token, list_tokens, revoke_token
from web.lookups import database

T = TypeVar("T")


def _curators(change: Callable[..., T], *args: Any) -> T:
    """Run an account change on the database; a CuratorError becomes the command's message."""
    try:
        return change(database(), *args)
    except CuratorError as error:
        raise click.ClickException(str(error)) from error


@click.command("create-curator")
@with_appcontext
@click.argument("name")
@click.option("--password", help="Password for logging in (8+ characters); omit for a token-only account.")
def create_curator_command(name: str, password: str | None) -> None:
    """Create a curator account NAME."""
    _curators(create_curator, name, password)
    click.echo(f"Created curator {name}.")


@click.command("create-token")
@with_appcontext
@click.argument("name")
def create_token_command(name: str) -> None:
    """Create an API token for curator NAME; the token is printed alone on the last line."""
    token = _curators(create_token, name)
    click.echo(f"API token for {name} (shown once; send it as 'Authorization: Bearer TOKEN'):")
    click.echo(token)


@click.command("tokens")
@with_appcontext
@click.argument("name")
def tokens_command(name: str) -> None:
    """List the API tokens of curator NAME: id and creation time (the tokens are never shown again)."""
    tokens = _curators(list_tokens, name)
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
    _curators(revoke_token, name, token_id)
    click.echo(f"Revoked token {token_id} of {name}.")


COMMANDS = (create_curator_command, create_token_command, tokens_command, revoke_token_command)
