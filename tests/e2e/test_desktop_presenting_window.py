"""The real agent app's chat window while presenting, under Xvfb at 1920x1080.

The app runs as a person starts it; its chat window has its default size (960x720) and the
presentation is real (the presenter child captures the private display). With the share
picker open, a customer's control request and two files from the customer shown, the
composer is visible and uncovered and the transcript keeps at least 240 px; a screenshot of
the window is kept in test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from suite.agent.app.settings import LocalSettings
from tests.support.agent_app import AgentApp
from tests.support.cdp import by_test_id
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    driving,
    main_page,
    open_support_window,
    present_whole_screen,
    sign_in,
    xauth_display,
)
from tests.support.desktop_ui import LAYOUT_JS
from tests.support.ui_pages import customer_viewer_socket
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

LEAST_TRANSCRIPT_PX = 240


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from xauth_display()  # python-xlib (window list, wallpaper) needs an Xauthority


def _text_is(test_id: str, text: str) -> str:
    return (
        f"document.querySelector('{by_test_id(test_id)}')?.textContent?.trim() === "
        f"{json.dumps(text)}"
    )


def test_the_chat_window_stays_usable_while_presenting(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
) -> None:
    """In the real app's 960x720 chat window, presenting with the share picker open, a pending
    control request and two received files leaves the composer usable and 240 px of chat."""
    from playwright.sync_api import expect

    from tests.support.ui_pages import bubble_with_text, customer_join, open_page, send_chat

    settings = LocalSettings(tmp_path / "config")
    settings.update({"received_files_folder": str(tmp_path / "in")})
    settings.close()
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    with driving(app, artifacts_dir, "desktop-presenting") as windows:
        main = main_page(app)
        windows.pages.append(main)
        sign_in(main)
        chat = open_support_window(app, main, windows.pages)
        code = chat.wait_for(ACCESS_CODE_JS)
        assert chat.evaluate("[innerWidth, innerHeight]") == [960, 720]
        customer = open_page(browser, relay.url + "/")
        windows.customers.append(customer)
        customer_join(customer, code, name="Soyeon Choi")
        for index in range(5):
            send_chat(customer, f"Question {index} about the reports")
        chat.wait_for(_text_is("chat-peer-name", "Soyeon Choi"))

        present_whole_screen(chat, customer, windows, timeout_ms=20_000)
        chat.wait_for_selector(by_test_id("present-pause"))

        for name in ("order_form.txt", "brochure.pdf"):
            source = tmp_path / name
            source.write_bytes(name.encode() * 200)
            customer.get_by_test_id("file-input").set_input_files(str(source))
        chat.wait_for(
            "[...document.querySelectorAll('[data-testid=file-status]')]"
            ".filter((el) => el.textContent.startsWith('Saved as')).length === 2",
            timeout_s=30,
        )
        control = customer_viewer_socket(customer, relay)
        control.send({"type": "request_control"})
        chat.wait_for(_text_is("control-text", "Soyeon Choi asks to control your screen."))
        send_chat(customer, "Can we talk price?")
        expect(bubble_with_text(customer, "Can we talk price?")).to_be_visible()
        chat.wait_for(
            "(() => { const list = document.querySelector('[data-testid=chat-transcript]');"
            " const all = list.querySelectorAll('[data-testid=chat-message]');"
            " const last = all[all.length - 1];"
            " return last?.textContent.includes('Can we talk price?') &&"
            " last.getBoundingClientRect().bottom <= list.getBoundingClientRect().bottom + 1; })()"
        )
        if chat.evaluate(
            f"document.querySelector('{by_test_id('share-toggle')}')"
            ".getAttribute('aria-expanded') !== 'true'"
        ):
            chat.click(by_test_id("share-toggle"))
        chat.wait_for_selector(by_test_id("share-picker"))

        layout = chat.evaluate(f"({LAYOUT_JS})()")
        chat.screenshot(artifacts_dir / "desktop-presenting-chat-window.png")
        print(f"desktop 960x720: {layout}")
        assert layout["inputBottom"] <= layout["viewport"], layout
        assert layout["inputOnTop"] and layout["send"] and layout["name"], layout
        assert layout["uncovered"] >= LEAST_TRANSCRIPT_PX, layout
        assert chat.evaluate(f"!document.querySelector('{by_test_id('chat-input')}').disabled")
        control.close()
        windows.close()
        assert app.stop() == 0
