"""Many Socket.IO viewers of one feed in one process, on a small raw Engine.IO v4 / Socket.IO v5 client.

One thread, non-blocking sockets and a selector: much lighter than a python-socketio
client (and its threads) per viewer, so a few processes hold a thousand viewers on a
small machine. Like a browser, each viewer offers permessage-deflate; when the server
accepts it (simple-websocket does, gevent-websocket does not) frames are inflated here.

The protocol, over one websocket to /socket.io/?EIO=4&transport=websocket:
"0{…}" open -> send "40"; "40{…}" connected -> send '420["join",{"feed":…}]';
'430[{…}]' the join's acknowledgement; '42["item",{…}]' live events; "2" ping -> "3".

Run by bench.fanout as `python -m bench.viewers URL FEED COUNT OUT [JOIN_SECONDS] [--frames]
[--hold | --reconnect]`: it prints "joined J failed F" once every viewer has joined (with
--hold: connected; with --reconnect: at once) or failed, then obeys, on stdin, "storm AFTER"
(every held viewer joins from seq AFTER at once; with --reconnect every viewer connects anew
and joins from AFTER) and "drain POSTED SECONDS": it waits until every viewer has all POSTED items or the
seconds are up, writes its results to OUT (JSON) and OUT.lat (latencies, float64) and exits.
A message may carry several items (a frame, or a join's missed events): each is counted.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import selectors
import socket
import sys
import time
import zlib
from array import array
from typing import Any
from urllib.parse import urlsplit

MARKER = b"tsbench:"  # items carry "tsbench:<index>:<ingest time.time()>:" in their text
MAX_ITEMS = 100_000  # per run; bench.fanout posts far fewer
JOIN_SECONDS = 60.0
LIFETIME_SECONDS = 900.0  # a worker whose orchestrator vanished still ends


def ws_frame(text: str, opcode: int = 0x1) -> bytes:
    """One masked client frame (clients must mask; the mask can be anything)."""
    data = text.encode()
    mask = os.urandom(4)
    size = len(data)
    if size < 126:
        header = bytes([0x80 | opcode, 0x80 | size])
    elif size < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class Viewer:
    """One websocket viewer: handshake, frame parsing, Engine.IO/Socket.IO packets."""

    def __init__(
        self,
        host: str,
        port: int,
        feed: str,
        frames: bool = False,
        hold: bool = False,
        rejoin_from: int | None = None,
    ) -> None:
        self.feed = feed
        self.frames = frames
        self.hold = hold  # connected, but joins only when told ("storm AFTER")
        self.connected = False
        self.after = rejoin_from or 0
        # A viewer back from a Wi-Fi drop: a new socket, joining from `rejoin_from` once
        # connected; its handshake is read by the selector, so a crowd connects at once.
        self.join_sent = time.time() if rejoin_from is not None else 0.0
        self.upgraded = False
        self.caught_up = 0.0
        self.caught_up_events = 0
        self.connected_at = 0.0  # when Socket.IO's connect came back
        self.joins = 0  # joins sent (a join answered with `more` is sent again)
        self.worker: int | None = None
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = bytearray()
        self.parts: list[bytes] = []
        self.compressed = False
        self.inflater: Any = None
        self.joined = False
        self.failed: str | None = None
        self.count = 0
        self.duplicates = 0
        self.bytes = 0
        self.messages = 0  # live events or frames received, and their bytes (as encoded, inflated)
        self.message_bytes = 0
        self.last_receive = 0.0
        self.seen = bytearray(MAX_ITEMS)
        self._upgrade(host, port, wait=rejoin_from is None)

    def _upgrade(self, host: str, port: int, wait: bool) -> None:
        """The HTTP Upgrade, offering permessage-deflate as browsers do (`wait`: for its answer)."""
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        if not wait:
            self.sock.setblocking(False)
            return
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during the websocket upgrade")
            response += chunk
        self._upgraded(bytearray(response))
        self.sock.setblocking(False)

    def _upgraded(self, response: bytearray) -> bool:
        """Read the upgrade's answer from `response` once it is whole; False while it is not."""
        head, found, rest = bytes(response).partition(b"\r\n\r\n")
        if not found:
            return False
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode(errors="replace")[:200])
        if b"permessage-deflate" in head.lower():
            self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self.upgraded = True
        self.buf[:] = rest
        return True

    def send(self, text: str) -> None:
        try:
            self.sock.sendall(ws_frame(text))
        except OSError as error:  # a tiny frame that does not fit: the server is stuck
            self.failed = f"send failed: {error}"

    def feed_bytes(self, data: bytes, now: float, latencies: array) -> None:
        """Parse every complete frame in the buffer (server frames are not masked)."""
        buf = self.buf
        buf += data
        if not self.upgraded:
            try:
                if not self._upgraded(buf):
                    return
            except ConnectionError as error:
                self.failed = f"upgrade refused: {error}"
                return
        pos, end = 0, len(buf)
        while end - pos >= 2:
            first, length = buf[pos], buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if end - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if end - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            self._frame(first, payload, now, latencies)
        del buf[:pos]

    def _frame(self, first: int, payload: bytes, now: float, latencies: array) -> None:
        opcode = first & 0x0F
        if opcode in (0x1, 0x2):
            self.compressed = bool(first & 0x40)
            self.parts = []
        if opcode in (0x0, 0x1, 0x2):
            self.parts.append(payload)
            if first & 0x80:  # FIN
                message = b"".join(self.parts)
                self.parts = []
                self.bytes += len(message)
                if self.compressed:
                    message = self.inflater.decompress(message + b"\x00\x00\xff\xff")
                self._packet(message, now, latencies)
        elif opcode == 0x8:
            self.failed = self.failed or "closed by the server"
        elif opcode == 0x9:
            self.sock.sendall(ws_frame(payload.decode(errors="replace"), opcode=0xA))

    def _packet(self, message: bytes, now: float, latencies: array) -> None:
        """One Engine.IO packet (Socket.IO packets ride in type 4, "message")."""
        if message.startswith(b"42"):  # an event: one item, or a frame of several
            self.messages += 1
            self.message_bytes += len(message)
            for index, sent in markers(message).items():
                if self._seen(index, now):
                    latencies.append(now - sent)
        elif message == b"2":
            self.send("3")
        elif message.startswith(b"430"):
            ack = acknowledgement(message)
            if not ack.get("ok"):
                self.failed = f"join refused: {ack.get('error')}"
                return
            self.worker = ack.get("worker")
            for index in markers(message):  # missed items: counted, not timed
                self.caught_up_events += self._seen(index, now)
            self.after = ack.get("last_seq", self.after)
            if ack.get("more"):
                self.join(self.after)
            else:
                self.joined = True
                self.caught_up = now
        elif message.startswith(b"40"):
            self.connected = True
            self.connected_at = now
            if not self.hold:
                self.join(self.after)
        elif message.startswith(b"0"):
            self.send("40")
        elif message.startswith((b"41", b"44", b"1")):
            self.failed = f"disconnected: {message[:200]!r}"

    def join(self, after: int) -> None:
        self.after = after
        self.joins += 1
        self.join_sent = self.join_sent or time.time()
        request: dict[str, Any] = {"feed": self.feed, "after": after}
        if self.frames:
            request["frames"] = True
        self.send("420" + json.dumps(["join", request]))

    def _seen(self, index: int, now: float) -> bool:
        """Record item `index`; False when it was already received."""
        if self.seen[index]:
            self.duplicates += 1
            return False
        self.seen[index] = 1
        self.count += 1
        self.last_receive = now
        return True


def acknowledgement(message: bytes) -> dict[str, Any]:
    """A join's acknowledgement ('430[{…}]') without its `events`, which `markers` reads.

    Decoding a 100-event acknowledgement (~130 KB) cost this client ~0.7 ms per returning
    viewer in a storm: an accepted one is read from its `"last_seq"` on, the keys the server
    writes after `events` (its events' own objects have no such key); a refusal is small.
    """
    tail = message.rfind(b',"last_seq":')
    if not message.startswith(b'430[{"ok":true,') or tail < 0:
        return json.loads(message[3:])[0]
    return {"ok": True, **json.loads(b"{" + message[tail + 1 : -1])}


def markers(message: bytes) -> dict[int, float]:
    """Every item in a message, as {index: ingest time} from its "tsbench:<index>:<time>:" text.

    An item's text and its HTML both carry the marker: one message names an item once.
    """
    found: dict[int, float] = {}
    start = message.find(MARKER)
    while start >= 0:
        start += len(MARKER)
        middle = message.index(b":", start)
        end = message.index(b":", middle + 1)
        found.setdefault(int(message[start:middle]), float(message[middle + 1 : end]))
        start = message.find(MARKER, end)
    return found


def run(
    url: str,
    feed: str,
    count: int,
    out: str,
    join_seconds: float = JOIN_SECONDS,
    frames: bool = False,
    hold: bool = False,
    reconnect: bool = False,
) -> None:
    """Connect `count` viewers, report when they joined, then record until told to drain.

    `frames` asks the server for frames; `hold` viewers only connect, and join when told
    "storm AFTER" (all at once, each from seq AFTER); `reconnect` viewers are not there
    until told "storm AFTER": then each opens a new socket and joins from AFTER (a Wi-Fi
    drop in a hall), its time counted from the command.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    selector = selectors.DefaultSelector()
    latencies = array("d")
    viewers: list[Viewer] = []
    errors: list[str] = []
    born = time.monotonic()
    for _ in range(0 if reconnect else count):
        try:
            viewer = Viewer(host, port, feed, frames, hold)
        except OSError as error:
            errors.append(f"connect: {error}")
            continue
        viewers.append(viewer)
        selector.register(viewer.sock, selectors.EVENT_READ, viewer)
        if viewer.buf:
            viewer.feed_bytes(b"", time.time(), latencies)
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    join_deadline = time.monotonic() + join_seconds
    announced = False
    drain: tuple[int, float] | None = None  # (items posted, deadline)
    while time.monotonic() - born < LIFETIME_SECONDS:
        for key, _ in selector.select(timeout=0.2):
            viewer = key.data
            if viewer is None:
                commands = os.read(sys.stdin.fileno(), 4096)
                if not commands:  # the orchestrator is gone
                    return
                for command in (line.split() for line in commands.splitlines() if line.strip()):
                    if command[0] == b"drain":
                        drain = (int(command[1]), time.monotonic() + float(command[2]))
                    elif command[0] == b"storm" and reconnect:
                        back = reconnected(host, port, feed, frames, count, int(command[1]), selector)
                        viewers += back
                        errors += ["connect failed"] * (count - len(back))
                    elif command[0] == b"storm":
                        for held in viewers:
                            if held.connected and not held.failed:
                                held.join(int(command[1]))
                continue
            try:
                data = viewer.sock.recv(262144)
            except BlockingIOError:
                continue
            except OSError as error:
                data, viewer.failed = b"", f"recv: {error}"
            if not data:
                viewer.failed = viewer.failed or "connection closed"
                selector.unregister(viewer.sock)
                continue
            viewer.feed_bytes(data, time.time(), latencies)
        ready = (
            [v for v in viewers if not v.failed and (v.connected if hold else v.joined)]
            if not announced
            else []
        )
        if not announced and (
            len(ready) == sum(not v.failed for v in viewers) or time.monotonic() > join_deadline
        ):
            joined = count if reconnect else len(ready)
            print(f"joined {joined} failed {count - joined}", flush=True)
            announced = True
        if drain and (
            all(v.count >= drain[0] for v in viewers if not v.failed) or time.monotonic() > drain[1]
        ):
            break
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "viewers": [
            {
                "joined": v.joined,
                "worker": v.worker,
                "join_sent": v.join_sent,
                "caught_up": v.caught_up,
                "caught_up_events": v.caught_up_events,
                "connected_at": v.connected_at,
                "joins": v.joins,
                "failed": v.failed,
                "count": v.count,
                "duplicates": v.duplicates,
                "bytes": v.bytes,
                "messages": v.messages,
                "message_bytes": v.message_bytes,
                "deflate": v.inflater is not None,
                "last_receive": v.last_receive,
            }
            for v in viewers
        ],
        "errors": errors,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }
    with open(out + ".lat", "wb") as file:
        latencies.tofile(file)
    with open(out, "w") as file:
        json.dump(result, file)
    for viewer in viewers:
        viewer.sock.close()


def reconnected(
    host: str,
    port: int,
    feed: str,
    frames: bool,
    count: int,
    after: int,
    selector: selectors.BaseSelector,
) -> list[Viewer]:
    """`count` viewers back at once on new sockets, each to join from `after` once connected."""
    back, started = [], time.time()
    for _ in range(count):
        try:
            viewer = Viewer(host, port, feed, frames, rejoin_from=after)
        except OSError:
            continue
        viewer.join_sent = started
        selector.register(viewer.sock, selectors.EVENT_READ, viewer)
        back.append(viewer)
    return back


if __name__ == "__main__":
    flags = {arg for arg in sys.argv[1:] if arg.startswith("--")}
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    run(
        args[0],
        args[1],
        int(args[2]),
        args[3],
        *map(float, args[4:5]),
        "--frames" in flags,
        "--hold" in flags,
        "--reconnect" in flags,
    )
