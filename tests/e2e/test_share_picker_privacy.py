"""The share picker on a real display: the whole-screen warning and its one
confirm, thumbnails, and two windows with one title told apart.

The chat window is the agent page in Chromium at the app's chat-window size, served by the
real local API whose presenter children and window listing (``Presentations``) run on a
private Xvfb against the test's relay; the windows listed are real X windows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from suite.agent.app.shell import CHAT_SIZE
from tests.support.colour_window import ColourWindow
from tests.support.desktop_ui import (
    PresentingApp,
    local_call,
    open_desktop_support,
    presenting_local_app,
)
from tests.support.ui_pages import PageFactory, by_id, screenshot
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

CHAT_WINDOW = {"width": CHAT_SIZE[0], "height": CHAT_SIZE[1]}
WARNING = "The customer will see everything on this monitor except RemoteSales windows."


@pytest.fixture
def real_app(relay, tmp_path) -> Iterator[PresentingApp]:
    """The local API with real presenter children and window listing on a private Xvfb."""
    with Xvfb(1280, 800) as display:
        add_local_xauth_entry(display)
        with presenting_local_app(tmp_path / "config", display.env(), relay_url=relay.url) as real:
            opened = [
                # Two windows of one program with one title, and one of "the app" (this process).
                ColourWindow(display.env(), (200, 30, 30), (20, 40, 400, 300), None, "Notes"),
                ColourWindow(display.env(), (30, 30, 200), (840, 420, 400, 300), None, "Notes"),
                ColourWindow(display.env(), (30, 160, 30), (450, 200, 300, 200), os.getpid()),
            ]
            try:
                yield real
            finally:
                for window in opened:
                    window.close()


def presenter_state(real_app: PresentingApp, session_id: str) -> str:
    return real_app.presentations.status(session_id)["state"]


def test_whole_screen_waits_for_one_confirm_per_support(
    browser, real_app: PresentingApp, open_ui: PageFactory
) -> None:
    """Present screen shows what the customer will see; the presenter starts only after the
    agent confirms, and a second presentation in the same support needs no confirm."""
    pages: list[Page] = []
    try:
        support = open_desktop_support(browser, real_app.app, open_ui, pages, CHAT_WINDOW)
        chat, customer, session_id = support.chat, support.customer, support.session_id
        by_id(chat, "present-request").click()
        warning = by_id(chat, "share-whole-warning")
        expect(warning).to_contain_text(WARNING)
        expect(by_id(chat, "share-whole-confirm")).to_be_visible()
        expect(by_id(chat, "share-windows")).to_be_hidden()
        screenshot(chat, "share-picker-whole-warning")
        with customer.expect_popup() as popup:
            by_id(customer, "presentation-accept").click()
        popup.value.close()
        expect(by_id(chat, "share-whole-waiting")).to_be_visible()
        expect(by_id(chat, "share-whole-confirm")).to_be_focused()
        screenshot(chat, "share-picker-whole-waiting")
        assert presenter_state(real_app, session_id) == "idle"  # nothing shared yet
        with local_call(chat, "POST", "/local/presentation") as started:
            by_id(chat, "share-whole-confirm").click()
        assert started.value.status == 200, started.value.text()
        assert started.value.request.post_data_json["window_ids"] is None
        assert presenter_state(real_app, session_id) == "live"
        expect(by_id(chat, "share-whole-confirm")).to_be_hidden()
        expect(warning).to_contain_text("The customer sees everything on this monitor except")

        with local_call(chat, "POST", "/local/presentation"):
            by_id(chat, "present-stop").click()
        assert presenter_state(real_app, session_id) == "idle"
        # Again in the same support: remembered, the presentation starts when accepted.
        by_id(chat, "present-request").click()
        expect(by_id(chat, "share-whole-confirm")).to_be_hidden()
        with local_call(chat, "POST", "/local/presentation") as started:
            by_id(customer, "presentation-accept").click()
        assert started.value.status == 200
        assert presenter_state(real_app, session_id) == "live"
    finally:
        for page in pages:
            page.context.close()


def test_window_list_has_thumbnails_and_tells_same_titles_apart(
    browser, real_app: PresentingApp, open_ui: PageFactory
) -> None:
    """Chosen windows lists each real window with a thumbnail and its program, size and place;
    two "Notes" windows read differently, and the app's own window is not offered."""
    pages: list[Page] = []
    try:
        support = open_desktop_support(browser, real_app.app, open_ui, pages, CHAT_WINDOW)
        chat = support.chat
        by_id(chat, "present-request").click()
        by_id(chat, "share-mode-windows").check()
        expect(by_id(chat, "share-whole-warning")).to_be_hidden()
        items = by_id(chat, "share-window")
        expect(items).to_have_count(2)  # the two Notes; the app's window is left out
        details = by_id(chat, "share-window-detail").all_text_contents()
        assert details == [
            "Notes-app · 400×300 · top left",
            "Notes-app · 400×300 · bottom right",
        ], details
        thumbs = by_id(chat, "share-window-thumb")
        expect(thumbs).to_have_count(2)
        sizes = thumbs.evaluate_all("(images) => images.map((i) => [i.naturalWidth, i.complete])")
        assert all(width > 0 and complete for width, complete in sizes), sizes
        # The thumbnails show each window's own pixels: red for the first, blue for the second.
        colours = thumbs.evaluate_all(
            """(images) => images.map((image) => {
                const canvas = document.createElement("canvas");
                canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                const middle = context.getImageData(canvas.width / 2, canvas.height / 2, 1, 1);
                return Array.from(middle.data);
            })"""
        )
        assert colours[0][0] > 150 and colours[0][2] < 80, colours
        assert colours[1][2] > 150 and colours[1][0] < 80, colours
        screenshot(chat, "share-picker-windows")
        # In Korean the places are Korean too.
        by_id(chat, "language-select").select_option("ko")
        first_detail = by_id(chat, "share-window-detail").first
        expect(first_detail).to_have_text("Notes-app · 400×300 · 왼쪽 위")
        by_id(chat, "share-mode-whole").check()
        expect(by_id(chat, "share-whole-warning")).to_contain_text(
            "RemoteSales 창을 제외한 이 모니터의 모든 화면이 고객에게 보입니다."
        )
        screenshot(chat, "share-picker-whole-warning-ko")
    finally:
        for page in pages:
            page.context.close()


def test_without_a_window_list_the_picker_says_so_in_plain_words(
    browser, relay, tmp_path, open_ui: PageFactory
) -> None:
    """Where windows cannot be listed (here: no Xauthority entry for python-xlib), the picker
    says in plain words that the whole screen is shared; the system's own error is kept in the
    note's tooltip for support staff, not in its text."""
    with Xvfb(1280, 800) as display:
        with presenting_local_app(tmp_path / "config", display.env(), relay_url=relay.url) as real:
            pages: list[Page] = []
            try:
                app = real.app
                support = open_desktop_support(browser, app, open_ui, pages, CHAT_WINDOW)
                by_id(support.chat, "present-request").click()
                note = by_id(support.chat, "share-note")
                expect(note).to_have_text(
                    "Sharing chosen windows is not available on this computer; the whole screen is"
                    " shared."
                )
                assert note.get_attribute("title"), "the system's reason, for support staff"
                expect(by_id(support.chat, "share-mode-windows")).to_be_disabled()
            finally:
                for page in pages:
                    page.context.close()


# The chosen monitor's label: its text width against the room the select gives it (inside the
# padding, less Chromium's drop-down arrow).
MONITOR_FIT_JS = """(select) => {
  const text = select.options[select.selectedIndex]?.text ?? "";
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const arrow = 20;
  const room = select.clientWidth - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight) - arrow;
  return { text, textWidth: context.measureText(text).width, room };
}"""


def test_the_monitor_label_is_whole_at_full_hd(
    browser, relay, tmp_path, open_ui: PageFactory
) -> None:
    """On a 1920x1080 monitor the picker's monitor choice reads "Screen 1 (1920×1080)" in the
    chat window's popover (960x720), whole, in English and Korean."""
    with Xvfb(1920, 1080) as display:
        add_local_xauth_entry(display)
        with presenting_local_app(tmp_path / "config", display.env(), relay_url=relay.url) as real:
            pages: list[Page] = []
            try:
                app = real.app
                chat = open_desktop_support(browser, app, open_ui, pages, CHAT_WINDOW).chat
                by_id(chat, "present-request").click()
                monitor = by_id(chat, "share-monitor")
                for language, label in (
                    ("en", "Screen 1 (1920×1080)"),
                    ("ko", "화면 1 (1920×1080)"),
                ):
                    by_id(chat, "language-select").select_option(language)
                    expect(monitor.locator("option:checked")).to_have_text(label)
                    fit = monitor.evaluate(MONITOR_FIT_JS)
                    screenshot(chat, f"share-picker-monitor-{language}")
                    assert fit["textWidth"] <= fit["room"], (language, fit)
            finally:
                for page in pages:
                    page.context.close()
