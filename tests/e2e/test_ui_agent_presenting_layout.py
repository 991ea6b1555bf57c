"""The agent's chat window while presenting: the conversation stays usable.

Real Chromium at the desktop chat window's default size (960x720) and at 800x600, on the real
local API with only the presenter children recorded (as in test_ui_agent_desktop_mode.py):
every presenting tool open at once (the share picker's popover, then the drawing options, the
control bar with a customer's pending request, two file transfers) must leave the composer
visible, enabled and uncovered, and the transcript tall enough to read. The chat follows new
messages when a panel opens above it, and shows a "new messages" pill when scrolled up.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.desktop_ui import (
    LAYOUT_JS,
    RecordedApp,
    local_call,
    open_desktop_support,
    recorded_local_app,
)
from tests.support.ui_pages import (
    PageFactory,
    bubble_with_text,
    by_id,
    customer_viewer_socket,
    screenshot,
    send_chat,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own app, support and customer; its files
    and notes belong to that support."""
    return shared_relay


# (viewport, the least transcript height in px left uncovered with every tool open)
SIZES = [({"width": 960, "height": 720}, 240), ({"width": 800, "height": 600}, 160)]

# The composer's box, the transcript's box minus what an open popover covers, and whether the
# composer's input is the topmost element at its centre (nothing covers it).

# True when the newest message's bubble lies inside the transcript's visible box.
NEWEST_IN_VIEW_JS = """() => {
  const list = document.querySelector('[data-testid="chat-transcript"]');
  const bubbles = list.querySelectorAll('[data-testid="chat-message"]');
  const last = bubbles[bubbles.length - 1];
  if (!last) return false;
  const a = list.getBoundingClientRect(), b = last.getBoundingClientRect();
  return b.bottom <= a.bottom + 1 && b.top >= a.top - 1;
}"""


@pytest.fixture
def presenting_app(relay, tmp_path: Path) -> Iterator[RecordedApp]:
    """The local API (real routes and guard) with its presenter children recorded, saving
    received files into tmp_path."""
    with recorded_local_app(
        tmp_path / "config", relay_url=relay.url, received_files_folder=str(tmp_path / "in")
    ) as app:
        yield app


def _assert_usable(chat: Page, least_px: int, label: str) -> dict:
    layout = chat.evaluate(LAYOUT_JS)
    expect(by_id(chat, "chat-input")).to_be_visible()
    expect(by_id(chat, "chat-input")).to_be_enabled()
    assert layout["inputBottom"] <= layout["viewport"], (label, layout)
    assert layout["inputOnTop"], (label, layout)
    assert layout["send"], (label, layout)
    assert layout["uncovered"] >= least_px, (label, layout)
    assert layout["name"], (label, layout)  # the customer's name is not cut
    return layout


@pytest.mark.parametrize("size,least_px", SIZES, ids=["960x720", "800x600"])
def test_every_presenting_tool_open_leaves_the_chat_usable(
    browser, relay, presenting_app: RecordedApp, open_ui: PageFactory, tmp_path: Path,
    size: dict[str, int], least_px: int,
) -> None:  # fmt: skip
    """With the share picker, the drawing options, a pending control request and two file
    transfers all shown, the composer is visible, enabled and uncovered and the transcript
    keeps at least `least_px` px; a message that arrives meanwhile is in view."""
    name = f"{size['width']}x{size['height']}"
    pages: list[Page] = []
    try:
        support = open_desktop_support(browser, presenting_app.app, open_ui, pages, size)
        chat, customer = support.chat, support.customer
        for index in range(6):
            send_chat(customer, f"Question {index}: how does the reporting work?")
        expect(bubble_with_text(chat, "Question 5: how does the reporting work?")).to_be_visible()
        by_id(chat, "present-request").click()
        with customer.expect_popup() as popup:
            by_id(customer, "presentation-accept").click()
        popup.value.close()
        with local_call(chat, "POST", "/local/presentation"):  # the first whole-screen share
            by_id(chat, "share-whole-confirm").click()
        expect(by_id(chat, "present-pause")).to_be_visible()

        # Two files from the customer, saved by the app while they arrive.
        for file_name in ("order_form.txt", "brochure.pdf"):
            source = tmp_path / file_name
            source.write_bytes(file_name.encode() * 100)
            by_id(customer, "file-input").set_input_files(str(source))
        expect(by_id(chat, "file-row")).to_have_count(2)
        expect(by_id(chat, "file-status").first).to_contain_text("Saved as", timeout=15_000)
        expect(by_id(chat, "file-status").last).to_contain_text("Saved as", timeout=15_000)
        # The customer asks for control: the control bar shows the request.
        viewer = customer_viewer_socket(customer, relay)
        viewer.send({"type": "request_control"})
        expect(by_id(chat, "control-text")).to_have_text("Chris Park asks to control your screen.")
        expect(by_id(chat, "control-grant-both")).to_be_visible()

        screenshot(chat, f"presenting-{name}-tools-open")
        # The picker opened by itself at the request; the button closes and opens it again.
        expect(by_id(chat, "share-picker")).to_be_visible()
        by_id(chat, "share-toggle").click()
        expect(by_id(chat, "share-picker")).to_be_hidden()
        by_id(chat, "share-toggle").click()
        expect(by_id(chat, "share-picker")).to_be_visible()
        expect(by_id(chat, "share-window")).to_have_count(2)
        _assert_usable(chat, least_px, "share picker")
        screenshot(chat, f"presenting-{name}-share-picker")

        by_id(chat, "draw-toggle").click()
        expect(by_id(chat, "drawing-panel")).to_be_visible()
        expect(by_id(chat, "draw-tool-pen")).to_be_visible()
        layout = _assert_usable(chat, least_px, "drawing options")
        screenshot(chat, f"presenting-{name}-drawing")

        # The customer's question while every tool is open: the chat shows it.
        send_chat(customer, "Can we talk price?")
        expect(bubble_with_text(chat, "Can we talk price?")).to_be_visible()
        chat.wait_for_function(NEWEST_IN_VIEW_JS)
        chat.keyboard.press("Escape")
        expect(by_id(chat, "drawing-panel")).to_be_hidden()
        by_id(chat, "chat-input").fill("Yes, 15% off this month.")
        by_id(chat, "chat-input").press("Enter")
        expect(bubble_with_text(customer, "Yes, 15% off this month.")).to_be_visible()
        screenshot(chat, f"presenting-{name}-all-tools")
        print(f"{name}: {layout}")
        viewer.close()
    finally:
        for page in pages:
            page.context.close()


def test_the_chat_follows_when_a_panel_opens_and_a_pill_brings_back_the_newest(
    browser, relay, presenting_app: RecordedApp, open_ui: PageFactory
) -> None:
    """At the bottom, a message that comes with the control bar opening above the chat stays in
    view; scrolled up, a new message shows a "new messages" pill whose click scrolls to it."""
    pages: list[Page] = []
    try:
        support = open_desktop_support(
            browser, presenting_app.app, open_ui, pages, {"width": 960, "height": 720}
        )
        chat, customer = support.chat, support.customer
        for index in range(14):
            send_chat(customer, f"Line {index} of a long question")
        expect(bubble_with_text(chat, "Line 13 of a long question")).to_be_visible()
        chat.wait_for_function(NEWEST_IN_VIEW_JS)

        # A panel opens above the chat (the control request) and a message follows at once.
        viewer = customer_viewer_socket(customer, relay)
        viewer.send({"type": "request_control"})
        send_chat(customer, "Can we talk price?")
        expect(by_id(chat, "control-panel")).to_be_visible()
        expect(bubble_with_text(chat, "Can we talk price?")).to_be_visible()
        chat.wait_for_function(NEWEST_IN_VIEW_JS)
        pill = by_id(chat, "chat-new-messages")
        expect(pill).to_be_hidden()

        # Scrolled up to read back: a new message shows the pill, not a jump.
        chat.evaluate("document.querySelector('[data-testid=chat-transcript]').scrollTop = 0")
        send_chat(customer, "And the seats?")
        expect(pill).to_be_visible()
        assert not chat.evaluate(NEWEST_IN_VIEW_JS)
        screenshot(chat, "presenting-new-messages-pill")
        pill.click()
        chat.wait_for_function(NEWEST_IN_VIEW_JS)
        expect(pill).to_be_hidden()
        viewer.close()
    finally:
        for page in pages:
            page.context.close()


# The share picker's popover: its width and content width, and whether the whole-screen
# confirm button lies inside it (nothing clipped or scrolled sideways).
PICKER_FITS_JS = """() => {
  const picker = document.querySelector('[data-testid="share-picker"]');
  const button = document.querySelector('[data-testid="share-whole-confirm"]');
  const a = picker.getBoundingClientRect(), b = button.getBoundingClientRect();
  return {client: picker.clientWidth, scroll: picker.scrollWidth,
          buttonInside: b.left >= a.left && b.right <= a.right};
}"""


def test_the_share_picker_closes_when_the_notes_open_and_returns_for_the_confirm(
    browser, relay, presenting_app: RecordedApp, open_ui: PageFactory
) -> None:
    """The share picker that opened by itself at the request closes when the agent opens the
    notes from the keyboard (narrow window), when focus moves to the notes (wide window) and on
    a click elsewhere; it fits its popover (nothing clipped); when the customer accepts while
    it is closed, it opens again with the whole-screen confirm focused."""
    pages: list[Page] = []
    try:
        support = open_desktop_support(
            browser, presenting_app.app, open_ui, pages, {"width": 700, "height": 720}
        )
        chat, customer = support.chat, support.customer
        picker = by_id(chat, "share-picker")
        by_id(chat, "present-request").click()
        expect(picker).to_be_visible()
        fits = chat.evaluate(PICKER_FITS_JS)
        assert fits["scroll"] <= fits["client"] and fits["buttonInside"], fits
        screenshot(chat, "share-picker-open-700x720")

        by_id(chat, "notes-toggle").focus()
        chat.keyboard.press("Enter")  # the notes, opened from the keyboard
        expect(by_id(chat, "notes-input")).to_be_focused()
        expect(picker).to_be_hidden()
        expect(by_id(chat, "share-toggle")).to_have_attribute("aria-expanded", "false")
        screenshot(chat, "share-picker-closed-by-notes-700x720")

        chat.set_viewport_size({"width": 960, "height": 720})  # notes beside the chat
        by_id(chat, "share-toggle").click()
        expect(picker).to_be_visible()
        by_id(chat, "notes-input").focus()  # as Tab brings it there
        expect(picker).to_be_hidden()
        by_id(chat, "share-toggle").click()
        expect(picker).to_be_visible()
        by_id(chat, "chat-transcript").click()
        expect(picker).to_be_hidden()

        with customer.expect_popup() as popup:
            by_id(customer, "presentation-accept").click()
        popup.value.close()
        expect(picker).to_be_visible()
        expect(by_id(chat, "share-whole-confirm")).to_be_focused()
        screenshot(chat, "share-picker-back-for-the-confirm-960x720")
        with local_call(chat, "POST", "/local/presentation"):
            by_id(chat, "share-whole-confirm").click()
        expect(by_id(chat, "present-pause")).to_be_visible()
    finally:
        for page in pages:
            page.context.close()


# Whether the element is whole inside the window and inside every scrolled box around it (seen
# without scrolling), and its centre is its own.
IN_SIGHT_JS = """(e) => {
  const r = e.getBoundingClientRect();
  if (r.top < 0 || r.bottom > innerHeight || r.left < 0 || r.right > innerWidth) return false;
  for (let p = e.parentElement; p; p = p.parentElement) {
    const b = p.getBoundingClientRect();
    const clips = getComputedStyle(p).overflowY !== "visible" && p.scrollHeight > p.clientHeight;
    if (clips && (r.top < b.top - 1 || r.bottom > b.bottom + 1)) return false;
  }
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === e || e.contains(hit);
}"""


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_share_action_is_in_sight_in_a_640x480_window(
    browser, relay, presenting_app: RecordedApp, open_ui: PageFactory, language: str
) -> None:
    """The chat window at its least size (640x480): once the customer accepted, "Share whole
    screen" and the line that asks for it are in sight without scrolling."""
    pages: list[Page] = []
    try:
        support = open_desktop_support(
            browser, presenting_app.app, open_ui, pages, {"width": 640, "height": 480}
        )
        chat, customer = support.chat, support.customer
        if language == "ko":
            chat.select_option("#language-select", "ko")
        by_id(chat, "present-request").click()
        with customer.expect_popup() as popup:
            by_id(customer, "presentation-accept").click()
        popup.value.close()
        expect(by_id(chat, "share-whole-waiting")).to_be_visible()
        confirm = by_id(chat, "share-whole-confirm")
        expect(confirm).to_be_focused()
        chat.wait_for_timeout(300)  # a scroll into view would have happened by now
        screenshot(chat, f"share-picker-accepted-640x480-{language}")
        assert confirm.evaluate(IN_SIGHT_JS)
        assert by_id(chat, "share-whole-waiting").evaluate(IN_SIGHT_JS)
        with local_call(chat, "POST", "/local/presentation"):
            confirm.click()
        expect(by_id(chat, "present-pause")).to_be_visible()
    finally:
        for page in pages:
            page.context.close()
