"""The agent page in a browser presents with getDisplayMedia.

Chromium's fake capture (``--use-fake-ui-for-media-stream --use-fake-device-for-media-stream``,
set for every test browser in tests/conftest.py) answers getDisplayMedia with a 1280x720 moving
test pattern; the page encodes it into region frames on its own screen socket, the real relay
fans them out, and the customer's real viewer page paints them.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import agent_login, by_id, customer_join, screenshot, start_support
from tests.support.viewer_presenter import canvas_pixels, viewer_stats, wait_for_stats

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer."""
    return shared_relay


WIDTH, HEIGHT = 1280, 720  # Chromium's fake display capture
SHOTS = reviewers_folder("browser-present")


def shot(page: Page, name: str) -> None:
    """A screenshot in test-artifacts/ (and in the reviewers' folder when it exists)."""
    keep_shot(screenshot(page, f"browser-present-{name}"), SHOTS)


def presenter(agent: Page) -> dict:
    return agent.evaluate("window.__rsTest.presenter()")


def wait_presenter(agent: Page, condition, timeout_s: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        state = presenter(agent)
        if state is not None and condition(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"the page's presenter never got there: {state}")
        time.sleep(0.05)


def present(agent: Page, customer: Page) -> Page:
    """The agent clicks Present screen, the customer accepts; returns the viewer window."""
    by_id(agent, "present-request").click()
    expect(by_id(customer, "presentation-prompt")).to_be_visible()
    with customer.expect_popup() as popup:
        by_id(customer, "presentation-accept").click()
    viewer = popup.value
    viewer.set_viewport_size({"width": 1280, "height": 800})
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute("data-state", "live")
    return viewer


def notices(page: Page):
    return by_id(page, "chat-notice")


def test_the_page_presents_what_the_browser_captures(chat_pages) -> None:
    """After Accept the viewer goes live at the capture's size, and its canvas keeps changing
    with the fake capture's moving pattern while the page sends region frames."""
    agent, customer = chat_pages
    viewer = present(agent, customer)
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute("data-state", "live")
    stats = wait_for_stats(viewer, lambda s: s["framesPainted"] >= 3)
    assert (stats["screenW"], stats["screenH"]) == (WIDTH, HEIGHT)
    first = canvas_pixels(viewer, 0, 0, WIDTH, HEIGHT)
    seq = stats["lastSeq"]
    wait_for_stats(viewer, lambda s: s["lastSeq"] >= seq + 5)
    second = canvas_pixels(viewer, 0, 0, WIDTH, HEIGHT)
    assert not np.array_equal(first, second), "the picture never changed"
    sent = presenter(agent)
    assert sent["state"] == "live" and sent["frames"] >= 3 and sent["bytes"] > 0
    assert stats["decodeFailures"] == 0 and stats["framesRejected"] == 0
    shot(viewer, "viewer-live")
    shot(agent, "agent-presenting")


def test_the_viewer_says_control_needs_the_desktop_app(chat_pages) -> None:
    """Presented from the browser page (view only), the viewer offers no Request control and
    says why, in English and in Korean."""
    agent, customer = chat_pages
    viewer = present(agent, customer)
    expect(viewer.get_by_test_id("viewer-request-control")).to_be_hidden()
    state = viewer.get_by_test_id("viewer-control-state")
    expect(state).to_have_text("View only · control needs the agent's app")
    viewer.get_by_test_id("language-select").select_option("ko")
    expect(state).to_have_text("보기 전용 · 원격 제어는 상담원 앱에서만")
    keep_shot(
        screenshot(viewer, "browser-present-viewer-control-unavailable-ko"),
        reviewers_folder("files-chat"),
        "after_viewer_control_unavailable_ko.png",
    )


def test_the_viewer_shows_the_fake_captures_pattern(chat_pages) -> None:
    """What the viewer paints is the fake capture: a dark green field, bright only where its
    turning disc, its clock text and its (blinking) corner squares are."""
    agent, customer = chat_pages
    viewer = present(agent, customer)
    wait_for_stats(viewer, lambda s: s["framesPainted"] >= 10)
    picture = canvas_pixels(viewer, 0, 0, WIDTH, HEIGHT).astype(int)
    field = np.median(picture[200:240, 900:1100].reshape(-1, 3), axis=0)
    assert field[1] > 100 and field[0] < 40 and field[2] < 40, field  # dark green
    bright = picture[..., 1] > field[1] + 60
    # The disc (radius 180 around (640, 425)) fills as its arc turns; the clock is top left.
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    disc = (xs - WIDTH // 2) ** 2 + (ys - HEIGHT // 2 - 65) ** 2 < 185**2
    clock = (ys < 160) & (xs < 700)
    corners = ((xs < 80) | (xs >= WIDTH - 80)) & ((ys < 80) | (ys >= HEIGHT - 80))
    stray = bright & ~(disc | clock | corners)
    assert stray.mean() < 0.05, stray.mean()  # roughly: JPEG edges, a moving mark


def test_stop_ends_the_presentation_on_both_sides(chat_pages) -> None:
    """Stop presenting: the viewer says the presentation ended, the page lets go of the capture
    and offers Present screen again."""
    agent, customer = chat_pages
    viewer = present(agent, customer)
    wait_for_stats(viewer, lambda s: s["framesPainted"] >= 1)
    by_id(agent, "present-stop").click()
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute("data-state", "stopped")
    expect(by_id(agent, "present-request")).to_be_visible()
    expect(by_id(agent, "present-stop")).to_be_hidden()
    assert presenter(agent)["track"] == "none" and presenter(agent)["state"] == "idle"
    shot(viewer, "viewer-stopped")


def test_the_browsers_stop_sharing_ends_it_too(chat_pages) -> None:
    """The browser's own "Stop sharing" ends the track: the viewer shows the end, the page says
    the agent stopped sharing and offers Present screen again."""
    agent, customer = chat_pages
    viewer = present(agent, customer)
    wait_for_stats(viewer, lambda s: s["framesPainted"] >= 1)
    # What Chromium's "Stop sharing" bar does: the track ends and fires "ended".
    agent.evaluate("window.__rsTest.endCapture()")
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute("data-state", "stopped")
    expect(notices(agent).last).to_have_text("You stopped sharing your screen.")
    expect(by_id(agent, "present-request")).to_be_visible()
    expect(by_id(agent, "present-pause")).to_be_hidden()
    shot(agent, "agent-stopped-sharing")


def test_pause_and_resume_reach_the_viewer(chat_pages) -> None:
    """Pause keeps the last picture in the viewer (paused); Resume makes it live again."""
    agent, customer = chat_pages
    viewer = present(agent, customer)
    wait_for_stats(viewer, lambda s: s["framesPainted"] >= 1)
    by_id(agent, "present-pause").click()
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute("data-state", "paused")
    by_id(agent, "present-pause").click()
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute("data-state", "live")
    seq = viewer_stats(viewer)["lastSeq"]
    wait_for_stats(viewer, lambda s: s["lastSeq"] > seq)


def test_a_decline_lets_the_capture_go(chat_pages) -> None:
    """The customer declines: the capture picked in the click is stopped at once."""
    agent, customer = chat_pages
    by_id(agent, "present-request").click()
    wait_presenter(agent, lambda s: s["track"] == "live")
    by_id(customer, "presentation-decline").click()
    expect(notices(agent).last).to_have_text("The customer declined the screen presentation.")
    wait_presenter(agent, lambda s: s["track"] == "none" and s["state"] == "idle")


def test_closing_the_picker_asks_nobody(agent_page: Page, open_ui) -> None:
    """The agent closes the browser's picker (getDisplayMedia refused): no request goes to the
    customer, and the chat says why."""
    agent_page.add_init_script(
        "navigator.mediaDevices.getDisplayMedia = () => "
        "Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    agent_page.reload()
    if by_id(agent_page, "login-username").is_visible():
        agent_login(agent_page)
    code = start_support(agent_page)
    customer = open_ui("/")
    customer_join(customer, code, name="Chris Park")
    by_id(agent_page, "present-request").click()
    expect(notices(agent_page).last).to_have_text(
        "You didn't choose anything to share, so the customer was not asked."
    )
    expect(by_id(agent_page, "present-request")).to_be_enabled()
    expect(by_id(customer, "presentation-prompt")).to_be_hidden()


def test_control_needs_the_desktop_app(chat_pages) -> None:
    """While the page presents, it offers no grant and says control needs the desktop app (the
    viewer offers no request either: see the test above)."""
    agent, customer = chat_pages
    viewer = present(agent, customer)
    wait_for_stats(viewer, lambda s: s["framesPainted"] >= 1)
    panel = by_id(agent, "control-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("use the RemoteSales desktop app")
    for button in ("control-grant-mouse", "control-grant-keyboard", "control-grant-both"):
        expect(by_id(agent, button)).to_be_hidden()
    agent.get_by_test_id("language-select").select_option("ko")
    expect(panel).to_contain_text("RemoteSales 데스크톱 앱을 사용하세요")
    shot(agent, "agent-presenting-ko")


def test_a_browser_without_screen_sharing_says_so(agent_page: Page, open_ui) -> None:
    """Where the browser has no getDisplayMedia (a phone browser), Present screen explains what
    to use instead and asks the customer nothing."""
    agent_page.add_init_script("delete MediaDevices.prototype.getDisplayMedia;")
    agent_page.reload()
    code = start_support(agent_page)
    customer = open_ui("/")
    customer_join(customer, code, name="Chris Park")
    by_id(agent_page, "present-request").click()
    expect(notices(agent_page).last).to_have_text(
        "This browser can't share your screen. Use Chrome, Edge or Firefox on a computer, "
        "or the RemoteSales desktop app."
    )
    expect(by_id(customer, "presentation-prompt")).to_be_hidden()
