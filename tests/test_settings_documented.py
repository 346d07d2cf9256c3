"""Docs that the tests keep honest: every setting and every command is documented."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from web import settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _documentation() -> str:
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text("utf-8") for page in pages if page.exists())


def test_docs_settings_holds_the_table_generated_from_settings():
    page = (ROOT / "docs" / "settings.md").read_text("utf-8")
    assert settings.markdown_table() in page, (
        "run: python -m web.settings, and paste it into docs/settings.md"
    )


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_with_its_variable_and_help(setting):
    page = (ROOT / "docs" / "settings.md").read_text("utf-8")
    assert f"`TAGSTORY_{setting.name}`" in page
    assert setting.help.replace("|", "\\|") in page


# Production code, what `make run` and `flask --app app` execute (tests and bench/ only set variables).
PRODUCTION = [
    ROOT / "app.py",
    *(path for package in ("aggregator", "stories", "web") for path in (ROOT / package).rglob("*.py")),
]
DECLARATION = ROOT / "web" / "settings.py"  # reads TAGSTORY_<NAME> for every declared name, by a computed key


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` or a bare `environ` (from os import environ, or a parameter standing for it)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _key(node: ast.AST | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "<computed>"


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, variable) for every environment read in `source`: environ.get/[]/in, os.getenv."""
    reads = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            function = node.func
            getenv = (isinstance(function, ast.Attribute) and function.attr == "getenv") or (
                isinstance(function, ast.Name) and function.id == "getenv"
            )
            environ_get = (
                isinstance(function, ast.Attribute)
                and function.attr in ("get", "pop", "setdefault")
                and _is_environ(function.value)
            )
            if getenv or environ_get:
                reads.append((node.lineno, _key(node.args[0] if node.args else None)))
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            reads.append((node.lineno, _key(node.slice)))
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            reads.append((node.lineno, _key(node.left)))
    return reads


def undeclared_reads(source: str, declaration: bool = False) -> list[tuple[int, str]]:
    """The reads of `source` that are no declared setting (computed keys: only in the declaration)."""
    declared = {f"TAGSTORY_{s.name}" for s in settings.SETTINGS} | {v.name for v in settings.SERVER_VARIABLES}
    if declaration:
        declared.add("<computed>")
    return [(line, name) for line, name in environment_reads(source) if name not in declared]


@pytest.mark.parametrize("path", PRODUCTION, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_environment_variable_read_is_a_declared_setting(path):
    found = undeclared_reads(path.read_text("utf-8"), declaration=path == DECLARATION)
    assert not found, f"{path.relative_to(ROOT)} reads undeclared variables (line, name): {found}"


def test_the_scan_sees_every_way_of_reading_the_environment():
    source = (
        "import os\nfrom os import environ, getenv\n"
        "a = os.environ.get('PORTS', '1')\nb = os.environ['SHELL']\nc = os.getenv('TAGSTORY_NOPE')\n"
        "d = getenv('LANG')\ne = environ.get(name)\nf = 'TZ' in os.environ\n"
        "g = os.environ.get('TAGSTORY_DEMO')\nh = os.environ.get('PORT')\n"
    )
    assert sorted(undeclared_reads(source)) == [
        (3, "PORTS"),
        (4, "SHELL"),
        (5, "TAGSTORY_NOPE"),
        (6, "LANG"),
        (7, "<computed>"),
        (8, "TZ"),
    ]


def test_environment_values_are_read_into_their_declared_settings():
    declared = {f"TAGSTORY_{s.name}" for s in settings.SETTINGS}
    assert set(settings.from_environment({name: "1" for name in declared})) == {
        s.name for s in settings.SETTINGS
    }
    assert settings.from_environment({"TAGSTORY_DEMO": "off", "TAGSTORY_REPLAY_SPEED": "2.5"}) == {
        "DEMO": False,
        "REPLAY_SPEED": 2.5,
    }
    assert settings.server_address({}) == ("127.0.0.1", 5000)
    assert settings.server_address({"HOST": "0.0.0.0", "PORT": "8000"}) == ("0.0.0.0", 8000)


def _commands(app) -> list[tuple[str, click.Command]]:
    found = []
    for name, command in app.cli.commands.items():
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", subcommand) for sub, subcommand in command.commands.items()]
        else:
            found.append((name, command))
    return found


@pytest.mark.skipif(not README.exists(), reason="README.md lands with the lead's commit")
def test_every_command_and_option_is_documented(app, subtests):
    text = _documentation()
    commands = _commands(app)
    assert {name for name, _ in commands} >= {"create-curator", "create-token", "collect", "export", "import"}
    for name, command in commands:
        with subtests.test(command=name):
            assert f"`{name}" in text, f"`flask --app app {name}` is not in README.md or docs/"
            for parameter in command.params:
                if isinstance(parameter, click.Option):
                    assert any(option in text for option in parameter.opts), f"{name} {parameter.opts}"


def test_environment_values_are_typed_like_their_defaults():
    found = settings.from_environment({"TAGSTORY_MAX_CONTENT_LENGTH": "1000", "TAGSTORY_COLLECT": "0"})
    assert found == {"MAX_CONTENT_LENGTH": 1000, "COLLECT": False}
