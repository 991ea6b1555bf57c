"""The real agent desktop app (pywebview + Qt) under Xvfb, driven through its windows.

Each test starts ``python -m suite.agent`` as a subprocess on a private Xvfb display and
drives the real QtWebEngine pages over DevTools (tests/support/cdp.py). A full open-assert-
close cycle costs ~2-3 s, so these tests are few and each checks a lot.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpPage, by_test_id, wait_for_target
from tests.support.x11 import find_windows, request_close
from tests.support.xvfb import Xvfb, XvfbError

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    try:
        display = Xvfb().start()
    except XvfbError as error:
        pytest.fail(str(error))
    yield display
    display.stop()


@pytest.fixture
def agent_app(xvfb, relay, tmp_path, request) -> Iterator[AgentApp]:
    """The agent app started against the test's relay; its log is shown if the test fails."""
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    yield app
    app.kill()
    if getattr(request.node, "rs_failed", False):
        print(app.log())


def main_page(app: AgentApp) -> CdpPage:
    target = wait_for_target(app.devtools_port, lambda t: "desktop=1" in t["url"])
    return CdpPage(target)


def test_starts_serves_its_window_and_stops_on_sigterm(agent_app, relay, artifacts_dir: Path):
    """The window loads the agent page from the local server; SIGTERM exits 0 cleanly."""
    with main_page(agent_app) as page:
        page.wait_for("document.readyState === 'complete'")
        assert page.evaluate("location.origin") == agent_app.url
        assert page.evaluate("location.pathname") == "/ui/agent/index.html"
        # The window's own origin still needs the secret for the local API.
        status = page.evaluate("fetch('/local/settings').then((r) => r.status)")
        assert status == 401
        page.wait_for_selector(by_test_id("login-username"))
        page.screenshot(artifacts_dir / "desktop-agent-start.png")
    assert agent_app.stop(signal.SIGTERM) == 0
    log = agent_app.log()
    assert "main window loaded" in log and "SIGTERM: closing" in log and "stopped" in log


def test_closing_the_main_window_quits(agent_app):
    """Closing the main window (WM_DELETE_WINDOW, as from its title bar) ends the app with 0."""
    env = agent_app.xvfb.env()
    windows = find_windows(env, "^RemoteSales$")
    assert windows, "no X window titled RemoteSales"
    for window in windows:
        request_close(env, window)
    assert agent_app.process is not None
    assert agent_app.process.wait(timeout=10) == 0
    assert "stopped" in agent_app.log()
