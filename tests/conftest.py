"""Fixtures shared by every test: a real relay subprocess, an HTTP helper, Chromium.

Helpers live in tests/support/; this file only wires them into pytest.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.builds_ahead import ENV as BUILDS_AHEAD_ENV
from tests.support.file_weights import file_weight, read_table
from tests.support.network import Impostors
from tests.support.postgres import PostgresServer, postgres_missing, running_postgres
from tests.support.redis_server import RedisServer, redis_missing, run_redis
from tests.support.relay import (
    ALICE,
    DEFAULT_AGENTS,
    REPO_ROOT,
    Agent,
    RelayError,
    RelayProcess,
    add_agent,
    add_default_agents,
    agent_profile,
)

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # getDisplayMedia answers at once with Chromium's fake 1280x720 capture (a moving test
    # pattern) instead of a picker no one can click: the agent page presents from the browser
    # (tests/e2e/test_browser_presenting.py).
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--relay-store",
        choices=("tinydb", "postgresql"),
        default="tinydb",
        help="the store of the relays relay_factory starts: postgresql gives each its own "
        "database on one throwaway PostgreSQL server (docs/scaling.md: the PostgreSQL run)",
    )
    parser.addoption(
        "--relay-hub",
        choices=("local", "redis"),
        default="local",
        help="the hub of the relays relay_factory starts: redis gives each its own database "
        "on one throwaway redis-server per pytest process (docs/scaling.md: the cluster run)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "builds: builds programs with scripts/build (minutes of CPU on a fresh machine); "
        "such files run first",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test files that build programs first, then the heaviest files first
    (tests/file_weights.txt; tests/support/file_weights.py says why). scripts/test hands whole
    files to its two workers in this order (``--no-loadscope-reorder``).

    When scripts/test started the builds ahead (``RS_BUILDS_AHEAD``,
    tests/support/builds_ahead.py) the build files go last instead: the rest of the suite runs
    while they build, and by then their setup only picks up the result."""
    ahead = bool(os.environ.get(BUILDS_AHEAD_ENV))
    weights = read_table()
    known: dict[str, float] = {}

    def weight(item: pytest.Item) -> float:
        name = item.nodeid.split("::", 1)[0]
        if name not in known:
            known[name] = file_weight(weights, name)
        return known[name]

    # Stable: a file's tests keep their order, files of equal weight their collection order.
    items.sort(
        key=lambda item: ((item.get_closest_marker("builds") is None) != ahead, -weight(item))
    )


_RELAYS_KEY = pytest.StashKey[list[RelayProcess]]()
_REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


_SIGINT_CHANGES: list[str] = []
_SIGINT_KEY = pytest.StashKey[tuple[object, bool]]()
_SIGINT_PROPERTY = "sigint_changed"


def _sigint_state() -> tuple[object, bool]:
    return signal.getsignal(signal.SIGINT), signal.SIGINT in signal.pthread_sigmask(
        signal.SIG_BLOCK, []
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    item.stash[_SIGINT_KEY] = _sigint_state()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """A test (or its fixtures) that leaves SIGINT ignored or blocked in this process is named
    in the summary and the disposition restored: every process the later tests start would
    inherit it (scripts/run could not trap Ctrl-C).

    The finding rides on the teardown report (``user_properties``), so under pytest-xdist the
    worker's finding reaches the summary the controller prints.
    """
    try:
        return (yield)
    finally:
        if _SIGINT_KEY in item.stash:
            handler, blocked = item.stash[_SIGINT_KEY]
            now_handler, now_blocked = _sigint_state()
            if now_handler != handler or now_blocked != blocked:
                item.user_properties.append(
                    (
                        _SIGINT_PROPERTY,
                        f"{item.nodeid}: handler {handler!r} -> {now_handler!r}, "
                        f"blocked {blocked} -> {now_blocked}",
                    )
                )
                signal.signal(signal.SIGINT, handler)  # type: ignore[arg-type]
                how = signal.SIG_BLOCK if blocked else signal.SIG_UNBLOCK
                signal.pthread_sigmask(how, [signal.SIGINT])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        _SIGINT_CHANGES.extend(
            str(value) for name, value in report.user_properties if name == _SIGINT_PROPERTY
        )


def pytest_terminal_summary(terminalreporter) -> None:
    for change in _SIGINT_CHANGES:
        terminalreporter.write_line(f"SIGINT changed (restored) by {change}", yellow=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Attach the logs of the test's relays to a failed report, and remember the outcome."""
    report = yield
    item.stash.setdefault(_REPORTS_KEY, {})[report.when] = report
    # A relay that failed to start already put its log in the error message.
    start_failed = call.excinfo is not None and call.excinfo.errisinstance(RelayError)
    if report.failed and not start_failed:
        for relay in item.stash.get(_RELAYS_KEY, []):
            report.sections.append((f"relay log {relay.log_path}", relay.log_tail()))
    return report


def _test_failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(_REPORTS_KEY, {}).values())


RelayFactory = Callable[..., RelayProcess]


RelayBackend = Callable[..., tuple[tuple[str, ...], tuple[str, ...]]]
_AGENTS_TEMPLATES: dict[int, str] = {}  # PostgreSQL server's port -> its template database


def _default_agents_database(server: PostgresServer) -> str:
    """A database on ``server`` with the schema and alice and bob (``users add``, once per
    server), for ``CREATE DATABASE ... TEMPLATE``: a copy costs a file copy in the server
    instead of two CLI processes and the migrations (seconds each on a loaded machine), as
    TinyDB's template folder does (``add_default_agents``)."""
    if server.port not in _AGENTS_TEMPLATES:
        name = server.create_database("agents_template")
        with tempfile.TemporaryDirectory(prefix="rs-agents-template-") as folder:
            for agent in DEFAULT_AGENTS:
                add_agent(Path(folder), agent, server.store_args(name))
        _AGENTS_TEMPLATES[server.port] = name
    return _AGENTS_TEMPLATES[server.port]


@pytest.fixture(scope="session")
def relay_backend(request: pytest.FixtureRequest) -> RelayBackend:
    """What a new relay runs on, as ``--relay-store`` and ``--relay-hub`` ask: a call gives
    ``(store_args, hub_args)`` for one more relay (a database of its own on the run's
    PostgreSQL and Redis), both empty for the default TinyDB folder and local hub. For fixtures
    that start relays themselves (``mail_relay_process``); relay_factory uses it too, with
    ``default_agents=True`` for a database that already holds alice and bob, and
    ``with_store=False`` for a relay whose test chose its own store (the hub's arguments
    only)."""

    def next_relay(
        default_agents: bool = False, with_store: bool = True
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        store_args: tuple[str, ...] = ()
        if with_store and request.config.getoption("--relay-store") == "postgresql":
            server: PostgresServer = request.getfixturevalue("postgres")
            template = _default_agents_database(server) if default_agents else None
            store_args = server.store_args(server.create_database(template=template))
        hub_args: tuple[str, ...] = ()
        if request.config.getoption("--relay-hub") == "redis":
            databases: _RedisDatabases = request.getfixturevalue("redis_databases")
            hub_args = databases.next_hub_args()
        return store_args, hub_args

    return next_relay


def _start_relay(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    extra_args: Sequence[str] = (),
    agents: Sequence[Agent] = (),
    default_agents: bool = True,
    store: Sequence[str] | None = None,
) -> RelayProcess:
    """A relay started on a fresh data folder (or PostgreSQL database, ``--relay-store``; on a
    Redis hub, ``--relay-hub``) with alice and bob unless ``default_agents`` is false, and
    ``agents``; the caller stops it. ``store``: the relay's ``--store`` arguments instead of
    the run's (a test that stops its own PostgreSQL server): one store, never two."""
    work_dir = tmp_path_factory.mktemp("relay")
    data_dir = work_dir / "data"
    data_dir.mkdir()
    backend: RelayBackend = request.getfixturevalue("relay_backend")
    if store is None:
        store_args, hub_args = backend(default_agents=default_agents)
    else:
        store_args, hub_args = tuple(store), backend(with_store=False)[1]
        if default_agents:
            agents = (*DEFAULT_AGENTS, *agents)
    if default_agents and not store_args:
        add_default_agents(data_dir)  # copied from a template: the same as `users add`
    for agent in agents:
        add_agent(data_dir, agent, store_args)
    relay = RelayProcess(data_dir, work_dir, (*store_args, *hub_args, *extra_args))
    relay.start()
    return relay


@pytest.fixture
def relay_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RelayFactory]:
    """Start relays with extra CLI arguments and agents; all are stopped after the test.

    Call it as `relay_factory(*extra_args, agents=(...), default_agents=True)`: alice and bob
    (tests/support/relay.py) are created first unless `default_agents` is false. `store=`
    gives the `--store` arguments in place of the run's `--relay-store` choice.
    """
    started: list[RelayProcess] = []
    logged = request.node.stash.setdefault(_RELAYS_KEY, [])  # their logs join a failed report

    def start(
        *extra_args: str,
        agents: Sequence[Agent] = (),
        default_agents: bool = True,
        store: Sequence[str] | None = None,
    ) -> RelayProcess:
        relay = _start_relay(request, tmp_path_factory, extra_args, agents, default_agents, store)
        started.append(relay)
        logged.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()


@pytest.fixture(scope="module")
def one_relay_per_module(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RelayProcess]:
    """One relay (alice and bob, and the module's ``SHARED_RELAY_AGENTS`` if it names any) for
    all the tests of a module that asks for it through `shared_relay`; stopped after the
    module's last test."""
    agents = getattr(request.module, "SHARED_RELAY_AGENTS", ())
    relay = _start_relay(request, tmp_path_factory, agents=agents)
    yield relay
    relay.stop()


@pytest.fixture
def shared_relay(
    one_relay_per_module: RelayProcess, request: pytest.FixtureRequest
) -> Iterator[RelayProcess]:
    """The module's one relay, for modules whose tests each open their own support and
    customer and need no fresh relay: a relay's start costs ~0.7 s of CPU, seconds on a loaded
    machine, and the e2e files start one per test. A module opts in by defining
    `relay` as a fixture returning `shared_relay`. Its log joins a failed test's report like a
    relay of its own; one a test left stopped (killed, not restarted) is started again. After
    each test alice's account data is as on a fresh relay again (``Api.restore_agent_data``);
    other state a test changes (an account disabled, an option set) it puts back itself."""
    if not one_relay_per_module.running:
        one_relay_per_module.start()
    request.node.stash.setdefault(_RELAYS_KEY, []).append(one_relay_per_module)
    yield one_relay_per_module
    # What a test changed in alice's account (the UI tests' agent: her language, idle time,
    # short messages, favourites, photo, profile) is put back for the module's next test.
    if one_relay_per_module.running:
        api = Api(one_relay_per_module.url)
        api.restore_agent_data(api.login(ALICE.username, ALICE.password), agent_profile(ALICE))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole run (initdb takes seconds); tests make
    their own databases on it (``postgres.create_database()``)."""
    missing = postgres_missing()
    if missing:
        pytest.skip(missing)
    with running_postgres(durable=False) as server:  # no test survives the machine's crash
        yield server


# Databases of the one redis-server of a ``--relay-hub redis`` run: one per relay started, never
# reused (a relay restarted keeps its own, as a node restarting keeps its Redis). Redis keeps an
# empty database for nothing; 4,096 is more than any pytest process starts relays.
REDIS_DATABASES = 4096


class _RedisDatabases:
    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self._next = 0

    def next_hub_args(self) -> tuple[str, ...]:
        if self._next >= REDIS_DATABASES:
            raise RuntimeError(f"more than {REDIS_DATABASES} relays in one pytest process")
        db, self._next = self._next, self._next + 1
        return self.server.hub_args(db)


@pytest.fixture(scope="session")
def redis_databases() -> Iterator[_RedisDatabases]:
    """One throwaway redis-server per pytest process (each xdist worker has its own) for a
    ``--relay-hub redis`` run; each relay gets a database of its own on it."""
    missing = redis_missing()
    if missing:
        pytest.skip(missing)
    with run_redis(databases=REDIS_DATABASES) as server:
        yield _RedisDatabases(server)


@pytest.fixture
def relay(relay_factory: RelayFactory) -> RelayProcess:
    """A relay on 127.0.0.1 with a fresh data directory holding the agents alice and bob."""
    return relay_factory()


@pytest.fixture
def api(relay: RelayProcess) -> Api:
    """The HTTP helper bound to the `relay` fixture (use `Api(url)` for other relays)."""
    return Api(relay.url)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1 (PEM files), made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def impostor() -> Iterator[Callable[[int, str, bytes], str]]:
    """Start stdlib HTTP servers whose every GET answers (status, content type, body):
    `url = impostor(200, "text/html", b"...")`; all are stopped after the test."""
    impostors = Impostors()
    yield impostors.start
    impostors.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root, for screenshots and logs kept after the run."""
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright's sync API (never `playwright install`).

    Skipped when /usr/bin/chromium is missing, except under CI, where that is an error:
    scripts/test installs it.
    """
    if not os.path.exists(CHROMIUM_PATH):
        reason = f"{CHROMIUM_PATH} is missing: install Debian's chromium (scripts/test does)"
        print(reason)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    # Imported here so that tests without a browser do not load Playwright. Its sync API must
    # not run inside a running asyncio loop: tests use it from plain (non-async) functions.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest, artifacts_dir: Path):
    """A page in a fresh browser context; a screenshot goes to test-artifacts/ on failure."""
    context = browser.new_context()
    page = context.new_page()
    try:
        yield page
    finally:
        if _test_failed(request.node):
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            try:
                page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)
            except Exception as error:  # the page may be gone; the test already failed
                print(f"no screenshot for {request.node.nodeid}: {error}")
        context.close()
