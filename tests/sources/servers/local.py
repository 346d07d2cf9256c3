"""A WSGI app served on 127.0.0.1 in a thread, for the fake networks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


# How often a server's loop checks for `stop` (socketserver's default, 0.5 s, made every stop
# of a test's fake network and AppView wait about that long).
SHUTDOWN_POLL = 0.02


class LocalServer:
    """A WSGI app served by werkzeug in a thread on a free port of 127.0.0.1 (or another `host`)."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1") -> None:
        self.server = make_server(host, 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(SHUTDOWN_POLL,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hung_up(environ: dict[str, Any]) -> bool:
    """Whether the client of this request has closed its connection (werkzeug's dev server only).

    A real network sends nothing, and bills nothing, on a connection its client closed; a
    fake that frames a message for it anyway counts a post nobody could read.
    """
    connection = environ.get("werkzeug.socket")
    if connection is None:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:  # open, nothing sent by the client: the usual case
        return False
    except OSError:  # reset
        return True


class StreamLog:
    """An append-only list of messages that every open HTTP stream follows until it is closed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.changed = threading.Condition()
        self.closed = False
        self.generation = 0  # bumped by `drop`: the streams open until then end

    def append(self, message: Any) -> None:
        """Add a message; every follower sends it next."""
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()

    def close(self) -> None:
        """End every stream."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def drop(self) -> None:
        """End the streams open now (a network drop); streams opened later follow as usual."""
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def follow(
        self,
        frame: Callable[[list[Any]], bytes],
        generation: int | None = None,
        environ: dict[str, Any] | None = None,
    ) -> Any:
        """Yield `frame(new messages)` as they arrive (and a heartbeat frame every 0.2 s) until closed.

        `generation` (when the request arrived) ends the stream at once if a `drop` came since;
        `environ` (the stream's request) ends it, before framing anything, once its client hung up.
        """
        position = 0
        generation = self.generation if generation is None else generation
        while True:
            with self.changed:
                self.changed.wait_for(
                    lambda seen=position: (
                        self.closed or self.generation != generation or seen < len(self.messages)
                    ),
                    timeout=0.2,
                )
                if self.closed or self.generation != generation or (environ and hung_up(environ)):
                    return
                messages, position = self.messages[position:], len(self.messages)
            yield frame(messages)
