"""The real agent desktop app (pywebview + Qt) under Xvfb, driven through its windows.

Each test starts ``python -m suite.agent`` as a subprocess on a private Xvfb display and
drives the real QtWebEngine pages over DevTools (tests/support/cdp.py). A full open-assert-
close cycle costs ~2-3 s, so these tests are few and each checks a lot.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from suite.agent.app.settings import LocalSettings
from tests.support.agent_app import AgentApp
from tests.support.api import Api
from tests.support.cdp import CdpPage, by_test_id, list_targets, visible_js, wait_for_target
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    SignedInApp,
    main_page,
    open_support_window,
    private_display,
    signed_in_app,
)
from tests.support.relay import ALICE, REPO_ROOT
from tests.support.waiting import wait_until
from tests.support.x11 import find_windows, read_clipboard, request_close, window_property
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test signs in, opens its own supports and customers, and
    shared_relay puts alice's account data back after it (a relay's start is seconds of a
    desktop test on a loaded machine)."""
    return shared_relay


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from private_display()


@pytest.fixture(scope="module")
def shared_app(
    xvfb, one_relay_per_module, tmp_path_factory, artifacts_dir: Path
) -> Iterator[SignedInApp]:
    """One app, signed in as alice, for the flow tests (each opens and closes its own supports):
    two app starts fewer. Its settings hold the flow's short message; it must exit 0 on SIGTERM
    after the last of them."""

    def start() -> AgentApp:
        folder = tmp_path_factory.mktemp("signed-in-app")
        settings = LocalSettings(folder / "config")
        settings.update({"short_messages": [{"key": SHORT_KEY, "text": SHORT_TEXT}]})
        settings.close()
        return AgentApp(xvfb, folder, relay_url=one_relay_per_module.url).start()

    yield from signed_in_app(start, artifacts_dir)


@pytest.fixture
def agent_app(xvfb, relay, tmp_path, request) -> Iterator[AgentApp]:
    """The agent app started against the test's relay; its log is shown if the test fails."""
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    yield app
    app.kill()
    if getattr(request.node, "rs_failed", False):
        print(app.log())


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


# ---------- the whole flow: agent app + real relay + a customer in Chromium ----------

NOTICE_PAGE = REPO_ROOT / "ui" / "agent" / "notice.html"
SHORT_KEY, SHORT_TEXT = "/hi", "Welcome {customer}, I am {agent}."
# What the flow needs from ui/agent's desktop mode (docs/agent-local-api.md, "Windows and the
# pages' hooks"), beyond the test ids the browser agent page already has:
DESKTOP_PAGE_HOOKS = """\
main window (#desktop=1): login through POST /local/login with a server address field
  data-testid=login-relay-url (filled from GET /local/settings), then a toolbar whose
  new-support-button creates the support and calls POST /local/windows/chat;
chat window (#session=<id>): login from GET /local/login, the waiting panel (access-code),
  chat-input; a short message key typed alone in chat-input and sent with Enter goes out
  expanded ({customer}, {agent}); a notes panel (notes-toggle, notes-input, notes-save,
  notes-status with data-state="saved") saved with PUT /api/sessions/<id>/notes
  through /local/relay;
  end-button + end-confirm; window.rsDesktop.endSession();
the main window (or the chat windows) keep POST /local/notice up to date;
notice.html: one notice-session per live session with notice-customer, notice-elapsed and
  notice-end; window.rsNotice.update(sessions)."""


def test_agent_app_full_support_flow(
    xvfb, relay, shared_app: SignedInApp, browser, artifacts_dir: Path
):
    """Log in (the relay's address filled in: SignedInApp checks it), start a support, a
    Chromium customer joins with the shown code, both chat, a short message by key, notes saved,
    the notice shows the customer, its End button ends the session, and the end card's Close
    window closes the chat window."""
    if not NOTICE_PAGE.exists():
        pytest.skip(f"ui/agent has no desktop mode yet; this test needs:\n{DESKTOP_PAGE_HOOKS}")
    from playwright.sync_api import expect

    from tests.support.ui_pages import bubble_with_text, customer_join, open_page, send_chat

    with shared_app.use("desktop-flow") as (app, main, windows):
        pages = windows.pages
        chat = open_support_window(app, main, pages)
        code = chat.wait_for(ACCESS_CODE_JS)
        # Copy invitation: QtWebEngine asks the app for the clipboard (pywebview's own answer
        # aborted the whole process); the invitation must be on the X clipboard, app alive.
        chat.click(by_test_id("copy-invitation"))
        chat.wait_for(
            f"document.querySelector('{by_test_id('copy-status')}')?.dataset.i18n === 'wait.copied'"
        )
        assert app.process.poll() is None, app.log()
        clipboard = read_clipboard(xvfb.env())
        assert clipboard is not None and code in clipboard and relay.url in clipboard, clipboard
        main.screenshot(artifacts_dir / "desktop-flow-main.png")
        chat.screenshot(artifacts_dir / "desktop-flow-chat-waiting.png")

        customer = open_page(browser, relay.url + "/")
        windows.customers.append(customer)
        customer_join(customer, code, name="Chris Park")
        session_id = customer.evaluate("window.__rsTest.state().sessionId")

        chat.wait_for_selector(by_test_id("chat-input"))
        chat.fill(by_test_id("chat-input"), "Hello from the desktop app")
        chat.press("Enter")
        expect(bubble_with_text(customer, "Hello from the desktop app")).to_be_visible()
        send_chat(customer, "Hi, I have a question")
        chat.wait_for(
            "[...document.querySelectorAll('[data-testid=chat-text]')]"
            ".some((el) => el.textContent === 'Hi, I have a question')"
        )

        chat.fill(by_test_id("chat-input"), SHORT_KEY)
        chat.press("Enter")
        expected = SHORT_TEXT.format(customer="Chris Park", agent=ALICE.name)
        expect(bubble_with_text(customer, expected)).to_be_visible()

        notice = CdpPage(wait_for_target(app.devtools_port, lambda t: "notice.html" in t["url"]))
        pages.append(notice)
        notice.wait_for(
            f"document.querySelector('{by_test_id('notice-customer')}')?.textContent"
            ".includes('Chris Park')"
        )
        notice.wait_for_selector(by_test_id("notice-elapsed"))
        notice.screenshot(artifacts_dir / "desktop-flow-notice.png")
        # P8: always on top. Bare Xvfb has no window manager to obey it, so read what Qt asks
        # of one: the EWMH state "above" (and Qt's legacy "stays on top") on the notice window.
        [notice_window] = find_windows(xvfb.env(), " · Connected$")
        state = window_property(xvfb.env(), notice_window, "_NET_WM_STATE")
        assert "_NET_WM_STATE_ABOVE" in state, state
        [main_window] = find_windows(xvfb.env(), "^RemoteSales$")
        assert "_NET_WM_STATE_ABOVE" not in window_property(
            xvfb.env(), main_window, "_NET_WM_STATE"
        )  # the check tells them apart: only the notice asks to stay above

        # Wide windows show the notes beside the chat; narrow ones behind a toggle.
        notes_shown = visible_js(by_test_id("notes-input"))
        chat.wait_for(f"{notes_shown} || {visible_js(by_test_id('notes-toggle'))}")
        if not chat.evaluate(notes_shown):
            chat.click(by_test_id("notes-toggle"))
        chat.fill(by_test_id("notes-input"), "Wants the premium plan; call back Monday.")
        chat.click(by_test_id("notes-save"))
        chat.wait_for(
            f"document.querySelector('{by_test_id('notes-status')}')?.dataset.state === 'saved'"
        )
        token = Api(relay.url).login(ALICE.username, ALICE.password)
        status, notes, _ = Api(relay.url).request(
            "GET", f"/api/sessions/{session_id}/notes", token=token
        )
        assert status == 200 and notes["notes"] == "Wants the premium plan; call back Monday."

        chat.screenshot(artifacts_dir / "desktop-flow-chat.png")
        customer.screenshot(path=str(artifacts_dir / "desktop-flow-customer.png"))
        # End from the connection notice: End, then "End now" (POST /local/notice/end asks
        # the chat window to end the support).
        notice.click(by_test_id("notice-end"))
        notice.wait_for(
            f"document.querySelector('{by_test_id('notice-end')}')?.dataset.confirm === 'true'"
        )
        notice.click(by_test_id("notice-end"))
        chat.wait_for_selector(by_test_id("end-screen"))
        expect(customer.get_by_test_id("end-screen")).to_be_visible()
        notice.wait_for(f"!document.querySelector('{by_test_id('notice-session')}')")
        chat.screenshot(artifacts_dir / "desktop-flow-chat-ended.png")
        # The end card's Close window closes the chat window; the app and its main window stay.
        chat.click(by_test_id("end-close-window"))
        wait_until(
            lambda: not [t for t in list_targets(app.devtools_port) if "session=" in t["url"]],
            "the chat window closed",
        )
        assert find_windows(xvfb.env(), "^RemoteSales$"), "the main window stays"
        # ... and no longer says the support "opened in its own window".
        main.wait_for("document.getElementById('home-info').textContent === ''")
        main.screenshot(artifacts_dir / "desktop-flow-main-after-close.png")


def _chat_texts_js() -> str:
    return "[...document.querySelectorAll('[data-testid=chat-text]')].map((el) => el.textContent)"


def _has_chat_text_js(text: str) -> str:
    return f"{_chat_texts_js()}.includes({json.dumps(text)})"


def _notice_names_js() -> str:
    return (
        f"[...document.querySelectorAll('{by_test_id('notice-customer')}')]"
        ".map((el) => el.textContent.trim())"
    )


def test_agent_app_several_supports_each_in_its_own_window(
    relay, shared_app: SignedInApp, browser, artifacts_dir: Path
):
    """Two supports at once: two New support clicks open two chat windows with different
    codes; a customer joins each; each customer's message shows only in its own window; the
    notice lists both; ending one support leaves the other live and the notice lists one."""
    if not NOTICE_PAGE.exists():
        pytest.skip(f"ui/agent has no desktop mode yet; this test needs:\n{DESKTOP_PAGE_HOOKS}")
    from playwright.sync_api import expect

    from tests.support.ui_pages import bubble_with_text, customer_join, open_page, send_chat

    with shared_app.use("desktop-multi") as (app, main, windows):
        pages, customers = windows.pages, windows.customers
        chats = [open_support_window(app, main, pages) for _ in range(2)]
        chat_targets = [
            t
            for t in list_targets(app.devtools_port)
            if t.get("type") == "page"
            and "/ui/agent/index.html" in t["url"]
            and t["id"] != main.target["id"]
        ]
        assert len(chat_targets) == 2, [t["url"] for t in chat_targets]
        codes = [chat.wait_for(ACCESS_CODE_JS) for chat in chats]
        assert codes[0] != codes[1], codes
        session_ids = [chat.evaluate("window.__rsTest.state().sessionId") for chat in chats]
        assert session_ids[0] and session_ids[1] and session_ids[0] != session_ids[1]
        main.screenshot(artifacts_dir / "desktop-multi-main.png")
        for index, chat in enumerate(chats):
            chat.screenshot(artifacts_dir / f"desktop-multi-chat-{index}-waiting.png")

        names = ["Chris Park", "Dana Lee"]
        for code, name in zip(codes, names, strict=True):
            customer = open_page(browser, relay.url + "/")
            customers.append(customer)
            customer_join(customer, code, name=name)
        for chat, customer, session_id in zip(chats, customers, session_ids, strict=True):
            assert customer.evaluate("window.__rsTest.state().sessionId") == session_id
            chat.wait_for_selector(by_test_id("chat-input"))

        said = ["Chris asks about the premium plan", "Dana asks about delivery"]
        for customer, text in zip(customers, said, strict=True):
            send_chat(customer, text)
        for chat, text in zip(chats, said, strict=True):
            chat.wait_for(_has_chat_text_js(text))
        for chat, other in ((chats[0], said[1]), (chats[1], said[0])):
            assert other not in chat.evaluate(_chat_texts_js())

        replies = ["Reply to Chris", "Reply to Dana"]
        for chat, text in zip(chats, replies, strict=True):
            chat.fill(by_test_id("chat-input"), text)
            chat.press("Enter")
        for customer, text, other in zip(customers, replies, reversed(replies), strict=True):
            expect(bubble_with_text(customer, text)).to_be_visible()
            expect(bubble_with_text(customer, other)).to_have_count(0)

        notice = CdpPage(wait_for_target(app.devtools_port, lambda t: "notice.html" in t["url"]))
        pages.append(notice)
        notice.wait_for(
            f"(() => {{ const names = {_notice_names_js()};"
            f" return names.length === 2 && {json.dumps(names)}.every((n) => names.includes(n));"
            " })()"
        )
        notice.screenshot(artifacts_dir / "desktop-multi-notice-two.png")
        for index, chat in enumerate(chats):
            chat.screenshot(artifacts_dir / f"desktop-multi-chat-{index}.png")
        for index, customer in enumerate(customers):
            customer.screenshot(path=str(artifacts_dir / f"desktop-multi-customer-{index}.png"))

        # End the first support from its own chat window: End, then confirm.
        chats[0].click(by_test_id("end-button"))
        chats[0].click(by_test_id("end-confirm"))
        chats[0].wait_for_selector(by_test_id("end-screen"))
        expect(customers[0].get_by_test_id("end-screen")).to_be_visible()
        notice.wait_for(
            f"(() => {{ const names = {_notice_names_js()};"
            f" return names.length === 1 && names[0] === {json.dumps(names[1])}; }})()"
        )
        notice.screenshot(artifacts_dir / "desktop-multi-notice-one.png")

        # The second support is still live both ways.
        assert not chats[1].evaluate(visible_js(by_test_id("end-screen")))
        send_chat(customers[1], "Dana is still here")
        chats[1].wait_for(_has_chat_text_js("Dana is still here"))
        chats[1].fill(by_test_id("chat-input"), "So am I")
        chats[1].press("Enter")
        expect(bubble_with_text(customers[1], "So am I")).to_be_visible()
        expect(customers[1].get_by_test_id("end-screen")).to_be_hidden()
        assert "Dana is still here" not in chats[0].evaluate(_chat_texts_js())
        chats[0].screenshot(artifacts_dir / "desktop-multi-chat-0-ended.png")
        chats[1].screenshot(artifacts_dir / "desktop-multi-chat-1-still-live.png")


def test_agent_app_signs_out_after_the_idle_time(
    shared_app: SignedInApp, relay, artifacts_dir: Path
):
    """A4 in the real app: no input for the idle time (shortened to 1.5 s through the page's
    test hook, the same timer the setting starts) logs the main window out as its Log out button
    does: the form says why, keeps the ID field, and the relay token is revoked. (The last user
    of the signed-in app: it leaves it signed out.)"""
    with shared_app.use("desktop-idle") as (_, main, windows):
        main.wait_for(visible_js(by_test_id("new-support-button")))
        token = main.evaluate("JSON.parse(sessionStorage.getItem('rs.agent.auth')).token")
        assert Api(relay.url).request("GET", "/api/me", token=token)[0] == 200
        main.evaluate("window.__rsTest.idleSeconds(1.5)")
        main.wait_for(
            f"document.querySelector('{by_test_id('login-error')}')?.textContent"
            ".startsWith('Signed out after 30 minutes without activity')"
        )
        assert main.evaluate(f"document.querySelector('{by_test_id('login-username')}').value")
        main.screenshot(artifacts_dir / "desktop-idle-signed-out.png")
        # The page asks for POST /local/logout as it shows the form; the relay answers 401 once
        # the app has revoked the token there.
        wait_until(
            lambda: Api(relay.url).request("GET", "/api/me", token=token)[0] == 401,
            "the relay to revoke the token", 10, 0.1,
        )  # fmt: skip
