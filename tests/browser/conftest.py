"""Fixtures for the real-browser tests: a seeded live server, curator pages, a cuttable cable.

Every test runs against `python app.py` (gevent) started by `live_server`, drives Debian's
Chromium through Playwright, and stays bounded: each wait has a deadline of at most 20 s.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.conftest import ARTIFACTS, PASSWORD, LiveServer, wait_for

TIMEOUT_MS = 15_000  # Playwright's deadline for any single wait in these tests
FEED_NUMBERS = itertools.count(1)
DEMO_POSTS = 51  # lines in demo/kredcrew-2012-05-29.jsonl


@dataclass
class Site:
    """A live server with a curator `ada`, her API token, and helpers to call the API."""

    server: LiveServer
    token: str
    feed: str = "live"  # this test's own feed (tests may share one server)

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the JSON API with ada's bearer token; return the decoded body (None for 204)."""
        response = requests.request(
            method,
            f"{self.url}/api{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
        return None if response.status_code == 204 else response.json()

    def post_item(self, feed: str, text: str, **fields: Any) -> dict[str, Any]:
        """Post an item into `feed` the way an integration does."""
        author = fields.pop("author", {"name": "Grace Hopper", "handle": "grace"})
        return self.api("POST", f"/feeds/{feed}/items", {"text": text, "author": author, **fields})

    def make_feed(self) -> dict[str, Any]:
        return self.api("POST", "/feeds", {"name": self.feed, "query": f"#{self.feed}", "sources": []})

    def make_story(
        self, feed: str, title: str = "Live from the room", status: str = "live"
    ) -> dict[str, Any]:
        return self.api("POST", "/stories", {"title": title, "feed": feed, "status": status})


def start_site(live_server: Callable[..., LiveServer], env: dict[str, str] | None = None) -> Site:
    """Start a server and create the curator `ada` (password login) with an API token."""
    server = live_server(env=env)
    server.cli("create-curator", "ada", "--password", PASSWORD)
    token = server.cli("create-token", "ada").strip().splitlines()[-1]
    return Site(server, token)


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One live server (no demo) with the curator ada, shared by the tests that only add to it."""
    server = LiveServer(tmp_path_factory.mktemp("browser"))
    try:
        yield start_site(lambda env=None: server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The #kredcrew demo replayed to its end (51 posts), with the curator ada; shared, read-only."""
    server = LiveServer(
        tmp_path_factory.mktemp("demo"), env={"TAGSTORY_DEMO": "1", "TAGSTORY_REPLAY_SPEED": "0"}
    )
    try:
        site = start_site(lambda env=None: server)

        def replayed() -> bool:
            feeds = requests.get(f"{site.url}/api/feeds", timeout=5).json()
            return any(f["name"] == "kredcrew" and f["item_count"] >= DEMO_POSTS for f in feeds)

        wait_for(replayed, timeout=20)
        yield site
    finally:
        server.stop()


@pytest.fixture
def site(shared_site: Site) -> Site:
    """The shared server, with a feed name of this test's own (each test makes its feed and stories)."""
    return Site(shared_site.server, shared_site.token, feed=f"live{next(FEED_NUMBERS)}")


OFF_MACHINE = re.compile(r"^(?!http://127\.0\.0\.1[:/]|ws://127\.0\.0\.1[:/]|data:)")
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">'
    '<rect width="100%" height="100%" fill="#9aa5ae"/></svg>'
)


def _stay_local(route: Any) -> None:
    """Nothing leaves 127.0.0.1: remote images get a grey placeholder, anything else fails."""
    if route.request.resource_type == "image":
        route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)
    else:
        route.abort()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open browser contexts (closed afterwards) that stay on 127.0.0.1, with bounded timeouts."""
    opened: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(OFF_MACHINE, _stay_local)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def log_in(page: Any, site: Site, next_path: str) -> None:
    """Log in as ada through the real /login form, then land on `next_path`."""
    page.goto(f"{site.url}/login?next={next_path}")
    page.fill("#name", "ada")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert page.url == site.url + next_path, page.url


def joined(page: Any) -> None:
    """Wait until the page has joined its live room (live.js marks the body)."""
    page.wait_for_selector("body[data-last-seq]", state="attached")


def story_with_posts(site: Site) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """This test's feed with three posts, and a live story on it (nothing pinned yet)."""
    site.make_feed()
    posts = [site.post_item(site.feed, f"Post number {n} from the room #live") for n in range(3)]
    return site.make_story(site.feed, title="Live from the room"), posts


@dataclass
class Problems:
    """Console errors, uncaught exceptions and CSP violations seen by one page."""

    messages: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.messages)


CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
"""


def watch(page: Any) -> Problems:
    """Collect what a careful developer would see in the console of `page`."""
    problems = Problems()
    page.add_init_script(CSP_PROBE)
    page.on("console", lambda m: m.type in ("error", "warning") and problems.messages.append(m.text))
    page.on("pageerror", lambda error: problems.messages.append(f"uncaught: {error}"))
    page.on("response", lambda r: r.status >= 400 and problems.messages.append(f"{r.status} {r.url}"))
    return problems


def csp_violations(page: Any) -> list[str]:
    return page.evaluate("window.__csp || []")


def screenshot(page: Any, name: str, full_page: bool = True) -> None:
    """Save a screenshot under test-artifacts/ (git-ignored) for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


class Cable:
    """A TCP relay between the browser and the server that can be unplugged, like Wi-Fi dropping.

    Chromium keeps open websockets alive under `context.set_offline(True)`; pulling this
    cable closes them for real and refuses new connections until it is plugged back in.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.plugged = True
        self.closed = False
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.plugged:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        for end in (source, sink):
            self._drop(end)

    def _drop(self, end: socket.socket) -> None:
        with self.lock:
            self.open.discard(end)
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    def unplug(self) -> None:
        """Cut every open connection and refuse new ones."""
        self.plugged = False
        with self.lock:
            ends = list(self.open)
        for end in ends:
            self._drop(end)

    def plug(self) -> None:
        self.plugged = True

    def close(self) -> None:
        self.closed = True
        self.unplug()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()


@pytest.fixture
def cable() -> Iterator[Callable[[int], Cable]]:
    """Make cables to a server port; all are closed afterwards."""
    made: list[Cable] = []

    def make(port: int) -> Cable:
        made.append(Cable(port))
        return made[-1]

    yield make
    for one in made:
        one.close()
