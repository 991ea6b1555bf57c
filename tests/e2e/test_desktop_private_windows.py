"""The real agent app presents its whole screen without its own windows.

``python -m suite.agent`` on a private 1920x1080 Xvfb, its chat window (with the consultation
notes beside the conversation), main window and notice all open on the shared monitor; the
customer accepts in Chromium and the viewer page opens: where the app's windows are, the
viewer shows the neutral cover, not their pixels.
"""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from suite.screen.masks import PRIVATE_FILL_BGRA
from tests.support.agent_app import AgentApp
from tests.support.cdp import by_test_id, visible_js
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    driving,
    main_page,
    open_support_window,
    sign_in,
    xauth_display,
)
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

WAIT_S = 30.0
FILL_RGB = np.array(PRIVATE_FILL_BGRA[2::-1], np.int16)
NOTES_TEXT = "Private: budget is 40M KRW, decision maker is the CFO."


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    yield from xauth_display()  # python-xlib (window list, wallpaper) needs an Xauthority


def app_windows(env: dict[str, str], pid: int) -> list[tuple[int, int, int, int]]:
    """The mapped windows of process ``pid`` as (x, y, w, h) (xdotool)."""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--pid", str(pid)], env=env, capture_output=True,
        text=True, timeout=10,
    ).stdout.split()  # fmt: skip
    rects = []
    for window in found:
        shell = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window], env=env, capture_output=True,
            text=True, timeout=10,
        ).stdout  # fmt: skip
        values = dict(line.split("=", 1) for line in shell.split() if "=" in line)
        rect = tuple(int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        if rect[2] > 50 and rect[3] > 50:
            rects.append(rect)
    return rects


def fill_share(viewer, rect: tuple[int, int, int, int]) -> float:
    """The share of the viewer's pixels in ``rect`` (screen pixels) that are the cover fill."""
    x, y, w, h = rect
    result = viewer.evaluate(f"window.__rsViewer.canvasPixels({x}, {y}, {w}, {h})")
    rgba = np.frombuffer(base64.b64decode(result["rgba"]), np.uint8).reshape(h, w, 4)
    near = (np.abs(rgba[..., :3].astype(np.int16) - FILL_RGB) <= 6).all(axis=-1)
    return float(near.mean())


def test_whole_screen_share_leaves_the_apps_windows_out(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
) -> None:
    """The chat window with its notes, the main window and the notice are covered in what the
    customer's viewer shows; the warning was confirmed once before the share started."""
    from playwright.sync_api import expect

    from tests.support.ui_pages import customer_join, open_page

    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    with driving(app, artifacts_dir, "desktop-private") as windows:
        main = main_page(app)
        windows.pages.append(main)
        sign_in(main)
        chat = open_support_window(app, main, windows.pages)
        code = chat.wait_for(ACCESS_CODE_JS)
        customer = open_page(browser, relay.url + "/", viewport={"width": 1280, "height": 800})
        windows.customers.append(customer)
        customer_join(customer, code, name="Chris Park")
        notes_shown = visible_js(by_test_id("notes-input"))
        chat.wait_for(f"{notes_shown} || {visible_js(by_test_id('notes-toggle'))}")
        if not chat.evaluate(notes_shown):
            chat.click(by_test_id("notes-toggle"))
        chat.fill(by_test_id("notes-input"), NOTES_TEXT)

        chat.click(by_test_id("present-request"))
        chat.wait_for(visible_js(by_test_id("share-whole-confirm")))
        chat.screenshot(artifacts_dir / "desktop-private-chat-warning.png")
        chat.click(by_test_id("share-whole-confirm"))
        with customer.expect_popup() as popup:
            customer.get_by_test_id("presentation-accept").click()
        viewer = popup.value
        viewer.set_viewport_size({"width": 1280, "height": 800})
        expect(viewer.get_by_test_id("viewer-state")).to_contain_text("Live", timeout=30000)

        assert app.process is not None
        rects = app_windows(xvfb.env(), app.process.pid)
        assert len(rects) >= 2, rects  # the main window and the chat window at least
        deadline = time.monotonic() + WAIT_S
        while True:
            shares = [fill_share(viewer, rect) for rect in rects]
            if all(share > 0.9 for share in shares):
                break
            if time.monotonic() > deadline:
                viewer.screenshot(path=str(artifacts_dir / "desktop-private-viewer-failed.png"))
                raise AssertionError(f"the app's windows {rects} are not covered: {shares}")
            viewer.wait_for_timeout(200)
        viewer.screenshot(path=str(artifacts_dir / "desktop-private-viewer.png"))
        chat.screenshot(artifacts_dir / "desktop-private-chat-presenting.png")
