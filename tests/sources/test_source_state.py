"""What sources share across reconnects belongs to the collector that opens them, and dies with it."""

from __future__ import annotations

import socket
import threading

import pytest

from aggregator.collector import Collector
from aggregator.db import Database
from aggregator.sources import SourceError, open_source, parse_spec
from web.settings import defaults


def _closed_port() -> int:
    """A local port nobody listens on: a connection there is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_bluesky_source_rotation_lives_in_its_collector_only(tmp_path):
    port = _closed_port()
    settings = {
        **defaults(),
        "JETSTREAM_URLS": f"ws://127.0.0.1:{port}/first,ws://127.0.0.1:{port}/second",
        "FETCH_ALLOW_PRIVATE": True,
        "HTTP_TIMEOUT": 2,
    }
    db = Database(tmp_path / "state.db")
    try:
        busy, fresh = Collector(db, settings), Collector(db, settings)
        failed = open_source(parse_spec("bluesky"), "#kredcrew", settings, busy.source_state)
        with pytest.raises(SourceError, match="/first is unreachable"):
            next(failed.batches(None, threading.Event()))
        # Another collector starts over; the same collector's next source tries the other instance.
        other = open_source(parse_spec("bluesky"), "#kredcrew", settings, fresh.source_state)
        with pytest.raises(SourceError, match="/first is unreachable"):
            next(other.batches(None, threading.Event()))
        again = open_source(parse_spec("bluesky"), "#kredcrew", settings, busy.source_state)
        with pytest.raises(SourceError, match="/second is unreachable"):
            next(again.batches(None, threading.Event()))
    finally:
        db.close()
