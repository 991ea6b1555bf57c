"""Steps the desktop-app tests share: the app's private display, its main window, signing in,
and opening a support in a chat window of its own (tests/e2e/test_desktop_*.py).

The windows are QtWebEngine pages driven over DevTools (tests/support/cdp.py); they drop the
``#token`` fragment from their address at once, so windows are told apart by target id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpPage, by_test_id, visible_js, wait_for_target
from tests.support.relay import ALICE, Agent
from tests.support.shots import keep_shot  # noqa: F401 (the desktop tests import it from here)
from tests.support.xvfb import Xvfb, XvfbError

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
def driving(app: AgentApp, artifacts_dir: Path, name: str) -> Iterator[Windows]:
    """Drive ``app``'s windows; on a failure print its log and keep a screenshot of each
    window (``<name>-failed-window-N.png``); always close everything and kill the app."""
    windows = Windows()
    try:
        yield windows
    except BaseException:
        print(app.log())
        for index, page in enumerate(windows.pages):
            try:
                page.screenshot(artifacts_dir / f"{name}-failed-window-{index}.png")
            except Exception as error:  # the window may be gone; the test already failed
                print(f"no screenshot of window {index}: {error}")
        raise
    finally:
        windows.close()
        app.kill()
