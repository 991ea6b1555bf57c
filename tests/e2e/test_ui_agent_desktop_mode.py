"""The agent page in desktop mode, in Chromium, against the real local API of the agent app.

The pages are served by `suite.agent.app.local_api` (guard, routes, relay proxy, settings file)
exactly as the app serves them; only the windows are replaced, by a recorder of what the pages
ask of them (the real windows are tested in test_desktop_agent.py under Xvfb).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.desktop_ui import (
    CHAT_WINDOW,
    NOTICE_WINDOW,
    LocalApp,
    RecordedApp,
    desktop_page,
    local_call,
    main_window_page,
    open_desktop_support,
)
from tests.support.relay import ALICE
from tests.support.ui_pages import (
    PageFactory,
    bubble_with_text,
    by_id,
    customer_join,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_desktop_mode_login_support_window_notice_and_end(
    browser, relay, local_app: LocalApp, open_ui: PageFactory
) -> None:
    """Login through /local/login, a support in its own window, short message, notice, End."""
    main = main_window_page(browser, local_app)
    pages = [main]
    try:
        # The secret left the address; the server address came from the app's settings.
        assert "token=" not in main.url and main.url.endswith("#desktop=1")
        relay_field = by_id(main, "login-relay-url")
        expect(relay_field).to_have_value(relay.url)
        by_id(main, "login-username").fill(ALICE.username)
        by_id(main, "login-password").fill("wrong-password")
        by_id(main, "login-button").click()
        expect(by_id(main, "login-error")).to_have_text(
            "Wrong ID or password. 4 more wrong tries lock this ID from this network"
            " for 10 minutes."
        )
        relay_field.fill("http://127.0.0.1:9")
        by_id(main, "login-password").fill(ALICE.password)
        by_id(main, "login-button").click()
        # A7: the form names the cause (suite/net/policy.py CAUSES), here a closed port.
        expect(by_id(main, "login-error")).to_contain_text("The server refused the connection")
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
        # The chat window's end card closes the window (the main window starts the next one).
        close = by_id(chat, "end-close-window")
        expect(close).to_have_text("Close window")
        screenshot(chat, "desktop-mode-end-card")
        with local_call(chat, "POST", "/local/windows/chat/close") as answer:
            close.click()
        assert answer.value.status == 204
        assert local_app.windows.closed == [session_id]
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
        # With both out, one kind can be taken back alone (as in the chat window).
        expect(by_id(notice, "notice-take-back-keyboard")).to_be_visible()
        by_id(notice, "notice-take-back-mouse").click()
        expect(control).to_contain_text("Chris Park controls your keyboard")
        assert presentations.commands[-1] == ("revoke", "mouse")
        expect(by_id(notice, "notice-take-back-mouse")).to_be_hidden()
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


def test_resume_shows_a_play_icon(browser, recorded_app: RecordedApp, open_ui: PageFactory) -> None:
    """While presenting, Pause shows the pause icon; once paused the button
    reads Resume and shows a play icon (not the pause icon again); resuming brings it back."""
    app, presentations = recorded_app.app, recorded_app.presentations
    pages: list[Page] = []
    try:
        support = open_desktop_support(browser, app, open_ui, pages, {"width": 960, "height": 720})
        chat, customer = support.chat, support.customer
        by_id(chat, "present-request").click()
        with customer.expect_popup() as popup:
            by_id(customer, "presentation-accept").click()
        popup.value.close()
        with local_call(chat, "POST", "/local/presentation"):  # the first whole-screen share
            by_id(chat, "share-whole-confirm").click()
        button = by_id(chat, "present-pause")
        expect(button).to_have_text(re.compile("Pause"))
        expect(button).to_have_attribute("data-icon", "present-pause")
        pause_icon = button.locator("svg").inner_html()
        with local_call(chat, "POST", "/local/presentation"):
            button.click()
        assert presentations.commands[-1] == ("pause", None)
        expect(button).to_have_text(re.compile("Resume"))
        expect(button).to_have_attribute("data-icon", "present-resume")
        assert button.locator("svg").inner_html() != pause_icon
        screenshot(chat, "desktop-mode-resume-play-icon")
        with local_call(chat, "POST", "/local/presentation"):
            button.click()
        assert presentations.commands[-1] == ("resume", None)
        expect(button).to_have_attribute("data-icon", "present-pause")
    finally:
        for page in pages:
            page.context.close()
