"""The Python storm client (bench/viewers.py) reads a join's acknowledgement as the server encodes it."""

from __future__ import annotations

import pytest
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from bench.viewers import acknowledgement, markers
from web import socket_json

TRICKY = 'a post quoting ,"last_seq":5} and "more":true'


def _encoded(ack: dict) -> bytes:
    """The acknowledgement as it crosses the websocket: the server's JSON module, ack id 0."""
    packet = sio_packet.Packet(sio_packet.ACK, namespace="/", data=[ack], id=0)
    packet.json = socket_json
    return eio_packet.Packet(eio_packet.MESSAGE, packet.encode()).encode().encode()


@pytest.mark.parametrize(
    "ack",
    [
        {"ok": True, "room": "feed:f", "last_seq": 57, "more": False},
        {"ok": True, "room": "feed:f", "last_seq": 9, "more": True, "worker": 1},
        {"ok": False, "error": "too many joins; slow down", "retry_after": 0.2},
    ],
)
def test_an_acknowledgement_is_read_as_json_would_read_it_whatever_its_events_say(ack):
    events = [
        {"event": "item", "data": {"seq": n, "item": {"html": f"tsbench:{n}:1.5: {TRICKY}"}}}
        for n in range(3)
    ]
    sent = {**ack, "events": socket_json.Encoded(socket_json.dumps(events))} if ack["ok"] else ack
    message = _encoded(sent)
    read = acknowledgement(message)
    assert {key: read.get(key) for key in ack if key != "room"} == {
        k: v for k, v in ack.items() if k != "room"
    }
    assert sorted(markers(message)) == ([0, 1, 2] if ack["ok"] else [])
