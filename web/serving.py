"""How `python app.py` serves: gevent's WSGI server, its websocket server, and N workers on one port.

One worker (the default) binds the port and serves everything. With `WEB_WORKERS` > 1 the
process started by `python app.py` only supervises: it checks the port is free, then
starts that many `python app.py --worker I` processes that each listen on the same port
with SO_REUSEPORT, so the kernel spreads connections over them. Each worker delivers the
shared event log to its own sockets, woken through Redis (`MESSAGE_QUEUE`, required);
worker 0 alone runs the collectors and installs the demo. Socket.IO's long-polling would
need every request of a session to reach the same worker, so several workers accept the
websocket transport only (the project's pages use nothing else).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from flask import Flask

from web import wire

WORKER_HEADER = "X-Tagstory-Worker"
WEBSOCKET_SERVERS = ("simple-websocket", "gevent-websocket")
BACKLOG = 2048  # a reconnect storm of a thousand viewers fits in the accept queue


class ServingError(Exception):
    """A serving setting that cannot work as given; its message says what to change."""


def check(config: dict[str, Any]) -> None:
    """Refuse settings that cannot serve: several workers without Redis, an unknown websocket server."""
    workers = config["WEB_WORKERS"]
    if not isinstance(workers, int) or workers < 1:
        raise ServingError(f"TAGSTORY_WEB_WORKERS must be a whole number >= 1, not {workers!r}")
    if workers > 1 and not config["MESSAGE_QUEUE"]:
        raise ServingError(
            "TAGSTORY_WEB_WORKERS > 1 needs TAGSTORY_MESSAGE_QUEUE (a Redis URL such as "
            "redis://127.0.0.1:6379/0): the workers wake each other through it"
        )
    if workers > 1 and config["ASYNC_MODE"] != "gevent":
        raise ServingError("TAGSTORY_WEB_WORKERS > 1 serves with gevent only (unset TAGSTORY_ASYNC_MODE)")
    if config["WEBSOCKET_SERVER"] not in WEBSOCKET_SERVERS:
        raise ServingError(f"TAGSTORY_WEBSOCKET_SERVER must be one of {', '.join(WEBSOCKET_SERVERS)}")


def socketio_options(config: dict[str, Any]) -> dict[str, Any]:
    """Engine.IO options that follow from the serving settings (websocket only with several workers)."""
    return {"transports": ["websocket"]} if config["WEB_WORKERS"] > 1 else {}


def name_worker(app: Flask, index: int) -> None:
    """Mark this process as worker `index`: join acknowledgements and HTTP answers say which one served."""
    app.extensions["tagstory.worker"] = index

    @app.after_request
    def say_worker(response: Any) -> Any:
        response.headers[WORKER_HEADER] = str(index)
        return response


def check_port_free(host: str, port: int) -> None:
    """Fail now if anything listens on the port: SO_REUSEPORT would otherwise share it with a stale server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServingError(f"cannot listen on {host}:{port}: {error.strerror}") from error


def listener(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A listening TCP socket; with `reuse_port` others of this user may listen on the same port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def use_websocket_server(name: str) -> type:
    """Make Engine.IO's gevent driver use websocket server `name`; return the pywsgi handler class for it.

    Engine.IO picks gevent-websocket whenever it is installed; simple-websocket (wsproto,
    maintained) is its fallback and is chosen here by replacing the driver's `websocket`
    class. simple-websocket accepts permessage-deflate whenever a client offers it, which
    costs a compression per viewer per frame: the offer is dropped before the handshake.
    """
    from gevent import pywsgi

    if name == "gevent-websocket":
        from geventwebsocket.handler import WebSocketHandler

        wire.install()  # the broadcaster writes each room's frame to these websockets directly
        return request_handler(WebSocketHandler)

    import gevent.event
    import gevent.selectors
    from engineio.async_drivers import gevent as gevent_driver
    from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

    class DeflateDeclined(SimpleWebSocketWSGI):
        def __init__(self, handler: Any, server: Any) -> None:
            super().__init__(
                handler,
                server,
                thread_class=gevent_driver.Thread,
                event_class=gevent.event.Event,
                selector_class=gevent.selectors.DefaultSelector,
            )

        def __call__(self, wsgi_request: dict[str, Any], start_response: Any) -> Any:
            wsgi_request.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)  # the WSGI environ, not the process's
            return super().__call__(wsgi_request, start_response)

    gevent_driver._async["websocket"] = DeflateDeclined
    return request_handler(pywsgi.WSGIHandler)


MAX_HEADER_LINE = 65536  # http.client's limits, which gevent's header parser applies
MAX_HEADERS = 100
PLAIN_HEADER = re.compile(rb"([!-9;-~]+):[ \t]*([ -~\t]*)\r?\n")  # "Name: value", printable ASCII


def read_headers(rfile: Any) -> Any:
    """A request's headers as gevent's `headers_factory` returns them; plain ones without `email`.

    gevent hands the header lines to `email.parser` (through `http.client.parse_headers`):
    a feed parser per request, ~8 % of the server's CPU for each new websocket in a
    reconnect storm. Plain `Name: value` lines (what browsers and Socket.IO clients send)
    are stored here as that parser stores them (the name as written, the value without its
    leading blanks and line end); any other line (folded, non-ASCII, malformed) sends the
    whole block to gevent's parser, unchanged, and a line over the limit is gevent's 400.
    """
    from http.client import HTTPException

    from gevent.pywsgi import OldMessage

    lines = []
    while True:
        line = rfile.readline(MAX_HEADER_LINE + 1)
        if len(line) > MAX_HEADER_LINE:
            message = OldMessage()
            message.status = "Line too long"  # gevent's answer: 400
            return message
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise HTTPException(f"got more than {MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            break
    plain = [PLAIN_HEADER.fullmatch(line) for line in lines[:-1]]
    if not all(plain):
        import email.parser

        return email.parser.Parser(_class=OldMessage).parsestr(b"".join(lines).decode("iso-8859-1"))
    message = OldMessage()
    for match in plain:
        message.set_raw(match[1].decode("ascii"), match[2].decode("ascii"))
    return message


def request_handler(handler_class: type) -> type:
    """`handler_class` with TCP_NODELAY on each connection, `read_headers`, and no access log.

    gevent writes a response's headers and its body in two sends; on a kept-alive
    connection Nagle's algorithm then holds the body until the client's delayed ACK,
    40+ ms per request (docs/benchmarks.md). Websocket frames go out at once as well.
    """

    class NoDelayHandler(handler_class):  # type: ignore[misc, valid-type]
        def handle(self) -> None:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle()

        def MessageClass(self, rfile: Any, *_: Any) -> Any:  # gevent's name
            return read_headers(rfile)

        def log_request(self) -> None:
            """No access log (the server's `log` is None): gevent-websocket's handler would
            format every request's line, ~4 % of a POST's CPU, for a logger that prints nothing."""

    return NoDelayHandler


def serve_gevent(app: Flask, sock: socket.socket, websocket_server: str) -> None:
    """Serve HTTP and websockets on the listening `sock` until the process ends."""
    from gevent import pywsgi

    handler = use_websocket_server(websocket_server)
    pywsgi.WSGIServer(sock, app, handler_class=handler, log=None).serve_forever()


def end_with_supervisor(supervisor: int) -> None:
    """A worker whose supervisor is gone (even killed) ends too (run as a background task)."""
    while os.getppid() == supervisor:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def supervise(count: int, argv: list[str]) -> int:
    """Run `count` workers (`python app.py ARGV --worker I:PID`) until one ends or we are told to stop.

    Returns the exit status: the first worker's that ended, or 0 when stopped by a signal.
    """
    workers = [
        subprocess.Popen([sys.executable, sys.argv[0], *argv, "--worker", f"{index}:{os.getpid()}"])
        for index in range(count)
    ]
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda number, frame: stopping.append(number)) for sig in _STOPS}
    try:
        while not stopping and all(worker.poll() is None for worker in workers):
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    ended = [worker.returncode for worker in workers if worker.returncode not in (None, -signal.SIGTERM)]
    return 0 if stopping else (ended[0] if ended else 1)


_STOPS = (signal.SIGTERM, signal.SIGINT)
