"""`python app.py`'s request handler reads plain headers without the email package, as gevent would have."""

from __future__ import annotations

import email.parser
import io

import pytest
from gevent.pywsgi import WSGIHandler, headers_factory
from geventwebsocket.handler import WebSocketHandler

from web.serving import request_handler

UPGRADE = (
    b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    b"Cookie: session=abc.def; other=1\r\nX-Spaced:   value with trailing blanks  \r\n\r\n"
)
ODD = [
    b"Host: a\r\nX-Folded: one\r\n two\r\n\r\n",  # obsolete line folding
    b"Host: a\r\nBad Header: x\r\n\r\n",  # a space in the name
    b"Host: \xe9t\xe9\r\n\r\n",  # not ASCII
    b"Host: a\n\n",  # bare line feeds
    b"no colon\r\n\r\n",
    b"A: 1\r\nA: 2\r\n\r\n",  # a repeated header
    b"",  # the connection closed
]


def _message_class(base: type = WebSocketHandler):
    """How the handler `python app.py` serves with (over either websocket server) reads a header block."""
    handler = request_handler(base)
    return lambda data: handler.MessageClass(None, io.BytesIO(data), 0)


@pytest.mark.parametrize("base", [WebSocketHandler, WSGIHandler])  # gevent-websocket's, simple-websocket's
def test_a_websocket_upgrade_is_read_without_the_email_parser(base, monkeypatch):
    read = _message_class(base)
    expected = headers_factory(io.BytesIO(UPGRADE.split(b"\r\n", 1)[1]))
    used = []
    parse = email.parser.Parser.parsestr
    monkeypatch.setattr(email.parser.Parser, "parsestr", lambda *a, **k: used.append(a) or parse(*a, **k))
    headers = read(UPGRADE.split(b"\r\n", 1)[1])
    assert used == []
    assert list(headers.headers) == list(expected.headers) and headers.status == ""
    assert headers.get("x-spaced") == "value with trailing blanks  "


@pytest.mark.parametrize("block", ODD)
def test_any_other_header_block_is_read_as_gevent_reads_it(block):
    headers, expected = _message_class()(block), headers_factory(io.BytesIO(block))
    assert (list(headers.headers), headers.status) == (list(expected.headers), expected.status)


def test_a_header_line_over_the_limit_is_gevents_400():
    block = b"X: " + b"a" * 70_000 + b"\r\n\r\n"
    assert _message_class()(block).status == headers_factory(io.BytesIO(block)).status != ""
