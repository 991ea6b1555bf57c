"""Steps the desktop-app tests share: the app's private display, its main window, signing in,
and opening a support in a chat window of its own (tests/e2e/test_desktop_*.py).

The windows are QtWebEngine pages driven over DevTools (tests/support/cdp.py); they drop the
``#token`` fragment from their address at once, so windows are told apart by target id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpPage, by_test_id, list_targets, visible_js, wait_for_target
from tests.support.relay import ALICE, Agent
from tests.support.shots import keep_shot  # noqa: F401 (the desktop tests import it from here)
from tests.support.waiting import wait_until
from tests.support.xvfb import Xvfb, XvfbError

# A chat window's page address keeps its session in the fragment.
CHAT_SESSION_RE = re.compile(r"[#&]session=([^&]+)")
# The access code the chat window shows, once it shows one.
ACCESS_CODE_JS = (
    f"(document.querySelector('{by_test_id('access-code')}')?.textContent ?? '')"
    ".trim().match(/^\\d{9}$/)?.[0]"
)


@dataclass
class SupportWithCustomer:
    """A support open in the app's chat window with a Chromium customer in it."""

    main: CdpPage
    chat: CdpPage
    customer: Any  # a playwright Page


def private_display() -> Iterator[Xvfb]:
    """A private 1920x1080 X display (use as a module fixture's body)."""
    try:
        display = Xvfb().start()
    except XvfbError as error:
        pytest.fail(str(error))
    yield display
    display.stop()


def xauth_display() -> Iterator[Xvfb]:
    """A private 1920x1080 X display with an Xauthority entry python-xlib can read (the
    presenter's window list, the wallpaper); use as a module fixture's body."""
    from tests.support.x11_paint import add_local_xauth_entry

    for display in private_display():
        add_local_xauth_entry(display)
        yield display


def main_page(app: AgentApp) -> CdpPage:
    """The main window: the only page when the app has started."""
    target = wait_for_target(app.devtools_port, lambda t: "/ui/agent/index.html" in t["url"])
    return CdpPage(target)


def sign_in(main: CdpPage, agent: Agent = ALICE) -> None:
    main.wait_for_selector(by_test_id("login-username"))
    main.fill(by_test_id("login-username"), agent.username)
    main.fill(by_test_id("login-password"), agent.password)
    main.click(by_test_id("login-button"))


def open_support_window(app: AgentApp, main: CdpPage, pages: list[CdpPage]) -> CdpPage:
    """New support from the main window; returns its chat window (also added to ``pages``)."""
    known = {page.target["id"] for page in pages}
    new_support = by_test_id("new-support-button")
    # The button is disabled while the previous support is being created.
    main.wait_for(f"{visible_js(new_support)} && !document.querySelector('{new_support}').disabled")
    main.click(new_support)
    chat = CdpPage(
        wait_for_target(
            app.devtools_port,
            lambda t: t["id"] not in known and "/ui/agent/index.html" in t["url"],
        )
    )
    pages.append(chat)
    return chat


@dataclass
class Windows:
    """What a desktop test opened: the app's windows (DevTools pages) and Chromium customers."""

    pages: list[CdpPage] = field(default_factory=list)
    customers: list[Any] = field(default_factory=list)  # playwright Pages

    def close(self) -> None:
        for page in self.pages:
            page.close()
        self.pages.clear()
        for customer in self.customers:
            customer.context.close()
        self.customers.clear()


def desktop_support_with_customer(
    app: AgentApp, windows: Windows, browser: Any, relay_url: str, name: str = "Chris Park"
) -> SupportWithCustomer:
    """Sign in to the app's main window, open a support in a chat window and let a Chromium
    customer (``browser``: a playwright Browser) join it by its code; returns when the chat
    window shows the conversation. Every window and page goes into ``windows``."""
    from tests.support.ui_pages import customer_join, open_page

    main = main_page(app)
    windows.pages.append(main)
    sign_in(main)
    chat = open_support_window(app, main, windows.pages)
    code = chat.wait_for(ACCESS_CODE_JS)
    customer = open_page(browser, relay_url + "/")
    windows.customers.append(customer)
    customer_join(customer, code, name=name)
    chat.wait_for_selector(by_test_id("chat-input"))
    return SupportWithCustomer(main, chat, customer)


def present_whole_screen(
    chat: CdpPage, customer: Any, windows: Windows, timeout_ms: float = 30_000
) -> Any:
    """The agent asks to present from the chat window, the customer (a playwright Page) accepts
    in a new viewer window, the agent confirms the whole screen; returns the viewer once it
    shows the screen live (it goes into ``windows``)."""
    from playwright.sync_api import expect

    chat.click(by_test_id("present-request"))
    chat.wait_for_selector(by_test_id("share-picker"))  # opens by itself at the request
    with customer.expect_popup() as popup:
        customer.get_by_test_id("presentation-accept").click()
    viewer = popup.value
    windows.customers.append(viewer)
    # A click before the button is laid out lands nowhere (seen under load): wait for it, and
    # for the picker's monitor list (its first listing takes a second or two and moves the
    # popover). The confirm hides the button: checked, so a missed click fails here.
    confirm = by_test_id("share-whole-confirm")
    chat.wait_for(visible_js(confirm))
    chat.wait_for(
        f"!document.querySelector('{by_test_id('share-monitor')}')"
        ".querySelector('option[value=\"\"]')"
    )
    chat.click(confirm)  # the first whole-screen share, confirmed
    chat.wait_for(f"document.querySelector('{confirm}').hidden", timeout_s=5)
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute(
        "data-state", "live", timeout=timeout_ms
    )
    return viewer


@contextmanager
def driving(
    app: AgentApp, artifacts_dir: Path, name: str, keep_running: bool = False
) -> Iterator[Windows]:
    """Drive ``app``'s windows; on a failure print its log, keep a screenshot of each window
    (``<name>-failed-window-N.png``) and kill the app; always close the test's pages and, unless
    ``keep_running`` (a :class:`SignedInApp`'s), kill the app."""
    windows = Windows()
    failed = False
    try:
        yield windows
    except BaseException:
        failed = True
        print(app.log())
        for index, page in enumerate(windows.pages):
            try:
                page.screenshot(artifacts_dir / f"{name}-failed-window-{index}.png")
            except Exception as error:  # the window may be gone; the test already failed
                print(f"no screenshot of window {index}: {error}")
        raise
    finally:
        windows.close()
        if failed or not keep_running:
            app.kill()


def local_call_js(method: str, path: str, body: dict[str, Any] | None = None) -> str:
    """A call of the app's local API from one of its windows, with the window's secret; the
    expression's value is the answer's status."""
    sent = f", body: {json.dumps(json.dumps(body))}" if body is not None else ""
    return f"""fetch({json.dumps(path)}, {{method: {json.dumps(method)},
      headers: {{"Content-Type": "application/json",
        "X-RemoteSales-Token": JSON.parse(sessionStorage.getItem("rs.desktop")).token}}{sent}
      }}).then((r) => r.status)"""


def chat_targets(app: AgentApp) -> dict[str, dict[str, Any]]:
    """The open chat windows' DevTools pages, by their session."""
    targets = {}
    for target in list_targets(app.devtools_port):
        found = CHAT_SESSION_RE.search(target.get("url", ""))
        if target.get("type") == "page" and found:
            targets[found.group(1)] = target
    return targets


# What the app knows of its windows' supports (GET /local/activity, A4): any live?
APP_LIVE_JS = """fetch("/local/activity", {headers: {"X-RemoteSales-Token":
  JSON.parse(sessionStorage.getItem("rs.desktop")).token}}).then((r) => r.json())
  .then((activity) => activity.live)"""


def end_and_close_chat_windows(app: AgentApp, main: CdpPage) -> None:
    """End the support of every chat window still live (its window.rsDesktop.endSession(), as
    the notice's End does), wait until the app counts none live (the windows report it), then
    close them as the end card's Close window does (POST /local/windows/chat/close)."""
    targets = chat_targets(app)
    for target in targets.values():
        with CdpPage(target) as chat:
            # (an ended support's socket is closed: nothing to end, and sending may throw)
            chat.evaluate("(() => { try { window.rsDesktop.endSession(); } catch {} })()")
    wait_until(lambda: main.evaluate(APP_LIVE_JS) is False, "the app to count no support live")
    for session_id in targets:
        close = local_call_js("POST", "/local/windows/chat/close", {"session_id": session_id})
        status = main.evaluate(close)
        assert status in (200, 204, 404), (session_id, status)  # 404: it closed meanwhile
    wait_until(lambda: not chat_targets(app), "every chat window closed", 15, 0.1)


class SignedInApp:
    """One agent app for the tests of a module that need it signed in and nothing else of it
    (its start is seconds on a loaded machine); a module fixture makes it (`signed_in_app`),
    each test drives it through :meth:`use`, and the module's end stops it (SIGTERM: exit 0).

    ``start`` makes and starts an app in a new folder (its settings written before it, as for
    any app), so a replacement starts as the first did. A test gets it signed in with its main
    window only; after it the supports it left live are ended and the chat windows it opened
    closed. A test that fails, leaves the main window signed out, or leaves a support the app
    still counts live after its End, leaves the app to be replaced: the next test gets a new one.
    """

    def __init__(self, start: Callable[[], AgentApp], artifacts_dir: Path) -> None:
        self._start = start
        self._artifacts_dir = artifacts_dir
        self.app: AgentApp | None = None
        self.starts = 0

    def _fresh(self) -> AgentApp:
        if self.app is not None:
            self.app.kill()
        self.app = self._start()
        self.starts += 1
        with main_page(self.app) as main:
            # The first run's form has the relay's address from --relay-url filled in.
            main.wait_for_selector(by_test_id("login-relay-url"))
            relay_url = f"document.querySelector('{by_test_id('login-relay-url')}').value"
            assert main.evaluate(relay_url), "the login form has no relay address"
            sign_in(main)
            main.wait_for(visible_js(by_test_id("new-support-button")))
        return self.app

    @contextmanager
    def use(self, name: str) -> Iterator[tuple[AgentApp, CdpPage, Windows]]:
        """The app signed in, its main window (first in the yielded ``Windows``' pages) and the
        windows the test opens; on a failure the app's log and a screenshot of each window
        (``<name>-failed-window-N.png``), and the app is killed."""
        app = self.app
        if app is None or app.process is None or app.process.poll() is not None:
            app = self._fresh()
        else:
            with main_page(app) as main:
                if main.evaluate(visible_js(by_test_id("login-username"))):
                    app = self._fresh()  # signed out (an idle test): its timers are the test's
        with driving(app, self._artifacts_dir, name, keep_running=True) as windows:
            main = main_page(app)
            windows.pages.append(main)
            try:
                yield app, main, windows
            except BaseException:
                self.app = None  # driving() kills it
                raise
            try:
                end_and_close_chat_windows(app, main)
            except AssertionError as error:
                # Not what the test proves (it passed): the app could not be brought back to
                # a clean state (a window still counts its support live), so the next test
                # gets a new one, as after a failure.
                print(f"{name}: a new app for the next test: {error}")
                app.kill()
                self.app = None

    def stop(self) -> int | None:
        """SIGTERM the app (if one runs) and return its exit code."""
        app, self.app = self.app, None
        if app is None or app.process is None or app.process.poll() is not None:
            return None
        return app.stop()


def signed_in_app(start: Callable[[], AgentApp], artifacts_dir: Path) -> Iterator[SignedInApp]:
    """A module fixture's body: a :class:`SignedInApp` whose app must exit 0 on SIGTERM after
    the module's last test (a failure there is the last test's error)."""
    shared = SignedInApp(start, artifacts_dir)
    try:
        yield shared
        assert shared.stop() in (0, None), "the signed-in app did not exit 0 on SIGTERM"
    finally:
        if shared.app is not None:
            shared.app.kill()
