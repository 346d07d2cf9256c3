"""web/ is grouped by feature, its modules import no cycle, and each view declares its own CSP."""

from __future__ import annotations

import ast
from pathlib import Path

from stories.demo import install_demo
from web.security import CSP, EXPORT_CSP

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ("feeds", "stories", "desk", "archive", "accounts")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of web/ and app.py, and the project modules it imports (at any depth of its code)."""
    paths = [*ROOT.glob("web/**/*.py"), ROOT / "app.py"]
    modules = {_module_name(path): path for path in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {module for module in found if module in modules and module != name}
    return graph


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    path, seen = [start], set()

    def walk(module: str) -> list[str] | None:
        for imported in sorted(graph[module]):
            if imported == start:
                return [*path, start]
            if imported not in seen:
                seen.add(imported)
                path.append(imported)
                found = walk(imported)
                if found:
                    return found
                path.pop()
        return None

    return walk(start)


def test_no_module_of_web_imports_one_that_imports_it_back():
    graph = _imports()
    # A feature package's __init__ wires its own modules; they never import it back.
    cycles = [cycle for module in graph if (cycle := _cycle_from(module, graph))]
    assert cycles == []
    assert not any("app" in imported for imported in graph.values())


def test_each_feature_is_one_package_wired_by_app_py():
    graph = _imports()
    for feature in FEATURES:
        assert (ROOT / "web" / feature / "__init__.py").exists()
        assert f"web.{feature}" in graph["app"]


def test_no_view_is_told_apart_by_its_endpoint_name():
    """Headers and limits are declared by the view that needs them, not keyed on `request.endpoint`."""
    readers = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("web/**/*.py")
        if "request.endpoint" in path.read_text()
    ]
    assert readers == []


def test_the_export_file_has_its_own_policy_and_its_error_page_the_sites(client, db):
    install_demo(db)
    assert client.get("/stories/kredcrew-summit/export.html").headers["Content-Security-Policy"] == EXPORT_CSP
    missing = client.get("/stories/no-such-story/export.html")
    assert missing.status_code == 404
    assert missing.headers["Content-Security-Policy"] == CSP  # the error page's stylesheet may load


def test_a_revalidated_export_keeps_its_policy(client, db):
    install_demo(db)
    first = client.get("/stories/kredcrew-summit/export.html")
    again = client.get(
        "/stories/kredcrew-summit/export.html", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["Content-Security-Policy"] == EXPORT_CSP
