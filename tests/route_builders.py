"""Werkzeug's URL builders compiled once per test session instead of once per test app.

Flask compiles two small functions per route when an app is created (`Rule._compile_builder`,
an AST built and compiled): about 0.05 s of CPU per app, most of what a test app costs, and
the fast tier creates one per test. Such a function depends only on the rule's parsed parts
and on which names have defaults, and it takes its rule as an argument, so the same rule in
two apps can share it. A rule whose default fills one of its variables (folded into the code
through the rule's converter) is compiled as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

compile_builder = Rule._compile_builder  # werkzeug's own
_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _shared_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    defaults = rule.defaults or {}
    if any(dynamic and part in defaults for dynamic, part in rule._trace):
        return compile_builder(rule, append_unknown)
    key = (rule.rule, tuple(rule._trace), tuple(defaults), append_unknown)
    if key not in _builders:
        _builders[key] = compile_builder(rule, append_unknown)
    return _builders[key]


def share_route_builders() -> None:
    """Make every app of this process share the builders of identical rules."""
    Rule._compile_builder = _shared_builder  # type: ignore[method-assign]
