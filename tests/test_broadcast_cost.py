"""The cost of one broadcast does not grow with its viewers: one encode, the same SQL statements."""

from flask_socketio.test_client import SocketIOTestClient

from aggregator.eventlog import last_seq
from aggregator.feeds import create_feed
from aggregator.items import item_from_dict, store_items
from web.realtime import socketio


def _broadcast_cost(db, feed, viewers: list[SocketIOTestClient], deliver, monkeypatch, n: int):
    """Store one item and deliver it; return (SQL statements run, distinct encoded packets sent)."""
    store_items(
        db, feed, [item_from_dict({"source": "t", "source_id": str(n), "text": "x", "author": {"name": "T"}})]
    )
    statements: list[str] = []
    sent = []  # the Engine.IO packets handed to each viewer's socket
    send = socketio.server._send_eio_packet

    def recording_send(eio_sid, eio_packet):
        sent.append(eio_packet)
        return send(eio_sid, eio_packet)

    monkeypatch.setattr(socketio.server, "_send_eio_packet", recording_send)
    for connection in (db._reader, db._writer):  # the Database's only two connections
        connection.set_trace_callback(statements.append)
    try:
        assert deliver() == 1
    finally:
        for connection in (db._reader, db._writer):
            connection.set_trace_callback(None)
        monkeypatch.undo()
    for viewer in viewers:
        assert [p["args"][0]["item"]["source_id"] for p in viewer.get_received() if p["name"] == "item"] == [
            str(n)
        ]
    assert len(sent) == len(viewers)
    return len(statements), len({id(packet) for packet in sent})


def test_one_broadcast_costs_the_same_for_one_viewer_and_for_thirty(db, socket_client, deliver, monkeypatch):
    feed = create_feed(db, "demo", "#demo", [])
    one = [socket_client()]
    assert one[0].emit("join", {"feed": "demo"}, callback=True)["ok"]
    alone = _broadcast_cost(db, feed, one, deliver, monkeypatch, 1)
    many = one + [socket_client() for _ in range(29)]
    for viewer in many[1:]:
        assert viewer.emit("join", {"feed": "demo", "after": last_seq(db)}, callback=True)["ok"]
    crowd = _broadcast_cost(db, feed, many, deliver, monkeypatch, 2)
    assert alone == crowd
    assert alone == (1, 1)  # one range read of the event log; one packet, encoded once, sent to all
