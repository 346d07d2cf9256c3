"""An edge started without what it needs says so, without a traceback, and starts nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.support import ROOT

pytestmark = pytest.mark.process


def _start(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "TAGSTORY_DATABASE": str(tmp_path / "e.sqlite"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_edge_without_a_message_queue_is_a_clear_error(tmp_path):
    result = _start(tmp_path, TAGSTORY_ROLE="edge")
    assert result.returncode != 0
    assert "TAGSTORY_ROLE=edge needs TAGSTORY_MESSAGE_QUEUE" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "e.sqlite").exists()


def test_an_unknown_role_is_a_clear_error(tmp_path):
    result = _start(tmp_path, TAGSTORY_ROLE="proxy")
    assert result.returncode != 0
    assert "TAGSTORY_ROLE must be one of primary, edge, not 'proxy'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "e.sqlite").exists()
