"""`flask --app app forget AUTHOR`: take an author's posts down everywhere, on their request."""

from __future__ import annotations

import getpass

import click
from flask import current_app
from flask.cli import with_appcontext

from aggregator import forget, forgotten
from aggregator.sources import SourceError
from aggregator.sources.appview import AppViewConsent
from web.lookups import database


def _with_bluesky_did(person: forgotten.Person) -> forgotten.Person:
    """A Bluesky handle also names its DID (a Jetstream post knows its author by DID only)."""
    handles = [key for key in person.keys if not key.startswith("did:")]
    if person.network != "bluesky" or not handles:
        return person
    try:
        did = AppViewConsent(current_app.config).did_of(handles[0])
    except SourceError as error:
        click.echo(f"Warning: {error}; posts stored under the author's DID alone are not matched.", err=True)
        return person
    return forgotten.Person(person.network, person.keys | {did}) if did else person


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "the command line"


@click.command("forget")
@with_appcontext
@click.argument("author")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--by", "actor", help="Who asked for it to be done (the audit entry); default: this OS user.")
def forget_command(author: str, yes: bool, actor: str | None) -> None:
    """Remove every post of AUTHOR from every feed, story and future export, and refuse their next posts.

    AUTHOR is a handle or a profile URL: @alice@mastodon.social, https://mastodon.social/@alice,
    alice.bsky.social, did:plc:…, @alice (X) or https://x.com/alice.
    """
    try:
        person = _with_bluesky_did(forgotten.parse_author(author))
    except forgotten.AuthorError as error:
        raise click.ClickException(str(error)) from error
    reach = forget.preview(database(), person)
    what = f"{reach.items} post(s) of {author} ({person.network})"
    what += f" in {reach.feeds} feed(s) and {reach.stories} story(ies)"
    if not yes:
        click.confirm(f"Remove {what}, and refuse their future posts?", abort=True)
    done = forget.forget(database(), person, actor or _os_user())
    click.echo(
        f"Removed {done.items} post(s) from {done.feeds} feed(s) and {done.stories} story(ies);"
        f" future posts of {author} are refused. The takedown is logged (who, when, how many)."
    )
