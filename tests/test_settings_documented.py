"""Docs that the tests keep honest: every setting and every command is documented."""

from __future__ import annotations

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


def test_every_environment_variable_read_is_a_declared_setting():
    declared = {f"TAGSTORY_{s.name}" for s in settings.SETTINGS}
    assert set(settings.from_environment({name: "1" for name in declared})) == {
        s.name for s in settings.SETTINGS
    }
    assert settings.from_environment({"TAGSTORY_DEMO": "off", "TAGSTORY_REPLAY_SPEED": "2.5"}) == {
        "DEMO": False,
        "REPLAY_SPEED": 2.5,
    }


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
