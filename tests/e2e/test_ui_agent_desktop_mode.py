"""The agent page in desktop mode, in Chromium, against the real local API of the agent app.

The pages are served by `suite.agent.app.local_api` (guard, routes, relay proxy, settings file)
exactly as the app serves them; only the windows are replaced, by a recorder of what the pages
ask of them (the real windows are tested in test_desktop_agent.py under Xvfb).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.local_state import Notice
from suite.agent.app.settings import LocalSettings
from tests.e2e.conftest import PageFactory
from tests.e2e.ui_pages import bubble_with_text, by_id, customer_join, open_page, screenshot
from tests.support.relay import ALICE

pytestmark = pytest.mark.e2e

CHAT_WINDOW = {"width": 420, "height": 640}
NOTICE_WINDOW = {"width": 360, "height": 180}


@dataclass
class RecordedWindows:
    """The app's windows, reduced to a record of what the pages asked for."""

    chats: list[str] = field(default_factory=list)
    notices: list[list[dict[str, Any]]] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    help_opened: int = 0

    def open_chat(self, session_id: str) -> None:
        self.chats.append(session_id)

    def show_notice(self, notice: Notice) -> None:
        self.notices.append(notice.sessions)

    def end_from_notice(self, session_id: str) -> bool:
        self.ended.append(session_id)
        return True

    def open_url(self, url: str) -> None:
        self.urls.append(url)

    def open_help(self) -> None:
        self.help_opened += 1


@dataclass
class LocalApp:
    url: str
    secret: str
    windows: RecordedWindows

    def page_url(self, page: str, **fragment: str) -> str:
        parts = [f"token={self.secret}", *(f"{k}={v}" for k, v in fragment.items())]
        return f"{self.url}/ui/{page}#{'&'.join(parts)}"


@pytest.fixture
def local_app(relay, tmp_path) -> Iterator[LocalApp]:
    """The agent app's local server (real routes and guard) with its settings in tmp_path."""
    settings = LocalSettings(tmp_path / "config")
    settings.update(
        {"relay_url": relay.url, "short_messages": [{"key": "/hi", "text": "Hi {customer}!"}]}
    )
    windows = RecordedWindows()
    server = LocalServer()
    secret = secrets.token_urlsafe(32)
    server.start(guard(build_app(settings, windows), secret, server.port))
    yield LocalApp(server.url, secret, windows)
    server.stop()
    settings.close()


def desktop_page(browser, url: str, viewport: dict[str, int]) -> Page:
    """A window of the app, as a Chromium page of its own (own sessionStorage, like a window)."""
    return open_page(browser, url, viewport=viewport)


def local_call(page: Page, method: str, path: str):
    """Wait for the page's next call of `method path` to the local API; use with `with`."""
    return page.expect_response(
        lambda response: response.request.method == method and response.url.endswith(path)
    )


def test_desktop_mode_login_support_window_notice_and_end(
    browser, relay, local_app: LocalApp, open_ui: PageFactory
) -> None:
    """Login through /local/login, a support in its own window, short message, notice, End."""
    main = desktop_page(
        browser, local_app.page_url("agent/index.html", desktop="1"), {"width": 1100, "height": 760}
    )
    pages = [main]
    try:
        # The secret left the address; the server address came from the app's settings.
        assert "token=" not in main.url and main.url.endswith("#desktop=1")
        relay_field = by_id(main, "login-relay-url")
        expect(relay_field).to_have_value(relay.url)
        by_id(main, "login-username").fill(ALICE.username)
        by_id(main, "login-password").fill("wrong-password")
        by_id(main, "login-button").click()
        expect(by_id(main, "login-error")).to_have_text("Wrong ID or password.")
        relay_field.fill("http://127.0.0.1:9")
        by_id(main, "login-password").fill(ALICE.password)
        by_id(main, "login-button").click()
        expect(by_id(main, "login-error")).to_contain_text("No answer from that server address")
        expect(relay_field).to_be_focused()
        screenshot(main, "desktop-mode-login-error")
        relay_field.fill(relay.url)
        by_id(main, "login-password").fill(ALICE.password)
        by_id(main, "login-remember").check()
        by_id(main, "login-button").click()
        expect(by_id(main, "new-support-button")).to_be_visible()

        with local_call(main, "POST", "/local/open_help"):
            by_id(main, "help-button").click()
        with local_call(main, "POST", "/local/open_admin"):
            by_id(main, "admin-button").click()
        assert local_app.windows.help_opened == 1
        assert local_app.windows.urls == [relay.url + "/admin"]

        with local_call(main, "POST", "/local/windows/chat"):
            by_id(main, "new-support-button").click()
        expect(by_id(main, "home-info")).to_contain_text("opened in its own window")
        [session_id] = local_app.windows.chats
        screenshot(main, "desktop-mode-main")

        chat = desktop_page(
            browser, local_app.page_url("agent/index.html", session=session_id), CHAT_WINDOW
        )
        pages.append(chat)
        code = by_id(chat, "access-code")
        expect(code).to_have_text(re.compile(r"^\d{9}$"))
        assert chat.url.endswith(f"#session={session_id}")
        screenshot(chat, "desktop-mode-chat-waiting")

        customer = open_ui("/")
        with local_call(chat, "POST", "/local/notice"):
            customer_join(customer, code.text_content() or "", name="Chris Park")
        assert local_app.windows.notices[-1][0]["session_id"] == session_id
        box = by_id(chat, "chat-input")
        box.fill("/hi")
        box.press("Enter")
        expect(bubble_with_text(customer, "Hi Chris Park!")).to_be_visible()
        by_id(chat, "notes-toggle").click()
        by_id(chat, "notes-input").fill("Desktop notes")
        by_id(chat, "notes-save").click()
        expect(by_id(chat, "notes-status")).to_have_attribute("data-state", "saved")
        by_id(chat, "notes-toggle").click()
        screenshot(chat, "desktop-mode-chat")

        notice = desktop_page(browser, local_app.page_url("agent/notice.html"), NOTICE_WINDOW)
        pages.append(notice)
        expect(by_id(notice, "notice-customer")).to_have_text("Chris Park")
        expect(by_id(notice, "notice-elapsed")).to_contain_text(re.compile(r"\d\d:\d\d"))
        screenshot(notice, "desktop-mode-notice")
        end = by_id(notice, "notice-end")
        end.click()
        expect(end).to_contain_text("End now")
        with local_call(notice, "POST", "/local/notice/end") as answer:
            end.click()
        assert answer.value.status == 204
        assert local_app.windows.ended == [session_id]

        with local_call(chat, "POST", "/local/notice"):
            chat.evaluate("window.rsDesktop.endSession()")  # what the shell does for that window
        expect(by_id(chat, "end-screen")).to_be_visible()
        expect(by_id(customer, "end-screen")).to_be_visible()
        assert local_app.windows.notices[-1] == []
        # The app pushes the numbered list; a late copy of an older list must not bring the
        # ended session back (the page's own GET can be answered after a newer push).
        notice.evaluate("window.rsNotice.update([], 1000)")
        expect(by_id(notice, "notice-none")).to_be_visible()
        stale = [{"session_id": session_id, "customer_name": "Chris Park", "started_at": 1}]
        notice.evaluate("(stale) => window.rsNotice.update(stale, 999)", stale)
        expect(by_id(notice, "notice-none")).to_be_visible()
        expect(by_id(notice, "notice-customer")).to_have_count(0)
        expect(by_id(chat, "notes-input")).to_have_value("Desktop notes")
    finally:
        for page in pages:
            page.context.close()


def test_desktop_chat_window_without_a_login_says_so(browser, local_app: LocalApp) -> None:
    """A chat window opened while the app is signed out explains what to do."""
    chat = desktop_page(
        browser, local_app.page_url("agent/index.html", session="x" * 22), CHAT_WINDOW
    )
    try:
        expect(by_id(chat, "home-error")).to_contain_text("Sign in again in the RemoteSales main")
        expect(by_id(chat, "login-button")).to_be_hidden()
        expect(by_id(chat, "new-support-button")).to_be_hidden()
    finally:
        chat.context.close()


class FakePresentations:
    """The presenter children, reduced to a state per session and a record of the commands."""

    SCREENS = {
        "monitors": [
            {"index": 1, "width": 1920, "height": 1080, "left": 0, "top": 0},
            {"index": 2, "width": 1280, "height": 1024, "left": 1920, "top": 0},
        ],
        "windows": [
            {
                "id": 4194305,
                "title": "Price list",
                "app": "libreoffice-calc",
                "x": 0,
                "y": 0,
                "width": 800,
                "height": 600,
                "thumbnail": None,
            },
            {
                "id": 4194306,
                "title": "Brochure",
                "app": "Evince",
                "x": 50,
                "y": 50,
                "width": 640,
                "height": 480,
                "thumbnail": None,
            },
        ],
        "windows_supported": True,
    }

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.commands: list[tuple[str, Any]] = []

    def status(self, session_id: str) -> dict[str, Any]:
        return dict(
            self.states.get(session_id, {"state": "idle", "monitor": None, "windows": None})
        )

    def screens(self) -> dict[str, Any]:
        return self.SCREENS

    def start(
        self, session_id: str, _url: str, _token: str, monitor: int | None,
        _options: list[str], window_ids: list[int] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        self.commands.append(("start", (monitor, window_ids)))
        self.states[session_id] = {"state": "live", "monitor": monitor, "windows": window_ids}
        return self.status(session_id)

    def _set(self, session_id: str, command: str, argument: Any, **change: Any):
        self.commands.append((command, argument))
        self.states[session_id].update(change)
        return self.status(session_id)

    def pause(self, session_id: str) -> dict[str, Any]:
        return self._set(session_id, "pause", None, state="paused")

    def resume(self, session_id: str) -> dict[str, Any]:
        return self._set(session_id, "resume", None, state="live")

    def switch_monitor(self, session_id: str, monitor: int) -> dict[str, Any]:
        return self._set(session_id, "monitor", monitor, monitor=monitor)

    def share_windows(self, session_id: str, ids: list[int] | None) -> dict[str, Any]:
        return self._set(session_id, "windows", ids, windows=ids)

    def stop(self, session_id: str) -> dict[str, Any]:
        self.commands.append(("stop", None))
        self.states.pop(session_id, None)
        return self.status(session_id)

    # P3: what the customer controls (set by the test), and taking it back
    control_held = {"mouse": False, "keyboard": False}

    def control(self, session_id: str) -> dict[str, bool]:
        return dict(self.control_held)

    def revoke_control(self, session_id: str) -> dict[str, bool]:
        self.commands.append(("revoke", None))
        self.control_held = {"mouse": False, "keyboard": False}
        return dict(self.control_held)

    # P5: the agent's drawing tool on the overlay
    tool: str | None = None

    def draw(self, session_id: str, command: str) -> dict[str, Any]:
        self.commands.append(("draw", command))
        words = command.split()
        if words[0] == "tool":
            self.tool = None if words[1] == "none" else words[1]
        return self.drawing(session_id)

    def drawing(self, session_id: str) -> dict[str, Any]:
        return {"tool": self.tool, "overlay_error": None}


@dataclass
class DesktopSupport:
    main: Page
    chat: Page
    customer: Page
    session_id: str


def open_desktop_support(
    browser, app: LocalApp, open_ui: PageFactory, pages: list[Page], chat_size: dict[str, int]
) -> DesktopSupport:
    """Sign in in the main window, New support, its chat window, and Chris Park joins by the
    code it shows (the main and chat pages are added to ``pages``)."""
    main = desktop_page(
        browser, app.page_url("agent/index.html", desktop="1"), {"width": 1100, "height": 760}
    )
    pages.append(main)
    by_id(main, "login-username").fill(ALICE.username)
    by_id(main, "login-password").fill(ALICE.password)
    by_id(main, "login-button").click()
    expect(by_id(main, "new-support-button")).to_be_visible()
    with local_call(main, "POST", "/local/windows/chat") as answer:
        by_id(main, "new-support-button").click()
    assert answer.value.status == 204
    session_id = answer.value.request.post_data_json["session_id"]
    chat = desktop_page(browser, app.page_url("agent/index.html", session=session_id), chat_size)
    pages.append(chat)
    code = by_id(chat, "access-code")
    expect(code).to_have_text(re.compile(r"^\d{9}$"))
    customer = open_ui("/")
    customer_join(customer, code.text_content() or "", name="Chris Park")
    return DesktopSupport(main, chat, customer, session_id)


@dataclass
class RecordedApp:
    app: LocalApp
    presentations: FakePresentations


@pytest.fixture
def recorded_app(relay, tmp_path) -> Iterator[RecordedApp]:
    """The local API (real routes and guard) with its presenter children recorded."""
    settings = LocalSettings(tmp_path / "config")
    settings.update({"relay_url": relay.url})
    presentations = FakePresentations()
    server = LocalServer()
    secret = secrets.token_urlsafe(32)
    routes = build_app(settings, RecordedWindows(), presentations=presentations)  # type: ignore[arg-type]
    server.start(guard(routes, secret, server.port))
    yield RecordedApp(LocalApp(server.url, secret, RecordedWindows()), presentations)
    server.stop()
    settings.close()


def test_desktop_share_picker_and_notice_presentation_buttons(
    browser, recorded_app: RecordedApp, open_ui: PageFactory
) -> None:
    """From the request on, the chat window picks the screen and windows (chosen before the
    customer accepts: sent with "start"; while presenting: sent live), and the notice pauses
    and stops the presentation; the chat window's buttons follow."""
    app, presentations = recorded_app.app, recorded_app.presentations
    pages: list[Page] = []
    try:
        support = open_desktop_support(browser, app, open_ui, pages, {"width": 640, "height": 720})
        chat, customer, session_id = support.chat, support.customer, support.session_id
        picker = by_id(chat, "share-picker")
        expect(picker).to_be_hidden()
        by_id(chat, "present-request").click()
        # Chosen while the customer has not answered: nothing runs yet, it goes with "start".
        expect(picker).to_be_visible()
        expect(by_id(chat, "share-monitor").locator("option")).to_have_count(2)
        expect(by_id(chat, "share-window")).to_have_count(2)
        expect(by_id(chat, "share-mode-whole")).to_be_checked()
        expect(by_id(chat, "share-windows")).to_be_hidden()  # listed for "chosen windows" only
        by_id(chat, "share-monitor").select_option("2")
        by_id(chat, "share-mode-windows").check()
        chat.get_by_role("checkbox", name="Price list").check()
        expect(by_id(chat, "share-mode-windows")).to_be_checked()
        assert presentations.commands == []
        with local_call(chat, "POST", "/local/presentation") as started:
            with customer.expect_popup() as popup:
                by_id(customer, "presentation-accept").click()
        popup.value.close()
        assert started.value.status == 200
        assert presentations.commands == [("start", (2, [4194305]))]
        expect(by_id(chat, "present-pause")).to_be_visible()
        # While presenting, each change goes to the presenter at once.
        with local_call(chat, "POST", "/local/presentation"):
            by_id(chat, "share-monitor").select_option("1")
        with local_call(chat, "POST", "/local/presentation"):
            chat.get_by_role("checkbox", name="Brochure").check()
        assert presentations.commands[-2:] == [("monitor", 1), ("windows", [4194305, 4194306])]
        # The whole screen, never confirmed in this support: shared only after the confirm.
        by_id(chat, "share-mode-whole").check()
        expect(by_id(chat, "share-whole-warning")).to_contain_text(
            "The customer will see everything on this monitor except RemoteSales windows."
        )
        assert presentations.commands[-1] == ("windows", [4194305, 4194306])
        screenshot(chat, "desktop-mode-share-picker")
        with local_call(chat, "POST", "/local/presentation"):
            by_id(chat, "share-whole-confirm").click()
        assert presentations.commands[-1] == ("windows", None)

        notice = desktop_page(
            browser, app.page_url("agent/notice.html"), {"width": 380, "height": 300}
        )
        pages.append(notice)
        notice.evaluate(
            "(sid) => window.rsNotice.update([{session_id: sid, customer_name: 'Chris Park', "
            "started_at: Date.now() / 1000}])",
            session_id,
        )
        toggle = by_id(notice, "notice-present-toggle")
        expect(toggle).to_have_text("Pause screen")
        expect(toggle).to_have_attribute("aria-label", "Pause showing your screen to Chris Park")
        toggle.click()
        expect(toggle).to_have_text("Show screen")
        assert presentations.commands[-1] == ("pause", None)
        expect(by_id(chat, "present-pause")).to_have_text(re.compile("Resume"))  # synced
        # The customer holds mouse and keyboard: the notice says so and takes them back.
        presentations.control_held = {"mouse": True, "keyboard": True}
        control = by_id(notice, "notice-control")
        expect(control).to_contain_text("Chris Park controls your mouse and keyboard", timeout=5000)
        expect(by_id(notice, "notice-send-file")).to_be_visible()
        screenshot(notice, "desktop-mode-notice-presenting")
        by_id(notice, "notice-take-back").click()
        expect(control).to_be_hidden()
        assert presentations.commands[-1] == ("revoke", None)
        # A pen on the desktop, then the drawings cleared.
        draw = by_id(notice, "notice-draw")
        draw.click()
        expect(draw).to_have_text("Stop drawing")
        assert presentations.commands[-1] == ("draw", "tool pen")
        draw.click()
        expect(draw).to_have_text("Draw")
        assert presentations.commands[-1] == ("draw", "tool none")
        by_id(notice, "notice-draw-clear").click()
        expect(draw).to_be_enabled()
        assert presentations.commands[-1] == ("draw", "clear")
        by_id(notice, "notice-present-stop").click()
        expect(toggle).to_be_hidden()
        assert presentations.commands[-1] == ("stop", None)
        expect(picker).to_be_hidden()
        expect(by_id(chat, "present-request")).to_be_visible()
    finally:
        for page in pages:
            page.context.close()
