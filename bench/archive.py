"""Export and import times for a big story: `python -m bench.archive [--elements 5000]`.

Builds a synthetic story (headings, paragraphs, links, posts with media and annotations)
on a fresh temporary database, then times each export format and the re-imports.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.db import Database  # noqa: E402
from bench.synthetic import synthetic_archive  # noqa: E402
from stories.archive import from_archive  # noqa: E402
from stories.formats import export_story, read_story_archive  # noqa: E402


def timed(label: str, action: Callable[[], Any], results: dict[str, dict[str, float]]) -> Any:
    """Run `action`; print and record its wall time and its CPU time (steadier on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    results[label] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    print(f"{label:<34} {results[label]['wall']:7.2f} s wall {results[label]['cpu']:7.2f} s CPU", flush=True)
    return value


def main() -> None:
    """Time the archive round trip for a story of --elements elements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elements", type=int, default=5000)
    count = parser.parse_args().elements
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.sqlite")
        archive = synthetic_archive(count, slug="bench")
        print(f"{count} elements, {len(archive['items'])} posts")
        story = timed("import synthetic archive (JSON)", lambda: from_archive(db, archive), results)
        exports = {}
        for fmt in ("json", "html", "md"):
            exports[fmt] = timed(f"export {fmt}", lambda fmt=fmt: export_story(db, story, fmt).text, results)
            print(f"{'':<34} {len(exports[fmt].encode()) / 1e6:7.2f} MB")
        for fmt in ("json", "html"):
            timed(
                f"import the {fmt} export",
                lambda fmt=fmt: from_archive(
                    db, read_story_archive(exports[fmt], "tagstory"), slug=f"again-{fmt}"
                ),
                results,
            )
        db.close()
    seconds = {label: {k: round(v, 3) for k, v in times.items()} for label, times in results.items()}
    print(json.dumps({"elements": count, "seconds": seconds}))


if __name__ == "__main__":
    main()
