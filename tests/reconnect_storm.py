"""A crowd of real Socket.IO clients that rejoin a feed at once, each `after` seqs behind.

    python -m tests.reconnect_storm URL FEED CLIENTS AFTER BEHIND

Run by test_frames_live.py in its own process (the crowd's threads never slow the test).
Each client speaks Engine.IO 4 / Socket.IO 5 over a websocket (websocket-client), answers
pings and follows the feed with `"frames": true` the way static/js/live.js does: it pages
with `more`, waits `retry_after` when told to, and applies a frame that arrives before its
acknowledgement after it. Prints `storming` once every client is connected and the joins
went out; then reads the log's last seq from stdin, waits until every client has it, and
prints one JSON line: each client's applied seqs, in the order it applied them, and how
long the crowd took to be in the room with the BEHIND events it had missed (a figure only).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import websocket


class Viewer:
    def __init__(self, url: str, feed: str, after: int, progress: threading.Condition) -> None:
        # websocket-client checks UTF-8 in pure Python (~1 ms per 1 KB post): browsers do it natively.
        self.ws = websocket.create_connection(url, timeout=60, skip_utf8_validation=True)
        assert self.ws.recv().startswith("0")  # Engine.IO open
        self.ws.send("40")  # Socket.IO connect to "/"
        assert self.ws.recv().startswith("40")
        self.feed, self.last, self.progress = feed, after, progress
        self.applied: list[int] = []
        self.early: list[list[dict]] = []
        self.joined = False
        self.acks = 0
        self.worker: int | None = None  # which web worker served it, when there are several
        self.error: str | None = None

    def join(self) -> None:
        self.acks += 1
        body = {"feed": self.feed, "after": self.last, "frames": True}
        self.ws.send(f"42{self.acks}" + json.dumps(["join", body]))

    def apply(self, events: list[dict]) -> None:
        for event in events:
            seq = event["data"]["seq"]
            if seq <= self.last:
                self.error = f"seq {seq} again after {self.last}"
            self.last = seq
            self.applied.append(seq)

    def read(self) -> None:
        while True:
            try:
                packet = self.ws.recv()
            except (websocket.WebSocketException, OSError):
                return
            if packet == "2":
                self.ws.send("3")  # Engine.IO pong
            elif packet.startswith("43"):
                (ack,) = json.loads(packet[2:].lstrip("0123456789"))
                self.acknowledged(ack)
            elif packet.startswith('42["frame"'):
                _, frame = json.loads(packet[2:])
                if self.joined:
                    self.apply(frame["events"])
                else:
                    self.early.append(frame["events"])
            with self.progress:
                self.progress.notify_all()

    def acknowledged(self, ack: dict) -> None:
        if ack.get("retry_after"):
            time.sleep(ack["retry_after"])
            self.join()
        elif not ack.get("ok"):
            self.error = ack.get("error")
        else:
            self.worker = ack.get("worker")
            self.apply(ack["events"])
            if ack["more"]:
                self.join()
                return
            self.joined = True
            for events in self.early:
                self.apply(events)
            self.early = []


def storm(url: str, feed: str, clients: int, after: int, behind: int) -> None:
    progress = threading.Condition()
    address = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with ThreadPoolExecutor(16) as pool:
        crowd = list(pool.map(lambda _: Viewer(address, feed, after, progress), range(clients)))
    for viewer in crowd:
        viewer.ws.settimeout(None)
        threading.Thread(target=viewer.read, daemon=True).start()
    started = time.monotonic()
    for viewer in crowd:  # all at once, as after a Wi-Fi drop in a hall
        viewer.join()
    print("storming", flush=True)
    with progress:
        progress.wait_for(lambda: all((v.joined and len(v.applied) >= behind) or v.error for v in crowd), 120)
    caught_up = time.monotonic() - started
    final = int(sys.stdin.readline())
    with progress:
        progress.wait_for(lambda: all(v.last >= final or v.error for v in crowd), timeout=120)
    result = [{"applied": v.applied, "error": v.error, "joined": v.joined, "worker": v.worker} for v in crowd]
    print(json.dumps({"caught_up_seconds": round(caught_up, 3), "clients": result}), flush=True)
    for viewer in crowd:
        viewer.ws.close()


if __name__ == "__main__":
    storm(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
