"""The write path of an ingest (aggregator/db.py, items.py, membership.py): what it costs per
post, checked by what it executes, not by timing it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from aggregator.db import Database
from aggregator.items import item_from_dict, store_items
from bench.fanout import FEED, AppServer
from bench.support import ROOT, wait_for
from tests.factories import cheap_passwords, feed, post, post_dict

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)


def test_a_write_keeps_the_connections_compiled_statements(tmp_path: Path) -> None:
    """A flag pragma (sqlite_utils runs `PRAGMA recursive_triggers` when it wraps a connection)
    expires every prepared statement: run in each write, it made every write compile its SQL
    and its triggers' again."""
    db = Database(tmp_path / "t.sqlite")
    into = feed(db)
    executed: list[str] = []
    db._writer.set_trace_callback(executed.append)
    post(db, into, 1)
    with db.write() as tx:
        tx.execute("SELECT 1")
    assert executed, "the trace saw the writes"
    settings = [sql for sql in executed if sql.lstrip().upper().startswith("PRAGMA") and "=" in sql]
    assert not settings  # (FTS5 reads `PRAGMA data_version`: a read, which expires nothing)
    db.close()


@pytest.mark.parametrize(
    ("settings", "status"),
    [
        ({}, "approved"),
        ({"rules": {"blocked_words": ["summit"]}}, "hidden"),
        ({"moderation": "manual"}, "pending"),
    ],
    ids=["approved", "hidden by a rule", "held"],
)
def test_a_posts_answer_is_the_item_as_stored(client, curators, db, settings, status) -> None:
    """The 201 answer is built from what the write stored, without reading it back: it is
    exactly the 200 answer of the same post sent again (read from the database), with the
    item's status, reason, seq and raw payload."""
    auth = curators.token("ada")
    feed(db)
    if settings:
        assert client.patch("/api/feeds/demo", json=settings, headers=auth).status_code == 200
    body = {
        "source_id": "hook-7",
        "html": "<p>Summit <b>live</b> #Keynote https://example.org/a</p><script>x()</script>",
        "author": {"name": "Ada", "handle": "ada", "url": "https://example.org/@ada"},
        "media": [{"type": "image", "url": "https://img.example/1.jpg", "alt": "stage"}],
        "lang": "en-GB",
        "reply_to": "hook-1",
        "created_at": "2012-05-29T14:00:00-04:00",
        "extra": {"nested": [1, 2.5, None, "ü"]},
    }
    first = client.post("/api/feeds/demo/items", json=body, headers=auth)
    again = client.post("/api/feeds/demo/items", json=body, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert first.get_json()["raw"] == body and first.get_json()["status"] == status


def test_writes_that_meet_share_one_transaction_and_keep_their_own_errors(tmp_path: Path) -> None:
    """Group commit (Database.write_together): three posts arrive while another write holds the
    writer; they commit together, in arrival order, and the one that fails is undone alone: its
    item, its event and its publication are gone, and its caller alone gets its error."""
    published: list[dict] = []
    db = Database(tmp_path / "t.sqlite", publish=published.extend)
    into = feed(db)
    outcomes: dict[int, Any] = {}

    def work(n: int) -> Any:
        def in_transaction(tx: Any) -> Any:
            added = store_items(db, into, [item_from_dict(post_dict(n))])
            if n == 2:
                raise ValueError("post 2 fails after storing")
            return added[0]["seq"]

        return in_transaction

    def send(n: int) -> None:
        try:
            outcomes[n] = db.write_together(work(n))
        except ValueError as error:
            outcomes[n] = error

    begins: list[str] = []
    db._writer.set_trace_callback(lambda sql: begins.append(sql) if sql.startswith("BEGIN") else None)
    senders = [threading.Thread(target=send, args=(n,)) for n in (1, 2, 3)]
    with db.write():  # the writer is busy: the three gather meanwhile
        for n, sender in enumerate(senders, 1):
            sender.start()
            wait_for(lambda n=n: len(db._group or ()) == n, timeout=10)
        begins.clear()
    for sender in senders:
        sender.join(timeout=10)
    assert len(begins) == 1, "one transaction for the three"
    assert isinstance(outcomes[2], ValueError) and str(outcomes[2]) == "post 2 fails after storing"
    assert outcomes[1] < outcomes[3]
    assert [row["source_id"] for row in db.query("SELECT source_id FROM items ORDER BY rowid")] == ["1", "3"]
    logged = [row["seq"] for row in db.query("SELECT seq FROM events WHERE room = 'feed:demo' ORDER BY seq")]
    assert logged == [outcomes[1], outcomes[3]] == [event["seq"] for event in published]
    db.close()


def test_a_write_whose_commit_fails_publishes_nothing_and_leaves_the_writer_usable(tmp_path: Path) -> None:
    """A COMMIT refused (here a deferred foreign key, checked at COMMIT): the transaction is
    rolled back, none of its events is published, then or with the next write, and the next
    write commits (the writer was left inside the failed transaction, every BEGIN refused)."""
    published: list[dict] = []
    db = Database(tmp_path / "t.sqlite", publish=published.extend)
    into = feed(db)
    with db.write() as tx:
        tx.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
        tx.execute(
            "CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    with pytest.raises(sqlite3.IntegrityError), db.write() as tx:
        store_items(db, into, [item_from_dict(post_dict(1))])
        tx.execute("INSERT INTO children VALUES (42)")  # no parent 42: refused at COMMIT
    assert published == []
    added = store_items(db, into, [item_from_dict(post_dict(2))])
    assert [event["seq"] for event in published] == [added[0]["seq"]]
    assert [row["source_id"] for row in db.query("SELECT source_id FROM items")] == ["2"]
    db.close()


# Under gevent, as `python app.py` serves: a write waits for another process's lock (another web
# worker's write) while the other greenlets run. SQLite's busy handler slept with the whole
# process stopped: no viewer served, no request read, until the other write ended.
WAIT_FOR_THE_OTHER_WRITER = """
from gevent import monkey
monkey.patch_all()
import sqlite3, sys
import gevent
sys.path.insert(0, sys.argv[1])
from aggregator.db import Database

db = Database(sys.argv[2])
other_process = sqlite3.connect(sys.argv[2], isolation_level=None)  # its own lock, as a worker's
other_process.execute("BEGIN IMMEDIATE")
order = []

def write():
    with db.write() as tx:
        tx.execute("INSERT INTO login_failures (key, at) VALUES ('after', 'now')")
    order.append("written")

def meanwhile():
    order.append("served while the write waited")
    other_process.execute("COMMIT")

gevent.joinall([gevent.spawn(write), gevent.spawn(meanwhile)], raise_error=True)
print(order)
"""


@pytest.mark.process
def test_a_write_waiting_for_another_processs_lets_the_others_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WAIT_FOR_THE_OTHER_WRITER, str(ROOT), str(tmp_path / "t.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['served while the write waited', 'written']"


def test_a_post_does_not_count_the_feeds_items(client, curators, db) -> None:
    """Counting a feed's items costs what it holds (2.8 ms of a POST's CPU at 20,000 items):
    a post into it needs the feed's row, not its summary."""
    auth = curators.token("ada")
    feed(db)
    read: list[str] = []
    db._reader.set_trace_callback(read.append)
    db._writer.set_trace_callback(read.append)
    response = client.post(
        "/api/feeds/demo/items", json={"text": "hi", "author": {"name": "A"}}, headers=auth
    )
    assert response.status_code == 201
    assert read and not [sql for sql in read if "count(" in sql.lower()]
    assert client.post("/api/feeds/nope/items", json={"text": "hi"}, headers=auth).status_code == 404


@pytest.mark.process
def test_concurrent_posts_to_the_gevent_server_each_get_their_own_answer(tmp_path: Path) -> None:
    """`python app.py` (gevent): 16 keep-alive posters at once, as the bench's, so their posts
    can be committed in groups; each gets its own item and seq (a source_id sent twice: one 201,
    one 200 with the same item; a bad body: its own 400), and the feed's log holds every
    accepted post once, in seq order."""
    server = AppServer(tmp_path, None, 1, None)  # python app.py, a curator's token, the feed `bench`
    try:
        _post_at_once(server.url, {"Authorization": f"Bearer {server.token}"})
    finally:
        server.stop()


def _post_at_once(url: str, auth: dict[str, str]) -> None:
    bodies = [{"text": f"post {n}", "author": {"name": "A"}, "source_id": f"s{n % 40}"} for n in range(64)]
    bodies[5] = {"text": "", "author": {"name": "A"}}  # no text: 400
    answers: dict[int, requests.Response] = {}

    def poster(first: int) -> None:
        with requests.Session() as session:
            for n in range(first, len(bodies), 16):
                answers[n] = session.post(
                    f"{url}/api/feeds/{FEED}/items", json=bodies[n], headers=auth, timeout=30
                )

    posters = [threading.Thread(target=poster, args=(first,)) for first in range(16)]
    for each in posters:
        each.start()
    for each in posters:
        each.join(timeout=60)
    assert answers[5].status_code == 400
    by_source: dict[str, list[requests.Response]] = {}
    for n, answer in answers.items():
        if n != 5:
            by_source.setdefault(bodies[n]["source_id"], []).append(answer)
    for sent in by_source.values():
        assert sorted(answer.status_code for answer in sent) == [200] * (len(sent) - 1) + [201]
        assert len({answer.json()["id"] for answer in sent}) == 1
    accepted = [answer.json() for sent in by_source.values() for answer in sent if answer.status_code == 201]
    listed = requests.get(f"{url}/api/feeds/{FEED}/items", params={"limit": 500}, timeout=10)
    in_seq_order = sorted(accepted, key=lambda item: item["seq"])
    assert [(i["id"], i["seq"]) for i in listed.json()["items"]] == [
        (i["id"], i["seq"]) for i in in_seq_order
    ]
    assert len(in_seq_order) == 40  # s0..s39; s0..s23 sent twice, by two posters
