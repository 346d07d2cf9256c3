"""Layers import downwards only; no module imports one that imports it back or hides an import.

Read from the source (no import): app.py -> web/ -> stories/ -> aggregator/.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("aggregator", "stories", "web")  # each may import only the ones before it, and itself
ACYCLIC = ("aggregator", "stories")


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(module, inside a function?) per import of a project module; `from pkg import sub` is `sub`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            targets = [n for n in names if n in modules] or [node.module]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found += [(target, node.col_offset > 0) for target in targets if target in modules]
    return found


def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {t for t, _ in _imports(path, modules)} - {name} for name, path in modules.items()}


def cycles(edges: dict[str, set[str]], prefixes: tuple[str, ...]) -> list[list[str]]:
    """Every module that reaches itself again, with the path it takes."""
    found = []
    for start in (n for n in edges if n.startswith(prefixes)):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    found.append([*path, start])
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found


def test_no_module_imports_one_that_imports_it_back():
    assert cycles(graph(), ACYCLIC) == []


def test_no_import_hides_in_a_function():
    modules = _modules()
    hidden = [
        f"{name} imports {target} inside a function"
        for name, path in modules.items()
        if name.startswith(ACYCLIC)
        for target, nested in _imports(path, modules)
        if nested
    ]
    assert hidden == []


def test_layers_import_downwards_only():
    upwards = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in targets
        if LAYERS.index(target.split(".")[0]) > LAYERS.index(name.split(".")[0])
    ]
    assert upwards == []


def test_the_cycle_check_sees_a_cycle():
    assert cycles({"aggregator.a": {"aggregator.b"}, "aggregator.b": {"aggregator.a"}}, ACYCLIC)
