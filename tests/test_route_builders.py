"""The URL builders the test apps share (tests/route_builders.py) are the ones werkzeug compiles."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Map, Rule

from tests.route_builders import compile_builder


def _code(function: Any) -> tuple[Any, ...]:
    code = function.__code__
    return code.co_code, code.co_consts, code.co_names, code.co_varnames


def test_every_rule_of_the_app_builds_with_the_code_werkzeug_compiles_for_it(app):
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 40
    for rule in rules:
        for append_unknown in (False, True):
            shared = rule._compile_builder(append_unknown)
            assert _code(shared) == _code(compile_builder(rule, append_unknown)), rule.rule


def test_a_default_that_fills_a_variable_is_compiled_for_its_own_rule():
    first = Map([Rule("/page/<int:number>", endpoint="page", defaults={"number": 1})]).bind("example.org")
    second = Map([Rule("/page/<int:number>", endpoint="page", defaults={"number": 2})]).bind("example.org")
    assert first.build("page") == "/page/1"
    assert second.build("page") == "/page/2"
