"""The agent app's windows as Chromium pages on the real local API, for the desktop-mode UI
tests: the windows and presenter children replaced by recorders, the pages opened as the app
opens them (the `local_app` and `recorded_app` fixtures are in tests/e2e/conftest.py).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.local_state import Notice
from suite.agent.app.presentations import Presentations
from suite.agent.app.settings import LocalSettings
from suite.agent.presenter.commands import DrawCommand, DrawTool, encode_command
from tests.support.relay import ALICE
from tests.support.ui_pages import PageFactory, by_id, customer_join, open_page

CHAT_WINDOW = {"width": 420, "height": 640}
NOTICE_WINDOW = {"width": 360, "height": 180}


@dataclass
class RecordedWindows:
    """The app's windows, reduced to a record of what the pages asked for."""

    chats: list[str] = field(default_factory=list)
    notices: list[list[dict[str, Any]]] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    help_opened: int = 0

    def open_chat(self, session_id: str) -> None:
        self.chats.append(session_id)

    def show_notice(self, notice: Notice) -> None:
        self.notices.append(notice.sessions)

    def end_from_notice(self, session_id: str) -> bool:
        self.ended.append(session_id)
        return True

    def close_chat(self, session_id: str) -> bool:
        self.closed.append(session_id)
        return True

    def open_url(self, url: str) -> None:
        self.urls.append(url)

    def open_in_browser(self, url: str) -> bool:
        self.urls.append(url)
        return True

    def call_from_notice(self, session_id: str, media: str) -> bool:
        self.calls.append((session_id, media))
        return True

    def media_support(self) -> dict[str, Any]:
        return {"available": True, "reason": None}

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


def desktop_page(browser, url: str, viewport: dict[str, int]) -> Page:
    """A window of the app, as a Chromium page of its own (own sessionStorage, like a window)."""
    return open_page(browser, url, viewport=viewport)


MAIN_WINDOW = {"width": 1100, "height": 760}  # the app's main window at its default size


def main_window_page(browser, app) -> Page:
    """The app's main window (desktop mode) at its default size, as a page of its own."""
    return desktop_page(browser, app.page_url("agent/index.html", desktop="1"), MAIN_WINDOW)


def local_call(page: Page, method: str, path: str):
    """Wait for the page's next call of `method path` to the local API; use with `with`."""
    return page.expect_response(
        lambda response: response.request.method == method and response.url.endswith(path)
    )


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

    def any_live(self) -> bool:
        return any(state["state"] == "live" for state in self.states.values())

    def screens(self) -> dict[str, Any]:
        return self.SCREENS

    def start(
        self, session_id: str, _url: str, _token: str, monitor: int | None,
        _options: list[str], window_ids: list[int] | None = None, policy: Any = None,
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

    def revoke_control(
        self, session_id: str, mouse: bool = True, keyboard: bool = True
    ) -> dict[str, bool]:
        self.commands.append(
            ("revoke", None if mouse and keyboard else "mouse" if mouse else "keyboard")
        )
        self.control_held = {
            "mouse": self.control_held["mouse"] and not mouse,
            "keyboard": self.control_held["keyboard"] and not keyboard,
        }
        return dict(self.control_held)

    # P5: the agent's drawing tool on the overlay
    tool: str | None = None

    def draw(self, session_id: str, command: DrawCommand) -> dict[str, Any]:
        # Recorded as the presenter's stdin line reads, without its "draw " verb.
        self.commands.append(("draw", encode_command(command).removeprefix("draw ")))
        if isinstance(command, DrawTool):
            self.tool = None if command.tool is None else str(command.tool)
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
    browser,
    app: LocalApp,
    open_ui: PageFactory,
    pages: list[Page],
    chat_size: dict[str, int],
    customer_page: Callable[[], Page] | None = None,
) -> DesktopSupport:
    """Sign in in the main window, New support, its chat window, and Chris Park joins by the
    code it shows (the main and chat pages are added to ``pages``) on ``open_ui("/")``, or on
    the page ``customer_page()`` opens (a phone's: tests/support/phone_layout.py; added too)."""
    main = main_window_page(browser, app)
    pages.append(main)
    # The page fills the server address from the app's settings once they are read: signing in
    # before that says "Enter the server address" (a test is faster than any user).
    expect(by_id(main, "login-relay-url")).to_have_value(re.compile(r"^https?://"))
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
    if customer_page is None:
        customer = open_ui("/")
    else:
        customer = customer_page()
        pages.append(customer)
    customer_join(customer, code.text_content() or "", name="Chris Park")
    return DesktopSupport(main, chat, customer, session_id)


@dataclass
class RecordedApp:
    app: LocalApp
    presentations: FakePresentations


# Measures the agent chat window's layout: transcript, composer and what covers them.
LAYOUT_JS = """() => {
  const q = (id) => document.querySelector(`[data-testid="${id}"]`);
  const box = (el) => el.getBoundingClientRect();
  const transcript = box(q("chat-transcript"));
  let top = transcript.top;
  for (const pop of document.querySelectorAll(".agent-tools__popover:not([hidden])")) {
    const r = box(pop);
    const across = r.left < transcript.right && r.right > transcript.left;
    if (across && r.height > 0 && r.bottom > top && r.top < transcript.bottom) top = r.bottom;
  }
  const input = q("chat-input");
  const r = box(input);
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {
    transcript: transcript.height,
    uncovered: Math.max(0, transcript.bottom - top),
    inputTop: r.top, inputBottom: r.bottom, viewport: innerHeight,
    inputOnTop: hit === input || input.contains(hit),
    send: box(q("chat-send")).bottom <= innerHeight,
    name: q("chat-peer-name").scrollWidth <= q("chat-peer-name").clientWidth + 1,
  };
}"""


@contextmanager
def local_app_server(
    config_dir: Path, presentations: Any = None, **settings: Any
) -> Iterator[LocalApp]:
    """The local API (real routes and guard) on a free port with ``presentations`` (the
    app's own when None), its settings file in ``config_dir``; the windows are recorded."""
    local_settings = LocalSettings(config_dir)
    local_settings.update(settings)
    server = LocalServer()
    secret = secrets.token_urlsafe(32)
    windows = RecordedWindows()  # the one the routes call, so a test reads what they asked
    routes = build_app(local_settings, windows, presentations=presentations)
    server.start(guard(routes, secret, server.port))
    try:
        yield LocalApp(server.url, secret, windows)
    finally:
        server.stop()
        local_settings.close()


@contextmanager
def recorded_local_app(config_dir: Path, **settings: Any) -> Iterator[RecordedApp]:
    """The local API with its presenter children recorded (:class:`FakePresentations`)."""
    presentations = FakePresentations()
    with local_app_server(config_dir, presentations, **settings) as app:
        yield RecordedApp(app, presentations)


@dataclass
class PresentingApp:
    app: LocalApp
    presentations: Presentations


@contextmanager
def presenting_local_app(
    config_dir: Path, display_env: dict[str, str], **settings: Any
) -> Iterator[PresentingApp]:
    """The local API with real presenter children and window listing (:class:`Presentations`)
    on the display of ``display_env``; the children are stopped on exit."""
    presentations = Presentations(env=display_env)
    with local_app_server(config_dir, presentations, **settings) as app:
        try:
            yield PresentingApp(app, presentations)
        finally:
            presentations.stop_all()
