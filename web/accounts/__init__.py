"""Accounts: curators log in and out (pages), and are created and given API tokens (commands)."""

from __future__ import annotations

from flask import Flask

from web.accounts import commands, pages


def init_app(app: Flask) -> None:
    """Mount the login and logout pages; register the account commands."""
    app.register_blueprint(pages.pages)
    for command in commands.COMMANDS:
        app.cli.add_command(command)
