"""Fixtures shared by every test: an app on a fresh database, clients, curators, live servers.

In-process tests use Flask's and Flask-SocketIO's test clients (threading mode). Tests
that need the real thing (a browser, real websockets, Redis) start `python app.py` in its
own process with `live_server`, on a free port and a temporary database.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import jinja2
import jinja2.bccache
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator.db import Database
from app import create_app
from bench.support import ROOT, LiveServer, RedisServer, free_port, wait_for  # noqa: F401 (tests import the last two from here)
from tests.route_builders import share_route_builders
from web.realtime import socketio

pytest_plugins = ["tests.factories"]  # its fixtures (cheap_passwords) for every test

PASSWORD = "correct horse battery"

# Examples per operation of the generated API tests (tests/test_openapi_fuzz.py): 5, or 2 in the
# fast loop (`make check` passes --hypothesis-profile=check).
hypothesis.settings.register_profile("full", max_examples=5)
hypothesis.settings.register_profile("check", max_examples=2)
hypothesis.settings.load_profile("full")

# The test tiers (pyproject.toml): `make check` runs `unit` only, `make test` runs all three.
BROWSER_FIXTURES = {"browser"}  # Chromium, and the live server every browser test talks to
PROCESS_FIXTURES = {"live_server", "redis_url", "shared_site", "demo_site"}  # `python app.py`, redis-server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what it starts: `browser`, `process` (another process), else `unit`.

    Fixture use decides (with everything the test's fixtures use in turn); a test that starts
    a process by hand says so with an explicit `process` mark.
    """
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        elif used & PROCESS_FIXTURES:
            item.add_marker(pytest.mark.process)
        if not (item.get_closest_marker("browser") or item.get_closest_marker("process")):
            item.add_marker(pytest.mark.unit)


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the session, so each test's app renders without
    parsing and compiling them again. Keyed by template name and a checksum of its source."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()
share_route_builders()  # and compiled URL builders (tests/route_builders.py)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with every migration applied, made once per session (per xdist worker)."""
    path = tmp_path_factory.mktemp("migrated") / "migrated.sqlite"
    Database(path).close()
    return path


def copy_database(template: Path, target: Path) -> str:
    """Copy the migrated database to `target`, file to file.

    The template is closed, so its write-ahead log was checkpointed into the file and removed:
    the file alone is the whole database. (SQLite's backup API costs ten times as much, most of
    it in fsync.)
    """
    assert not template.with_name(template.name + "-wal").exists(), "the template is still open"
    shutil.copyfile(template, target)
    return str(target)


def make_app(database: str, **config: Any) -> Any:
    """The app for in-process tests on `database`: no demo, no collectors, threading mode."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "test",
            "DEMO": False,
            "COLLECT": False,
            "ASYNC_MODE": "threading",
            **config,
        }
    )
    application.jinja_env.bytecode_cache = TEMPLATE_CODE
    return application


@pytest.fixture
def app(tmp_path: Path, migrated_database: Path) -> Iterator[Any]:
    """The app on a fresh database in a temporary folder; no demo, no collectors."""
    application = make_app(copy_database(migrated_database, tmp_path / "test.sqlite"), REPLAY_SPEED=0.0)
    yield application
    application.extensions["tagstory.db"].close()


@pytest.fixture
def app_with(tmp_path: Path, migrated_database: Path) -> Iterator[Callable[..., Any]]:
    """More apps with settings of their own, each on its own fresh database: `app_with(TRUSTED_PROXIES=1)`."""
    made: list[Any] = []

    def make(**config: Any) -> Any:
        folder = tmp_path / f"app-{len(made)}"
        folder.mkdir()
        made.append(make_app(copy_database(migrated_database, folder / "test.sqlite"), **config))
        return made[-1]

    yield make
    for application in made:
        application.extensions["tagstory.db"].close()


@pytest.fixture
def db(app: Any) -> Any:
    return app.extensions["tagstory.db"]


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


class Curators:
    """Creates curators and logs clients in as them (session + CSRF) or gives tokens."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.db = app.extensions["tagstory.db"]

    def create(self, name: str = "ada") -> dict[str, Any]:
        from stories.curators import create_curator

        return create_curator(self.db, name, PASSWORD)

    def login(self, client: Any, name: str = "ada") -> str:
        """Log `client` in as `name` (created if needed); return the session's CSRF token."""
        from stories.curators import get_curator

        if get_curator(self.db, name) is None:
            self.create(name)
        client.get("/login")
        with client.session_transaction() as session:
            csrf = session["csrf"]
        response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf})
        assert response.status_code == 302, response.data
        with client.session_transaction() as session:
            return session["csrf"]

    def token(self, name: str = "ada") -> dict[str, str]:
        """Authorization headers with a fresh API token for `name` (created if needed)."""
        from stories.curators import create_token, get_curator

        if get_curator(self.db, name) is None:
            self.create(name)
        return {"Authorization": f"Bearer {create_token(self.db, name)}"}


@pytest.fixture
def curators(app: Any, cheap_passwords: None) -> Curators:
    """Curators with real password hashing at one round (tests/factories.py `cheap_passwords`)."""
    return Curators(app)


@pytest.fixture
def socket_client(app: Any, client: Any) -> Callable[..., Any]:
    """Make Flask-SocketIO test clients that share `client`'s session (and so its login)."""
    made = []

    def make(flask_client: Any = None) -> Any:
        sio = socketio.test_client(app, flask_test_client=flask_client or client)
        made.append(sio)
        return sio

    yield make
    for sio in made:
        if sio.is_connected():
            sio.disconnect()


@pytest.fixture
def deliver(app: Any) -> Callable[[], int]:
    """Run the broadcaster once (in tests it has no background loop): push what was committed."""
    return app.extensions["tagstory.broadcaster"].deliver_pending


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers: `live_server(env={...}, args=[...])`; all are stopped afterwards."""
    started: list[LiveServer] = []

    def start(env: dict[str, str] | None = None, args: list[str] | None = None) -> LiveServer:
        server = LiveServer(tmp_path, env, args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free port for the session (make test installs it)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (its own browser download does not work here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


ARTIFACTS = ROOT / "test-artifacts"
