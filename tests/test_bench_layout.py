"""bench/ runs on its own: it shares bench/support.py with the tests and never imports tests/."""

from __future__ import annotations

import ast

from tests.conftest import ROOT


def _imported_modules(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_bench_never_imports_the_tests():
    offenders = {
        path.name: sorted(m for m in _imported_modules(path.read_text("utf-8")) if m.split(".")[0] == "tests")
        for path in sorted((ROOT / "bench").glob("*.py"))
    }
    assert not {name: modules for name, modules in offenders.items() if modules}
