"""The broadcaster's send: one Socket.IO packet per room, written as the same websocket frame to each socket.

python-socketio's room emit encodes a packet once, then per socket hands it to Engine.IO:
a ping-timeout check, a queue put, a (disabled) logger call, a switch to the socket's
writer greenlet, the packet encoded again, its text encoded to UTF-8 and framed by
gevent-websocket, a copy to join header and payload, and a send. `emit` does the encoding
and the framing once and, for each socket served by gevent-websocket (`install`), writes
those bytes with one non-blocking send on the socket under gevent's — nothing else per socket.

Order per socket is kept exactly: a socket takes the direct write only when its writer
has nothing queued and is not in the middle of a send (`Wire.sending`); otherwise, and
for every socket that is not a plain gevent-websocket one (long-polling, simple-websocket,
TLS served by gevent itself, the test client), the packet goes through Engine.IO's queue
as before. When the kernel takes only part of a frame, the rest is queued first for the
writer to finish, so what follows waits behind it. The bytes on the wire are those
python-socketio and gevent-websocket would have sent: clients see no difference.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from engineio import packet as eio_packet
from socketio import packet as sio_packet

from web.sockets import socketio

NAMESPACE = "/"
WIRES: dict[str, Wire] = {}  # Engine.IO sid -> its websocket, while the websocket is open


class Unframed(bytes):
    """The rest of a frame the kernel did not take at once: the writer sends it as it is."""


class _Rest:
    """A queued item whose `encode` is the rest of a frame (Engine.IO's writer calls `encode`)."""

    __slots__ = ("rest",)

    def __init__(self, rest: bytes) -> None:
        self.rest = Unframed(rest)

    def encode(self) -> Unframed:
        return self.rest


class Wire:
    """One gevent-websocket connection of an Engine.IO socket, writable directly when idle."""

    __slots__ = ("eio_socket", "sending", "tcp", "websocket")

    def __init__(self, eio_socket: Any, websocket: Any) -> None:
        self.eio_socket = eio_socket
        self.websocket = websocket  # geventwebsocket.websocket.WebSocket
        self.tcp = websocket.handler.socket  # a plain gevent socket (`_plain_tcp`)
        self.sending = False  # Engine.IO's writer is inside a send

    def send(self, message: str | bytes) -> None:
        """The writer's send: a message to frame, or the rest of a frame written directly."""
        self.sending = True
        try:
            if type(message) is Unframed:
                self.tcp.sendall(message)
            else:
                self.websocket.send(message)
        finally:
            self.sending = False

    def write(self, frame: bytes) -> bool:
        """Write an already framed message now if nothing is ahead of it; False: queue it instead."""
        eio_socket = self.eio_socket
        if (
            self.sending
            or eio_socket.queue.qsize()
            or eio_socket.closing
            or eio_socket.closed
            or not eio_socket.upgraded
            or self.websocket.closed
        ):
            return False
        try:
            # The non-blocking socket under gevent's, as gevent's `send(frame, 0, 0.0)` calls it
            # (a full buffer raises at once, nothing waits) without its wrapper: one call per viewer.
            written = self.tcp._sock.send(frame)
        except BlockingIOError:
            written = 0
        except OSError:  # a dying connection: let Engine.IO's path meet the error as always
            return False
        if written < len(frame):
            eio_socket.queue.put(_Rest(frame[written:]))
        return True


def text_frame(text: str) -> bytes:
    """A final, unmasked websocket text frame (a server's) carrying `text`."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 65536:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + data
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + data


class Outgoing(NamedTuple):
    """One Socket.IO event, encoded once: the Engine.IO packet for the queue, and its websocket frame."""

    queued: Any  # engineio.packet.Packet
    frame: bytes  # b"" when no websocket was open to write it to


def encode(event: str, data: Any) -> Outgoing:
    """`event` with `data` (JSON: the log's payloads, nothing binary) as `send` takes it.

    `binary=False` spares python-socketio's search for binary attachments, which walks every
    value of the data (a frame's every item, field by field) to find none.
    """
    packet_class = socketio.server.packet_class
    packet = packet_class(sio_packet.EVENT, namespace=NAMESPACE, data=[event, data], binary=False)
    queued = eio_packet.Packet(eio_packet.MESSAGE, packet.encode())
    return Outgoing(queued, text_frame(queued.encode()) if WIRES else b"")


def send(eio_sid: str, outgoing: Outgoing) -> None:
    """Write `outgoing` to the socket `eio_sid` directly when it is idle, else through Engine.IO's queue."""
    wire = WIRES.get(eio_sid)
    if wire is None or not outgoing.frame or not wire.write(outgoing.frame):
        socketio.server._send_eio_packet(eio_sid, outgoing.queued)


def emit(event: str, data: Any, room: str) -> None:
    """`socketio.emit(event, data, to=room, ignore_queue=True)`, JSON data, a direct write per idle socket."""
    participants = list(socketio.server.manager.get_participants(NAMESPACE, room))
    if not participants:
        return
    outgoing = encode(event, data)
    for _sid, eio_sid in participants:
        send(eio_sid, outgoing)


def _plain_tcp(websocket: Any) -> bool:
    """Whether the websocket runs on a plain gevent TCP socket, whose `_sock` a `Wire` may write (not TLS)."""
    from gevent import socket as gevent_socket

    return type(getattr(websocket.handler, "socket", None)) is gevent_socket.socket


def install() -> None:
    """Make Engine.IO's gevent driver (gevent-websocket) register each websocket as a `Wire`."""
    from engineio.async_drivers import gevent as gevent_driver

    base = gevent_driver.WebSocketWSGI

    class WiredWebSocket(base):  # type: ignore[misc, valid-type]
        def __call__(self, wsgi_request: dict[str, Any], start_response: Any) -> Any:
            websocket = wsgi_request.get("wsgi.websocket")  # the WSGI environ, not the process's
            eio_socket = getattr(self.app, "__self__", None)  # the handler is a bound Socket method
            if websocket is None or eio_socket is None or not _plain_tcp(websocket):
                return super().__call__(wsgi_request, start_response)
            self.wire = Wire(eio_socket, websocket)
            WIRES[eio_socket.sid] = self.wire
            try:
                return super().__call__(wsgi_request, start_response)
            finally:
                if WIRES.get(eio_socket.sid) is self.wire:
                    del WIRES[eio_socket.sid]

        def send(self, message: str | bytes) -> None:
            wire = getattr(self, "wire", None)
            if wire is None:
                return super().send(message)
            return wire.send(message)

    if getattr(base, "wired", False):
        return
    WiredWebSocket.wired = True
    gevent_driver._async["websocket"] = WiredWebSocket
