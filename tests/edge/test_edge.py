"""Edge nodes behind nginx: a real redis-server, a primary, two edges, real Socket.IO clients.

Every viewer connects through nginx (its `/socket.io/` goes to the edges) unless a test
needs one edge in particular; every write goes through nginx to the primary's API.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
import redis
import requests
import socketio

from aggregator.stream_mirror import STREAM, entry_seq
from bench.support import wait_for
from tests.browser.conftest import joined
from tests.edge.conftest import RETENTION, Cluster, Viewer
from web.desk.events import EDITING_ON_THE_PRIMARY

pytestmark = pytest.mark.process

SECRET = "curators-only words"


def _spread(cluster: Cluster, room: dict[str, str], after: int, count: int = 4) -> list[Viewer]:
    """`count` viewers through nginx (it alternates between the edges): both edges hold some."""
    viewers = [Viewer(cluster.nginx.url, room, after) for _ in range(count)]
    assert len({viewer.worker for viewer in viewers}) == 2, [viewer.worker for viewer in viewers]
    assert all(viewer.worker.startswith("edge ") for viewer in viewers)
    return viewers


def test_viewers_on_both_edges_get_every_public_event_once_and_in_order(cluster, feed):
    after = feed.after
    viewers = _spread(cluster, feed.room, after)
    viewers += [Viewer(edge.url, feed.room, after, frames=False) for edge in cluster.edges]
    try:
        posted = [cluster.post(feed.name, f"post {n}") for n in range(12)]
        for viewer in viewers:
            wait_for(lambda viewer=viewer, posted=posted: viewer.has(posted))
            assert viewer.seqs == posted, viewer.worker  # once each, in order, nothing else
        texts = [entry["data"]["item"]["html"] for entry in viewers[0].events]
        assert all("post" in text for text in texts)
        assert "raw" not in viewers[0].events[0]["data"]["item"]  # the viewers' form
    finally:
        for viewer in viewers:
            viewer.close()


def test_a_reconnect_to_the_other_edge_catches_up_exactly(cluster, feed):
    after = feed.after
    first, second = cluster.edges
    viewer = Viewer(first.url, feed.room, after)
    live = [cluster.post(feed.name, f"live {n}") for n in range(3)]
    wait_for(lambda: viewer.has(live))
    viewer.close()
    missed = [cluster.post(feed.name, f"missed {n}") for n in range(5)]
    again = Viewer(second.url, feed.room, viewer.last)
    try:
        assert again.worker != viewer.worker
        # The edge may not have read all of them from the stream yet: the rest follow live.
        wait_for(lambda: again.has(missed))
        assert again.seqs == missed
        more = [cluster.post(feed.name, f"after {n}") for n in range(3)]
        wait_for(lambda: again.has(more))
        assert again.seqs == missed + more
        # The primary's own catch-up from the same seq: the same events in the same form.
        primary = Viewer(cluster.primary.url, feed.room, viewer.last)
        assert [e for e in primary.events if e["data"]["seq"] in missed] == again.events[: len(missed)]
        primary.close()
    finally:
        again.close()


def test_hidden_and_draft_content_never_reaches_an_edge(cluster, feed):
    after = feed.after
    viewers = _spread(cluster, feed.room, after, count=2)
    try:
        shown = cluster.post(feed.name, f"soon hidden: {SECRET}")
        wait_for(lambda: all(viewer.has([shown]) for viewer in viewers))
        items = cluster.api("GET", f"/feeds/{feed.name}/items")["items"]
        item = next(item for item in items if item["seq"] == shown)
        hidden = cluster.api("PATCH", f"/feeds/{feed.name}/items/{item['id']}", json={"status": "hidden"})
        story = cluster.api("POST", "/stories", json={"title": "Backstage", "feed": feed.name})
        slug = story["slug"]
        cluster.api("POST", f"/stories/{slug}/elements", json={"type": "text", "text": "kept from the draft"})
        removed = cluster.api("POST", f"/stories/{slug}/elements", json={"type": "text", "text": SECRET})
        requests.delete(
            f"{cluster.nginx.url}/api/stories/{slug}/elements/{removed['id']}",
            headers=cluster.auth,
            timeout=10,
        ).raise_for_status()
        cluster.api("POST", f"/stories/{slug}/elements", json={"type": "text", "text": "the public words"})
        published = cluster.api("PATCH", f"/stories/{slug}", json={"status": "published"})
        last = cluster.post(feed.name, "the end")
        wait_for(lambda: all(viewer.has([last]) for viewer in viewers))
        reader = Viewer(cluster.nginx.url, {"story": slug}, after)
        late = Viewer(cluster.nginx.url, feed.room, after)
        try:
            received = repr([reader.events, late.events, *(viewer.events[1:] for viewer in viewers)])
            assert SECRET not in received
            assert "the public words" in repr(reader.events)
            assert reader.events[0]["data"]["op"] == "reset"
            assert late.seqs[0] == shown  # the rewritten event, in the viewers' form
            assert late.events[0]["data"]["item"] == {"id": item["id"], "status": "hidden"}
        finally:
            reader.close()
            late.close()
        assert published["status"] == "published" and hidden["status"] == "hidden"
        wait_for(lambda: SECRET not in cluster.redis_text())
    finally:
        for viewer in viewers:
            viewer.close()


def test_an_edge_killed_and_restarted_resumes_without_gap_or_duplicate(cluster, feed):
    after = feed.after
    edge = cluster.edges[0]
    viewer = Viewer(edge.url, feed.room, after, reconnect=True)
    try:
        before = [cluster.post(feed.name, f"before {n}") for n in range(3)]
        wait_for(lambda: viewer.has(before))
        edge.process.send_signal(signal.SIGKILL)
        edge.process.wait(10)
        meanwhile = [cluster.post(feed.name, f"meanwhile {n}") for n in range(4)]
        edge.restart()
        wait_for(lambda: viewer.has(meanwhile), timeout=20)
        later = [cluster.post(feed.name, f"later {n}") for n in range(3)]
        wait_for(lambda: viewer.has(later))
        assert viewer.seqs == before + meanwhile + later
    finally:
        viewer.close()


def test_redis_restarted_delays_delivery_but_loses_nothing(cluster, feed):
    after = feed.after
    viewers = _spread(cluster, feed.room, after, count=2)
    try:
        before = [cluster.post(feed.name, f"before {n}") for n in range(2)]
        wait_for(lambda: all(viewer.has(before) for viewer in viewers))
        cluster.redis.stop()
        during = [cluster.post(feed.name, f"during {n}") for n in range(4)]  # the primary's log keeps them
        cluster.redis.start()  # empty: the primary appends what the stream is missing
        wait_for(lambda: all(viewer.has(during) for viewer in viewers), timeout=30)
        later = [cluster.post(feed.name, f"later {n}") for n in range(2)]
        wait_for(lambda: all(viewer.has(later) for viewer in viewers), timeout=20)
        for viewer in viewers:
            assert viewer.seqs == before + during + later, viewer.worker
            assert viewer.reloads == []  # the same log appended again: nothing to reload for
        health = requests.get(f"{cluster.edges[0].url}/health", timeout=5).json()
        assert health["stream"] is True and health["delivered"] >= later[-1]
    finally:
        for viewer in viewers:
            viewer.close()


def test_a_join_older_than_the_retention_is_told_to_reload(cluster, feed):
    after = feed.after
    for n in range(RETENTION + 5):
        cluster.post(feed.name, f"post {n}")
    viewer = Viewer(cluster.nginx.url, feed.room, after)
    try:
        assert viewer.acks[-1]["ok"] is False and viewer.acks[-1]["reload"] is True, viewer.acks[-1]
        assert viewer.seqs == []
    finally:
        viewer.close()


def test_an_edge_that_falls_behind_the_retention_tells_its_viewers_to_reload(cluster, feed):
    edge = cluster.edges[1]
    viewer = Viewer(edge.url, feed.room, feed.after)
    try:
        edge.process.send_signal(signal.SIGSTOP)  # stalled: it reads nothing while the stream moves on
        try:
            for n in range(RETENTION + 5):  # its XREAD's answer (the first of them) waits in its socket
                last = cluster.post(feed.name, f"post {n}")
            # Every post mirrored before it wakes (the mirror appends in passes, a few ms apart).
            stream = redis.Redis.from_url(cluster.redis.url)
            wait_for(lambda: entry_seq(stream.xrevrange(STREAM, count=1)[0][0]) == last)
        finally:
            edge.process.send_signal(signal.SIGCONT)
        wait_for(lambda: viewer.reloads, timeout=20)
        # Told to reload, the viewer stays connected: it is sent what comes next, and that alone.
        marker = cluster.post(feed.name, "after the reload")
        wait_for(lambda: viewer.has([marker]))
        assert viewer.seqs == [marker], "what it missed is never forwarded, not even what Redis still held"
        assert len(viewer.reloads) == 1
    finally:
        viewer.close()


def test_an_edge_opens_no_database(cluster, feed):
    for edge in cluster.edges:
        fds = Path(f"/proc/{edge.process.pid}/fd")
        opened = [os.readlink(fd) for fd in fds.iterdir() if fds.exists()]
        assert not [path for path in opened if "sqlite" in path], opened
        assert not Path(edge.environment["TAGSTORY_DATABASE"]).parent.exists()
    answer = requests.get(f"{cluster.edges[0].url}/api/feeds", timeout=5)
    assert answer.status_code == 404
    desk = Viewer(cluster.edges[0].url, {**feed.room, "desk": True}, 0)
    assert desk.acks[-1] == {"ok": False, "error": "only curators can follow a feed's moderation desk"}
    desk.close()


def test_a_feed_page_follows_through_an_edge_and_reloads_when_its_edge_fell_behind(
    cluster, feed, new_context
):
    page = new_context().new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{cluster.nginx.url}/feeds/{feed.name}")
    joined(page)
    assert sockets and all("curator=1" not in url for url in sockets)  # a viewers' socket: to the edges
    live = cluster.api(
        "POST",
        f"/feeds/{feed.name}/items",
        json={"text": "live through an edge", "author": {"name": "A", "handle": "a"}},
    )
    page.wait_for_selector(f'.item[data-item-id="{live["id"]}"]')
    with page.expect_navigation():  # told to reload: the primary renders the page anew
        for edge in cluster.edges:
            edge.process.send_signal(signal.SIGSTOP)
        try:
            posted = [cluster.post(feed.name, f"while stalled {n}") for n in range(RETENTION + 5)]
            stream = redis.Redis.from_url(cluster.redis.url)  # every post mirrored before they wake
            wait_for(lambda: entry_seq(stream.xrevrange(STREAM, count=1)[0][0]) == posted[-1])
        finally:
            for edge in cluster.edges:
                edge.process.send_signal(signal.SIGCONT)
    joined(page)
    assert f"while stalled {len(posted) - 1}" in page.inner_text("#items")


def _page_after(cluster: Cluster, path: str) -> int:
    """The `after` a page hands its socket (its body's `data-after`), the page fetched through nginx."""
    page = requests.get(f"{cluster.nginx.url}{path}", timeout=10)
    assert page.ok, page.status_code
    return int(re.search(r'data-after="(\d+)"', page.text).group(1))


def _joined(url: str, name: str, after: int) -> Viewer | None:
    """A viewer of feed `name` from `after` whose join was accepted, or None (closed)."""
    viewer = Viewer(url, {"feed": name}, after)
    if viewer.acks[-1]["ok"]:
        return viewer
    viewer.close()
    assert not viewer.acks[-1].get("reload"), viewer.acks  # a reloaded page would hand the same seq
    return None


def test_quiet_and_empty_feeds_follow_through_an_edge_long_after_the_retention_moved_on(cluster, feed):
    quiet = feed.name  # its one post, then the stream moves on past the retention in another feed
    cluster.api("POST", "/feeds", json={"name": "busy-elsewhere", "query": "#busy", "sources": []})
    busy = [cluster.post("busy-elsewhere", f"busy {n}") for n in range(RETENTION + 5)]
    stream = redis.Redis.from_url(cluster.redis.url)
    wait_for(lambda: entry_seq(stream.xrevrange(STREAM, count=1)[0][0]) == busy[-1])
    # Made once the stream is still: only a pass with no event to append can list it.
    cluster.api("POST", "/feeds", json={"name": "made-without-posts", "query": "#empty", "sources": []})
    for name in (quiet, "made-without-posts"):
        after = _page_after(cluster, f"/feeds/{name}")
        assert after >= busy[-1], "a page hands the log's end, not its feed's last post"
        viewer = wait_for(lambda name=name, after=after: _joined(cluster.edges[0].url, name, after))
        try:
            posted = [cluster.post(name, "after the quiet spell")]
            wait_for(lambda viewer=viewer, posted=posted: viewer.has(posted))
            assert viewer.seqs == posted and viewer.reloads == []
        finally:
            viewer.close()


def test_an_edge_answers_an_editor_clearly_and_a_disconnect_logs_no_error(cluster):
    edge = cluster.edges[1]
    logged = edge.log.read_text() if edge.log.exists() else ""
    client = socketio.Client(reconnection=False)
    client.connect(edge.url, transports=["websocket"], wait_timeout=10)
    try:
        answer = client.call("editing", {"story": "backstage"}, timeout=10)
    finally:
        client.disconnect()
    assert answer == {"ok": False, "error": EDITING_ON_THE_PRIMARY}
    wait_for(lambda: requests.get(f"{edge.url}/health", timeout=5).ok)  # the disconnect handled meanwhile
    assert "Traceback" not in edge.log.read_text()[len(logged) :]
