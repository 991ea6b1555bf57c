"""The chat window's drawing tools (P5, P8) in desktop mode, in Chromium, on the real local API.

As in test_ui_agent_desktop_mode.py, only the presenter children are replaced by a recorder
(the real chain, local API -> presenter -> overlay -> relay, is tested in
tests/integration/test_agent_drawing.py and tests/e2e/test_drawing.py).
"""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import Page, expect

from tests.support.desktop_ui import (
    RecordedApp,
    local_call,
    open_desktop_support,
    presenting_local_app,
)
from tests.support.ui_pages import PageFactory, by_id, screenshot

pytestmark = pytest.mark.e2e


def test_chat_window_drawing_tools_follow_the_presentation(
    browser,
    recorded_app: RecordedApp,
    open_ui: PageFactory,
) -> None:
    """The tools show while presenting; a tool, a width, undo and clear each reach the presenter
    as one checked command; a tool put down on the overlay (Escape there) shows as down; the
    tools hide when the presentation stops."""
    app, presentations = recorded_app.app, recorded_app.presentations
    pages: list[Page] = []
    try:
        support = open_desktop_support(browser, app, open_ui, pages, {"width": 1280, "height": 720})
        chat, customer, session_id = support.chat, support.customer, support.session_id

        panel = by_id(chat, "drawing-panel")
        expect(panel).to_be_hidden()
        by_id(chat, "present-request").click()
        by_id(chat, "share-whole-confirm").click()  # the whole screen, confirmed once
        with local_call(chat, "POST", "/local/presentation"):
            with customer.expect_popup() as popup:
                by_id(customer, "presentation-accept").click()
        popup.value.close()
        expect(panel).to_be_hidden()  # a popover of the presenting bar: its button opens it
        by_id(chat, "draw-toggle").click()
        expect(panel).to_be_visible()
        pen = by_id(chat, "draw-tool-pen")
        expect(pen).to_have_attribute("aria-label", "Pen")
        with local_call(chat, "POST", "/local/drawing") as drawn:
            pen.click()
        assert drawn.value.request.post_data_json == {
            "session_id": session_id, "action": "tool", "tool": "pen", "color": "#e11d48",
            "width": 4,
        }  # fmt: skip
        assert presentations.commands[-1] == ("draw", "tool pen #e11d48 4")
        expect(pen).to_have_attribute("aria-pressed", "true")
        with local_call(chat, "POST", "/local/drawing"):
            by_id(chat, "draw-width").select_option("8")
        assert presentations.commands[-1] == ("draw", "tool pen #e11d48 8")
        with local_call(chat, "POST", "/local/drawing"):
            by_id(chat, "draw-undo").click()
        with local_call(chat, "POST", "/local/drawing"):
            by_id(chat, "draw-clear").click()
        assert presentations.commands[-2:] == [("draw", "undo"), ("draw", "clear")]
        screenshot(chat, "desktop-mode-drawing-tools")

        presentations.tool = None  # the agent pressed Escape on the overlay
        expect(by_id(chat, "draw-tool-none")).to_have_attribute(
            "aria-pressed", "true", timeout=8000
        )
        expect(pen).to_have_attribute("aria-pressed", "false")

        with local_call(chat, "POST", "/local/presentation"):
            by_id(chat, "present-stop").click()
        expect(panel).to_be_hidden()
    finally:
        for page in pages:
            page.context.close()


def test_the_agent_draws_from_the_chat_window_and_the_customer_sees_it(
    browser, relay, tmp_path, open_ui: PageFactory
) -> None:
    """The whole agent-side chain, nothing replaced but the app's windows: the chat window's pen
    -> POST /local/drawing -> the real presenter child -> its overlay on a private Xvfb; a real
    drag there (xdotool) -> the relay -> the customer's viewer (opened by Accept) shows the
    stroke in the chosen colour; the chat window's Undo takes it off the viewer again."""
    from tests.support.viewer_presenter import wait_layer  # noqa: PLC0415
    from tests.support.x11 import wait_for_input_catcher  # noqa: PLC0415
    from tests.support.x11_paint import add_local_xauth_entry  # noqa: PLC0415
    from tests.support.xvfb import Xvfb  # noqa: PLC0415

    with Xvfb(960, 540) as display:
        add_local_xauth_entry(display)
        with presenting_local_app(tmp_path / "config", display.env(), relay_url=relay.url) as real:
            app = real.app
            pages: list[Page] = []
            try:
                support = open_desktop_support(
                    browser, app, open_ui, pages, {"width": 1280, "height": 720}
                )
                chat, customer = support.chat, support.customer
                by_id(chat, "present-request").click()
                # The picker's first monitor listing moves its popover: confirm after it came.
                expect(by_id(chat, "share-monitor").locator('option[value=""]')).to_have_count(0)
                by_id(chat, "share-whole-confirm").click()  # the whole screen, confirmed once
                expect(by_id(chat, "share-whole-confirm")).to_be_hidden()
                with customer.expect_popup() as popup:
                    by_id(customer, "presentation-accept").click()
                viewer = popup.value
                pages.append(viewer)
                expect(by_id(viewer, "viewer-state")).to_have_attribute(
                    "data-state", "live", timeout=30_000
                )

                by_id(chat, "draw-toggle").click()
                by_id(chat, "draw-colour").fill("#10b981")
                with local_call(chat, "POST", "/local/drawing"):
                    by_id(chat, "draw-tool-rectangle").click()
                wait_for_input_catcher(display.env())
                subprocess.run(
                    ["xdotool", "mousemove", "200", "100", "mousedown", "1", "mousemove", "300",
                     "150", "mousemove", "400", "200", "mouseup", "1"],
                    env=display.env(), check=True,
                )  # fmt: skip
                wait_layer(viewer, 300, 100, (0x10, 0xB9, 0x81, 255))
                with local_call(chat, "POST", "/local/drawing"):
                    by_id(chat, "draw-undo").click()
                wait_layer(viewer, 300, 100, (0, 0, 0, 0))
                with local_call(chat, "POST", "/local/drawing"):
                    by_id(chat, "draw-tool-none").click()
            finally:
                for page in pages:
                    page.context.close()
