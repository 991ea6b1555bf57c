"""Fixtures of the end-to-end tests; their helpers live in tests/support/.

- Browser pages on the test's relay: `open_ui`, `agent_page`, `chat_pages`. `relay` and
  `browser` come from tests/conftest.py; a module whose tests need no fresh relay (each opens
  its own support and customer) defines `relay` as `shared_relay`, one relay per module. Every
  page gets its own browser context, so the agent and the customer share no storage, like two
  people on two machines.
- The agent app's local API behind desktop-mode pages: `local_app` (windows recorded),
  `recorded_app` (presenter children recorded too).
- The presentation path: a private Xvfb `display`, its `painter` and `grab_screen`, a support
  `session`, the real `presenter` CLI on that display, and `viewers` pages.

A test module overrides one of them by defining a fixture of the same name.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mss
import numpy as np
import pytest
from playwright.sync_api import Page

from suite.agent.app.presentations import TOKEN_ENV
from tests.support.desktop_ui import (
    LocalApp,
    RecordedApp,
    local_app_server,
    open_desktop_support,
    recorded_local_app,
)
from tests.support.relay import REPO_ROOT
from tests.support.screen_content import SCREEN_H, SCREEN_W, rgb_of
from tests.support.ui_pages import (
    PageFactory,
    WaitUntil,
    agent_login,
    close_pages,
    customer_join,
    default_viewport,
    open_page,
    start_support,
)
from tests.support.viewer_presenter import PresentationSession, open_viewer, start_session
from tests.support.x11_paint import RootPainter, add_local_xauth_entry
from tests.support.xvfb import Xvfb


@pytest.fixture
def open_ui(browser, relay, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """Open relay pages: `open_ui("/agent")`, `open_ui("/", viewport=PHONE)` (without one, at
    ui_pages.default_viewport: 1280x720 for the agent page, 1280x800 for the others).
    `wait_until="commit"` returns before the page has loaded (ui_pages.open_page).

    After the test every page must have thrown no uncaught exception; a failed test leaves a
    screenshot of each page in test-artifacts/.
    """
    pages: list[Page] = []

    def open_ui(
        path: str = "/",
        viewport: dict[str, int] | None = None,
        locale: str = "en-US",
        wait_until: WaitUntil = "load",
    ) -> Page:
        size = viewport or default_viewport(path)
        page = open_page(browser, relay.url + path, size, locale, wait_until)
        pages.append(page)
        return page

    yield open_ui
    close_pages(pages, request, "page")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Mark the test as failed on its node so fixtures can keep screenshots."""
    report = yield
    if report.when == "call" and report.failed:
        item.rs_failed = True  # type: ignore[attr-defined]
    return report


@pytest.fixture
def agent_page(open_ui: PageFactory) -> Page:
    """The agent page with alice signed in, on the home panel."""
    page = open_ui("/agent")
    agent_login(page)
    return page


@pytest.fixture
def chat_pages(open_ui: PageFactory) -> tuple[Page, Page]:
    """(agent, customer): alice started a support and "Chris Park" joined with its code.

    The two pages load side by side (a page's load is mostly Chromium compiling its ~150
    modules in a renderer of its own): the customer's loads while alice signs in. Each is
    loaded before the test touches it."""
    agent = open_ui("/agent", wait_until="commit")
    customer = open_ui("/", wait_until="commit")
    agent.wait_for_load_state()
    agent_login(agent)
    code = start_support(agent)
    customer.wait_for_load_state()
    customer_join(customer, code, name="Chris Park")
    return agent, customer


# ---------- The agent app's local API behind desktop-mode pages ----------


@pytest.fixture
def local_app(relay, tmp_path) -> Iterator[LocalApp]:
    """The agent app's local server (real routes and guard) with its settings in tmp_path."""
    short = [{"key": "/hi", "text": "Hi {customer}!"}]
    with local_app_server(tmp_path / "config", relay_url=relay.url, short_messages=short) as app:
        yield app


@pytest.fixture
def recorded_app(relay, tmp_path) -> Iterator[RecordedApp]:
    """The local API (real routes and guard) with its presenter children recorded."""
    with recorded_local_app(tmp_path / "config", relay_url=relay.url) as app:
        yield app


@pytest.fixture
def desktop_chat_pages(browser, recorded_app: RecordedApp, open_ui) -> Iterator[tuple[Page, Page]]:
    """(chat window in desktop mode, customer page): Chris Park joined the desktop's support.

    Giving control needs the desktop app (the page in a browser presents view only)."""
    pages: list = []
    try:
        support = open_desktop_support(
            browser, recorded_app.app, open_ui, pages, {"width": 1280, "height": 720}
        )
        yield support.chat, support.customer
    finally:
        for page in pages:
            page.context.close()


# ---------- The presentation path: X screen -> presenter CLI -> relay -> viewer ----------


@pytest.fixture
def display() -> Iterator[Xvfb]:
    """A private Xvfb of the presentation tests' screen size."""
    with Xvfb(SCREEN_W, SCREEN_H) as xvfb:
        add_local_xauth_entry(xvfb)  # python-xlib (the presenter's pointer) needs it
        yield xvfb


@pytest.fixture
def painter(display: Xvfb) -> Iterator[RootPainter]:
    """Paints BGRA frames on the display's root window."""
    painter = RootPainter(display.env())
    yield painter
    painter.close()


@pytest.fixture
def session(relay) -> PresentationSession:
    """alice logs in and opens a support; a customer joins it (through the relay's API)."""
    return start_session(relay)


@pytest.fixture
def grab_screen(display: Xvfb, monkeypatch: pytest.MonkeyPatch) -> Callable[[], np.ndarray]:
    """An mss grab of the whole test display, as (h, w, 3) RGB."""
    monkeypatch.setenv("XAUTHORITY", str(display.xauthority))

    def grab() -> np.ndarray:
        with mss.MSS(display=display.display) as grabber:
            shot = grabber.grab(grabber.monitors[1])
            bgra = np.asarray(shot, np.uint8).reshape(shot.height, shot.width, 4)
        return rgb_of(bgra)

    return grab


@pytest.fixture
def presenter(display: Xvfb, session: PresentationSession, tmp_path: Path, request):
    """Start the presenter CLI on the test display; stopped (SIGTERM) after the test."""
    processes: list[tuple[subprocess.Popen, Path]] = []

    def start(*extra: str) -> subprocess.Popen:
        log = tmp_path / f"presenter-{len(processes)}.log"
        env = display.env()
        env[TOKEN_ENV] = session.agent_token  # off the process list, as the agent app does
        command = [
            sys.executable, "-m", "suite.agent.presenter", "--relay", session.ws_url,
            f"--session={session.session_id}", "--control-stdin", *extra,
        ]  # fmt: skip
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE, stdout=out,
                stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if getattr(request.node, "rs_failed", False):
            print(f"--- {log.name} ---\n{log.read_text(errors='replace')}")


@pytest.fixture
def viewers(browser, session: PresentationSession, request: pytest.FixtureRequest):
    """Open viewer pages (``open_viewer``'s options); afterwards none may have thrown, and a
    failure keeps screenshots."""
    pages: list[Page] = []

    def open_one(**options: Any) -> Page:
        page = open_viewer(browser, session, **options)
        pages.append(page)
        return page

    yield open_one
    close_pages(pages, request, "viewer")
