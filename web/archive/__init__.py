"""The archive: a story's downloads and the import form (pages), `export` and `import` (commands),
and the cache that renders each story's export once per version."""

from __future__ import annotations

from flask import Flask

from web.archive import cache, commands, pages


def init_app(app: Flask) -> None:
    """Mount the downloads and the import form, answer 413s with their limit, register the commands."""
    cache.init_app(app)
    app.register_blueprint(pages.archive)
    app.register_error_handler(413, pages.too_large)
    for command in commands.COMMANDS:
        app.cli.add_command(command)
