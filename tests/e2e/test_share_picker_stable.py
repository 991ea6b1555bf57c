"""The share picker keeps its size and place from its first frame (P2, P6).

Real Chromium on the real local API (presenter children recorded). The monitor and window
listing (GET /local/screens) takes a second or two in the app (a child grabs thumbnails);
here it is held at the page's door until the first frame was measured, so "Share whole
screen" cannot move under the agent's pointer when the listing arrives. In English and
Korean, at the chat window's default size and its smallest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.desktop_ui import (
    FakePresentations,
    RecordedApp,
    open_desktop_support,
    recorded_local_app,
)
from tests.support.ui_pages import PageFactory, by_id, screenshot

pytestmark = pytest.mark.e2e

# Where the picker and its parts are, in the page's pixels.
BOXES_JS = """() => {
  const box = (id) => {
    const r = document.querySelector(`[data-testid="${id}"]`).getBoundingClientRect();
    return [r.x, r.y, r.width, r.height].map(Math.round);
  };
  return {
    picker: box("share-picker"),
    confirm: box("share-whole-confirm"),
    whole: box("share-mode-whole"),
    windows: box("share-mode-windows"),
  };
}"""


@pytest.fixture
def recorded_app(relay, tmp_path: Path) -> Iterator[RecordedApp]:
    with recorded_local_app(tmp_path / "config", relay_url=relay.url) as app:
        yield app


# Where windows cannot be listed (Windows, macOS, Wayland): the whole screen only, and the
# longer warning (RemoteSales windows are shown too).
NO_WINDOW_LIST = {
    **FakePresentations.SCREENS,
    "windows": [],
    "windows_supported": False,
    "windows_error": "no window list on this desktop",
}


@pytest.mark.parametrize(
    "size,language,windows",
    [
        ({"width": 960, "height": 720}, "en", True),
        ({"width": 960, "height": 720}, "en", False),
        ({"width": 640, "height": 480}, "ko", True),
        ({"width": 640, "height": 480}, "ko", False),
    ],
    ids=["960x720-en", "960x720-en-no-window-list", "640x480-ko", "640x480-ko-no-window-list"],
)
def test_the_share_picker_does_not_move_when_the_listing_arrives(
    browser,
    recorded_app: RecordedApp,
    open_ui: PageFactory,
    size: dict,
    language: str,
    windows: bool,
) -> None:
    """Shown while the listing is on its way, the picker already has its final size: the
    confirm button, the two choices and the picker's box are where they are once the
    monitors and windows came, whether this desktop lists windows or not (the warning keeps
    the room of its longer wording; the window list has placeholders)."""
    if not windows:
        recorded_app.presentations.SCREENS = NO_WINDOW_LIST  # type: ignore[misc]
    pages: list[Page] = []
    try:
        support = open_desktop_support(browser, recorded_app.app, open_ui, pages, size)
        chat = support.chat
        if language == "ko":
            chat.select_option("#language-select", "ko")
        held: list[Route] = []
        chat.route("**/local/screens", lambda route: held.append(route))
        by_id(chat, "present-request").click()
        expect(by_id(chat, "share-picker")).to_be_visible()
        expect(by_id(chat, "share-whole-confirm")).to_be_visible()
        expect(by_id(chat, "share-picker")).to_have_attribute("aria-busy", "true")
        assert len(held) == 1  # the listing is on its way, not answered
        expect(by_id(chat, "share-window-placeholder")).to_have_count(3)
        before = chat.evaluate(BOXES_JS)
        name = f"share-picker-{language}-{size['width']}-{'windows' if windows else 'whole-only'}"
        screenshot(chat, f"{name}-loading")

        held[0].continue_()
        chat.unroute("**/local/screens")
        expect(by_id(chat, "share-monitor").locator("option")).to_have_count(2)
        expect(by_id(chat, "share-picker")).to_have_attribute("aria-busy", "false")
        after = chat.evaluate(BOXES_JS)
        screenshot(chat, f"{name}-listed")
        assert after == before, (before, after)
        # The customer says yes: "press Share whole screen" appears under the button.
        with support.customer.expect_popup() as popup:
            by_id(support.customer, "presentation-accept").click()
        popup.value.close()
        expect(by_id(chat, "share-whole-waiting")).to_be_visible()
        assert chat.evaluate(BOXES_JS)["confirm"] == before["confirm"]
        screenshot(chat, f"{name}-accepted")
        if not windows:
            expect(by_id(chat, "share-mode-windows")).to_be_disabled()
            expect(by_id(chat, "share-whole-warning")).to_contain_text(
                "모든 화면" if language == "ko" else "RemoteSales windows included"
            )
            return
        # Chosen windows: the windows took the placeholders' place.
        by_id(chat, "share-mode-windows").check()
        expect(by_id(chat, "share-window")).to_have_count(2)
        expect(by_id(chat, "share-window-placeholder")).to_have_count(0)
    finally:
        for page in pages:
            page.context.close()
