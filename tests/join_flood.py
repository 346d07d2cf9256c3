"""A crowd of real Socket.IO clients that flood `join` with after=0 (run by test_join_flood.py).

    python -m tests.join_flood URL FEED CLIENTS JOINS

Each client speaks Engine.IO 4 / Socket.IO 5 over a websocket (websocket-client), reads
every frame the server sends and answers its pings, but decodes only the small
acknowledgements: the crowd must cost this process less than it costs the server. It runs
in its own process, so the crowd's threads never slow the test that measures the server.
Prints `flooding` when every client is connected and the joins go out, then one JSON line:
how many clients connected and how many acknowledgements came back, of what kind.
"""

from __future__ import annotations

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import websocket

THROTTLED = "too many joins; slow down"


class Crowd:
    def __init__(self, url: str, feed: str, joins: int) -> None:
        self.url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.join = json.dumps(["join", {"feed": feed, "after": 0}])
        self.joins = joins
        self.lock = threading.Lock()
        self.counts = {"acks": 0, "ok": 0, "throttled": 0, "other": 0}
        self.answered = threading.Condition(self.lock)

    def connect(self, _n: int) -> websocket.WebSocket:
        ws = websocket.create_connection(self.url, timeout=30, skip_utf8_validation=True)
        assert ws.recv().startswith("0")  # Engine.IO open
        ws.send("40")  # Socket.IO connect to "/"
        assert ws.recv().startswith("40")
        return ws

    def read(self, ws: websocket.WebSocket) -> None:
        while True:
            try:
                frame = ws.recv()
            except (websocket.WebSocketException, OSError):
                return
            if frame == "2":
                ws.send("3")  # Engine.IO pong
            elif frame.startswith("43"):  # an acknowledgement: 43<id>[{...}]
                kind = "other"
                if frame[2:].lstrip("0123456789").startswith('[{"ok":true'):
                    kind = "ok"
                elif THROTTLED in frame[:200]:
                    kind = "throttled"
                with self.lock:
                    self.counts["acks"] += 1
                    self.counts[kind] += 1
                    self.answered.notify_all()

    def flood(self, clients: int, timeout: float) -> dict[str, int]:
        with ThreadPoolExecutor(16) as pool:
            crowd = list(pool.map(self.connect, range(clients)))
        for ws in crowd:
            ws.settimeout(None)
            threading.Thread(target=self.read, args=(ws,), daemon=True).start()
        print("flooding", flush=True)
        for n in range(self.joins):
            for ws in crowd:
                ws.send(f"42{n}{self.join}")
        with self.lock:
            self.answered.wait_for(lambda: self.counts["acks"] >= clients * self.joins, timeout)
            result = {"connected": len(crowd), **self.counts}
        for ws in crowd:
            ws.close()
        return result


if __name__ == "__main__":
    url, feed, clients, joins = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(Crowd(url, feed, joins).flood(clients, timeout=50)), flush=True)
