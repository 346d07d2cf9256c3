"""Each table of the schema is written by one module: a second writer fails here, naming both.

The scan reads the source (no import): every SQL string under aggregator/, stories/ and web/
that INSERTs, UPDATEs, DELETEs or REPLACEs a table, migrations excluded.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("aggregator", "stories", "web")
EXCLUDED = {"aggregator/migrations.py"}
OWNERS = {
    "curators": "stories/curators.py",
    "elements": "stories/elements.py",
    "events": "aggregator/eventlog.py",
    "feed_items": "aggregator/membership.py",
    "insight_buckets": "aggregator/membership.py",
    "feeds": "aggregator/feeds.py",
    "forget_log": "aggregator/forget.py",
    "forgotten_authors": "aggregator/forgotten.py",
    "items": "aggregator/items.py",
    "login_failures": "web/accounts/throttle.py",
    "sources": "aggregator/feed_sources.py",
    "stories": "stories/model.py",
    "story_editors": "stories/roles.py",
    "tokens": "stories/curators.py",
}
# SQL is written in capitals here; prose ("update or delete") is not SQL. An upsert's
# `ON CONFLICT ... DO UPDATE SET` writes the table of its INSERT, not one named SET.
WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+[A-Z]+)?\s+INTO|REPLACE\s+INTO|(?<!DO )UPDATE(?:\s+OR\s+[A-Z]+)?"
    r"|DELETE\s+FROM)\s+(\w+)"
)


def _strings(tree: ast.AST) -> list[str]:
    """Every string constant, with f-strings and implicitly joined literals read as one text."""
    texts, parts = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts.update(id(value) for value in node.values)
            texts.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            texts.append(node.value)
    return texts


def writers() -> dict[str, set[str]]:
    """Table -> the modules that write it."""
    found: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            if module in EXCLUDED:
                continue
            for text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
                for table in WRITE.findall(text):
                    found[table.lower()].add(module)
    return found


def test_the_scan_sees_every_owner_write():
    found = writers()
    assert set(found) >= set(OWNERS) - {"login_failures"} | {"items", "feed_items", "stories"}


def test_each_table_has_one_writer_its_owner():
    problems = [
        f"{table}: written by {', '.join(sorted(modules))} (owner: {OWNERS.get(table, 'none declared')})"
        for table, modules in sorted(writers().items())
        if modules != {OWNERS.get(table)}
    ]
    assert not problems, "\n".join(problems)


def test_an_upsert_writes_the_table_of_its_insert():
    upsert = "INSERT INTO insight_buckets (n) VALUES (?) ON CONFLICT (n) DO UPDATE SET n = 1"
    tree = ast.parse(f"tx.execute({upsert!r})")
    assert WRITE.findall(" ".join(_strings(tree))) == ["insight_buckets"]


def test_the_scan_catches_a_second_writer():
    tree = ast.parse('tx.execute(f"UPDATE feed_items SET seq = ? WHERE {where}")')
    assert WRITE.findall(" ".join(_strings(tree))) == ["feed_items"]
