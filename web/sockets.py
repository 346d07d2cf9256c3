"""The one Socket.IO server object; the features register their events on it.

A leaf: it imports nothing of the project but its JSON module, so every feature (the live
rooms in `web.realtime`, the desk's presence) and `app.py` can import it without a cycle.
"""

from __future__ import annotations

from flask_socketio import SocketIO

from web import socket_json

# Each connection's events are handled one after another by the greenlet that reads it: a
# client that sends a thousand joins at once queues them on its own connection (backpressure)
# instead of spawning a thousand handlers that every other request waits behind.
socketio = SocketIO(async_handlers=False, json=socket_json)
