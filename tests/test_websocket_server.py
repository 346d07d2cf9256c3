"""`TAGSTORY_WEBSOCKET_SERVER`: either server serves the live protocol; neither compresses per viewer."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import socketio

from bench.support import wait_for
from bench.viewers import Viewer


@pytest.mark.parametrize("server_name", ["gevent-websocket", "simple-websocket"])
def test_the_websocket_server_delivers_and_declines_permessage_deflate(live_server, server_name):
    server = live_server(env={"TAGSTORY_WEBSOCKET_SERVER": server_name, "TAGSTORY_COLLECT": "0"})
    server.cli("create-curator", "ada")
    token = server.cli("create-token", "ada").strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    created = requests.post(
        f"{server.url}/api/feeds", json={"name": "f", "query": "#f", "sources": []}, headers=auth, timeout=10
    )
    assert created.status_code == 201, created.text

    address = urlsplit(server.url)
    offered = Viewer(address.hostname, address.port, "f")  # offers permessage-deflate as browsers do
    try:
        assert offered.inflater is None, "the server accepted permessage-deflate"
    finally:
        offered.sock.close()

    received: list[dict] = []
    viewer = socketio.Client(reconnection=False)
    viewer.on("item", received.append)
    viewer.connect(server.url, transports=["websocket"])
    try:
        assert viewer.call("join", {"feed": "f", "after": 0}, timeout=10)["ok"]
        posted = requests.post(
            f"{server.url}/api/feeds/f/items",
            json={"text": "hello", "author": {"name": "A"}},
            headers=auth,
            timeout=10,
        )
        assert posted.status_code == 201, posted.text
        wait_for(lambda: received, timeout=20)
    finally:
        viewer.disconnect()
    assert [event["item"]["text"] for event in received] == ["hello"]
