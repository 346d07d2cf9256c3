"""Frames over real websockets against `python app.py`: python-socketio clients, a crowd
that rejoins at once (a Wi-Fi drop in a hall) while live delivery goes on.

The posts are written by this process into the server's database, as a collector process
would; the server notices them within TAGSTORY_POLL_SECONDS.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from typing import Any

import pytest
import socketio
import websocket

from aggregator.db import Database
from aggregator.eventlog import last_seq
from aggregator.feeds import create_feed, get_feed
from aggregator.items import item_from_dict, store_items
from tests.conftest import ROOT, wait_for
from tests.test_workers import workers_answering

STORM = int(os.environ.get("STORM_CLIENTS", "150"))
BEHIND = 100


class Poster:
    """Writes posts of about 1 KB into a live server's feed, from outside its process."""

    def __init__(self, path: str, feed: str) -> None:
        self.db = Database(path)
        self.feed = get_feed(self.db, feed) or create_feed(self.db, feed, f"#{feed}", [])
        self.count = 0

    def post(self, n: int = 1) -> list[int]:
        posts = []
        for _ in range(n):
            self.count += 1
            text = f"post {self.count} from the hall " + "and a long sentence about it " * 33
            posts.append(
                item_from_dict(
                    {"source": "test", "source_id": str(self.count), "text": text, "author": {"name": "T"}}
                )
            )
        return [item["seq"] for item in store_items(self.db, self.feed, posts)]


class Follower:
    """A python-socketio client over websocket that follows a feed (with frames or per event)."""

    def __init__(self, url: str, feed: str, frames: bool, after: int = 0) -> None:
        self.applied: list[int] = []
        self.client = socketio.Client(reconnection=False)
        self.lock = threading.Lock()
        self.early: list[list[int]] = []
        self.joined = False
        self.joins = 0
        if frames:
            self.client.on("frame", lambda frame: self._live([e["data"]["seq"] for e in frame["events"]]))
        else:
            self.client.on("item", lambda data: self._live([data["seq"]]))
        self.client.connect(url, transports=["websocket"])
        while True:
            self.joins += 1
            ack = self.client.call("join", {"feed": feed, "after": after, "frames": frames}, timeout=30)
            assert ack["ok"], ack
            with self.lock:
                self.applied += [e["data"]["seq"] for e in ack["events"]]
            after = ack["last_seq"]
            if not ack["more"]:
                break
        with self.lock:
            self.joined = True
            for seqs in self.early:
                self.applied += seqs

    def _live(self, seqs: list[int]) -> None:
        with self.lock:
            if self.joined:
                self.applied += seqs
            else:
                self.early.append(seqs)

    def close(self) -> None:
        self.client.disconnect()


def test_frames_and_per_event_clients_over_websocket_get_every_post_once_in_order(tmp_path, live_server):
    server = live_server(env={"TAGSTORY_COLLECT": "0", "TAGSTORY_POLL_SECONDS": "0.05"})
    poster = Poster(server.database, "hall")
    written = poster.post(5)
    framed, classic = Follower(server.url, "hall", True), Follower(server.url, "hall", False)
    leaving = Follower(server.url, "hall", True, after=written[1])
    try:
        for _ in range(6):
            written += poster.post(3)
        wait_for(lambda: leaving.applied and leaving.applied[-1] == written[-1], timeout=30)
        leaving.close()  # gone for a while, then back from where it was
        written += poster.post(10)
        back = Follower(server.url, "hall", True, after=leaving.applied[-1])
        written += poster.post(4)
        everyone = (framed, classic, back)
        wait_for(lambda: all(f.applied and f.applied[-1] == written[-1] for f in everyone), timeout=30)
    finally:
        for follower in (framed, classic, leaving):
            follower.close()
    assert framed.applied == written and classic.applied == written
    assert leaving.applied + back.applied == written[2:]


def test_a_frames_viewer_500_behind_gets_in_with_one_join_every_post_once_in_order_while_posts_go_on(
    live_server,
):
    server = live_server(env={"TAGSTORY_COLLECT": "0", "TAGSTORY_POLL_SECONDS": "0.05"})
    poster = Poster(server.database, "hall")
    written = poster.post(500)
    posting = threading.Thread(target=lambda: [written.extend(poster.post(2)) for _ in range(20)])
    posting.start()
    back = Follower(server.url, "hall", True)
    try:
        posting.join()
        wait_for(lambda: back.applied and back.applied[-1] == written[-1], timeout=30)
    finally:
        back.close()
    assert back.joins == 1
    assert back.applied == written


def test_a_join_just_after_another_process_wrote_a_burst_gets_it_at_once_without_waiting_for_the_poll(
    live_server,
):
    server = live_server(env={"TAGSTORY_COLLECT": "0", "TAGSTORY_POLL_SECONDS": "60"})
    poster = Poster(server.database, "hall")
    written = poster.post(300)  # no doorbell: the server would only notice at its next poll
    back = Follower(server.url, "hall", True)
    try:
        wait_for(lambda: back.applied and back.applied[-1] == written[-1], timeout=10)
    finally:
        back.close()
    assert back.joins == 1
    assert back.applied == written


def test_a_crowd_rejoining_at_once_is_caught_up_exactly_while_live_viewers_keep_receiving(
    tmp_path, live_server
):
    server = live_server(env={"TAGSTORY_COLLECT": "0", "TAGSTORY_POLL_SECONDS": "0.05"})
    _storm(server, STORM)


def test_a_crowd_rejoining_two_workers_at_once_is_caught_up_exactly_on_both(tmp_path, live_server, redis_url):
    server = live_server(
        env={
            "TAGSTORY_COLLECT": "0",
            "TAGSTORY_POLL_SECONDS": "0.05",
            "TAGSTORY_WEB_WORKERS": "2",
            "TAGSTORY_MESSAGE_QUEUE": redis_url,
        }
    )
    assert workers_answering(server.url) == {"0", "1"}  # both listen before the crowd comes
    result = _storm(server, 60)
    assert {r["worker"] for r in result} == {0, 1}  # the kernel spread the crowd over both


def _storm(server: Any, clients: int) -> list[dict[str, Any]]:
    """`clients` new sockets rejoin BEHIND posts back at once while posts go on; check what each applied."""
    poster = Poster(server.database, "hall")
    written = poster.post(20)
    left_at = written[-1]  # where the crowd was when the Wi-Fi dropped
    live = [Follower(server.url, "hall", frames, after=left_at) for frames in (True, True, False)]
    written += poster.post(BEHIND)
    crowd = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reconnect_storm",
            server.url,
            "hall",
            str(clients),
            str(left_at),
            str(BEHIND),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert crowd.stdout.readline().strip() == "storming"
        for _ in range(20):  # live delivery goes on while the crowd catches up
            written += poster.post(2)
        crowd.stdin.write(f"{written[-1]}\n")
        crowd.stdin.flush()
        report = json.loads(crowd.stdout.readline())
        result: list[dict[str, Any]] = report["clients"]
        wait_for(lambda: all(f.applied and f.applied[-1] == written[-1] for f in live), timeout=30)
    finally:
        crowd.kill()
        crowd.wait()
        crowd.stdout.close()
        crowd.stdin.close()
        for follower in live:
            follower.close()
    took = report["caught_up_seconds"]
    print(f"\n{clients} viewers {BEHIND} events behind: in the room and caught up in {took} s")
    expected = [seq for seq in written if seq > left_at]
    assert written[-1] == last_seq(poster.db)
    assert len(result) == clients
    assert [r["error"] for r in result if r["error"]] == []
    assert all(r["joined"] and r["applied"] == expected for r in result)
    assert all(f.applied == expected for f in live)
    return result


@pytest.mark.slow  # more than the kernel's largest send buffer (4 MB) must be held back
def test_a_viewer_that_stops_reading_gets_every_frame_whole_and_in_order_when_it_reads_again(live_server):
    """The broadcaster writes frames straight to idle websockets (web/wire.py); a viewer whose
    kernel buffers are full gets part of a frame at once and the rest, and every later frame,
    behind it: when it reads again, every post arrives once, in order, in intact frames."""
    server = live_server(env={"TAGSTORY_COLLECT": "0", "TAGSTORY_POLL_SECONDS": "0.05"})
    poster = Poster(server.database, "hall")
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    tiny_buffer = ((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)
    viewer = websocket.create_connection(url, sockopt=tiny_buffer, timeout=30)
    try:
        assert viewer.recv().startswith("0")
        viewer.send("40")
        assert viewer.recv().startswith("40")
        viewer.send("420" + json.dumps(["join", {"feed": "hall", "after": 0, "frames": True}]))
        ack = json.loads(viewer.recv()[3:])[0]
        assert ack["ok"] and ack["events"] == []
        written: list[int] = []
        for _ in range(200):  # ~6.5 MB of frames while the viewer reads nothing: sends fill up
            written += poster.post(25)
        received: list[int] = []
        while not received or received[-1] < written[-1]:
            message = viewer.recv()
            if message == "2":
                viewer.send("3")
                continue
            event, frame = json.loads(message[2:])
            assert event == "frame"
            received += [e["data"]["seq"] for e in frame["events"]]
    finally:
        viewer.close()
    assert received == written
