"""The real agent app under Xvfb: one sign-in and one language across its windows, and chat
windows whose titles name their customers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent_app import AgentApp
from tests.support.api import Api
from tests.support.cdp import CdpPage, by_test_id, visible_js, wait_for_target
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    driving,
    main_page,
    open_support_window,
    private_display,
    sign_in,
)
from tests.support.relay import ALICE
from tests.support.ui_pages import customer_join, open_page
from tests.support.waiting import wait_until
from tests.support.x11 import find_windows
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

NAMES = ["Chris Park", "Dana Lee"]


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from private_display()


def _titled(xvfb: Xvfb, title: str) -> int:
    """How many X windows have exactly ``title`` (the window manager's title bar text)."""
    return len(find_windows(xvfb.env(), f"^{title}$"))


def _choose_language(page: CdpPage, code: str) -> None:
    select = by_test_id("language-select")
    page.evaluate(
        f"(() => {{ const s = document.querySelector('{select}'); s.value = {json.dumps(code)};"
        " s.dispatchEvent(new Event('change')); })()"
    )


def _lang_is(code: str) -> str:
    return f"document.documentElement.lang === {json.dumps(code)}"


def test_the_app_windows_share_one_sign_in_one_language_and_name_their_customers(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
):
    """Two chat windows are titled by their customers; a language picked in one chat window
    switches the main window, the other chat and the notice (and is saved with the account);
    signing out in the main window signs the chat windows out, and signing in again reopens
    their supports."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    saved = [  # made in a browser: the desktop app has them too
        {"key": "/hi", "text": "Hello {customer}, I am {agent} from {company}."},
        {"key": "/price", "text": "Our price list: https://example.com/prices"},
        {"key": "/안녕", "text": "{customer}님, 안녕하세요. {company}의 {agent}입니다."},
    ]
    api.request("PUT", "/api/me/short_messages", json={"short_messages": saved}, token=token)
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    with driving(app, artifacts_dir, "desktop-account") as windows:
        pages, customers = windows.pages, windows.customers
        main = main_page(app)
        pages.append(main)
        sign_in(main)
        chats = [open_support_window(app, main, pages) for _ in NAMES]
        codes = [chat.wait_for(ACCESS_CODE_JS) for chat in chats]
        waiting = "Waiting for a customer · RemoteSales"
        wait_until(lambda: _titled(xvfb, waiting) == 2, "two waiting chat windows")
        for code, name in zip(codes, NAMES, strict=True):
            customer = open_page(browser, relay.url + "/")
            customers.append(customer)
            customer_join(customer, code, name=name)
        for name in NAMES:
            wait_until(lambda name=name: _titled(xvfb, f"{name} · RemoteSales") == 1, name)
        for index, chat in enumerate(chats):
            chat.wait_for_selector(by_test_id("chat-input"))
            chat.screenshot(artifacts_dir / f"desktop-account-chat-{index}-en.png")

        # Korean, picked in the first chat window: every window follows.
        notice = CdpPage(wait_for_target(app.devtools_port, lambda t: "notice.html" in t["url"]))
        pages.append(notice)
        _choose_language(chats[0], "ko")
        for page in (main, chats[1], notice):
            page.wait_for(_lang_is("ko"))
        for name in NAMES:
            wait_until(lambda name=name: _titled(xvfb, f"{name} 님 · RemoteSales") == 1, name)
        wait_until(lambda: _titled(xvfb, "RemoteSales · 연결됨") == 1, "the notice's title")
        wait_until(
            lambda: (
                api.request("GET", "/api/me/preferences", token=token)[1]["preferences"]["language"]
                == "ko"
            ),
            "Korean saved with the account",
        )
        for index, chat in enumerate(chats):
            chat.screenshot(artifacts_dir / f"desktop-account-chat-{index}-ko.png")
        notice.screenshot(artifacts_dir / "desktop-account-notice-ko.png")
        main.click(by_test_id("settings-button"))
        main.wait_for(f"document.querySelectorAll('{by_test_id('short-item')}').length === 3")
        main.screenshot(artifacts_dir / "desktop-account-settings-ko.png")
        _choose_language(main, "en")
        for page in (chats[0], chats[1], notice):
            page.wait_for(_lang_is("en"))
        main.screenshot(artifacts_dir / "desktop-account-settings-en.png")

        # Signing out in the main window signs every chat window out...
        main.click(by_test_id("logout-button"))
        for chat in chats:
            chat.wait_for(f"{visible_js(by_test_id('home-error'))}")
            assert "signed out" in chat.text(by_test_id("home-error"))
        chats[0].screenshot(artifacts_dir / "desktop-account-chat-signed-out.png")
        # ...and signing in again brings their supports back.
        sign_in(main)
        for chat in chats:
            chat.wait_for_selector(by_test_id("chat-input"))
        for name in NAMES:
            wait_until(lambda name=name: _titled(xvfb, f"{name} · RemoteSales") == 1, name)
        windows.close()
        assert app.stop() == 0
