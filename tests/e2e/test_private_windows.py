"""The agent app's own windows never reach the customer: real presenter, real
relay, the viewer page in Chromium, on a private Xvfb.

A "notes window" filled with one colour that appears nowhere else carries ``_NET_WM_PID`` of
the process named by ``--private-pid`` (as the app's windows carry the app's pid): every
region frame the viewer receives is decoded and searched for that colour, while the window
sits still, moves, and has another window over part of it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page

from suite.screen.masks import PRIVATE_FILL_BGRA
from tests.support.colour_window import ColourWindow
from tests.support.screen_content import document
from tests.support.ui_pages import screenshot
from tests.support.viewer_presenter import FRAME_HEADER, command, decoded, snapshot, wait_for_stats

pytestmark = pytest.mark.e2e

WAIT_S = 15.0
NOTES_RGB = (0xFE, 0x01, 0xFD)  # the notes window: a colour the test screen never uses
DEMO_RGB = (0x02, 0xC8, 0x03)  # the customer's demo app, another program's window
FILL_RGB = tuple(PRIVATE_FILL_BGRA[2::-1])


@pytest.fixture
def windows(display) -> Iterator[Any]:
    opened: list[ColourWindow] = []

    def open_one(rgb, rect, pid=None) -> ColourWindow:
        window = ColourWindow(display.env(), rgb, rect, pid)
        opened.append(window)
        return window

    yield open_one
    for window in opened:
        window.close()


def record_frames(page: Page) -> list[tuple[tuple, np.ndarray]]:
    """Decode every region frame the page's sockets receive from now on (header, RGB)."""
    frames: list[tuple[tuple, np.ndarray]] = []

    def on_frame(payload: bytes | str) -> None:
        if isinstance(payload, bytes) and len(payload) > FRAME_HEADER.size:
            frames.append(
                (FRAME_HEADER.unpack_from(payload), decoded(payload[FRAME_HEADER.size :]))
            )

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.reload()
    wait_for_stats(page, lambda s: s["state"] == "waiting" and s["status"] == "online")
    return frames


def colour_count(pixels: np.ndarray, rgb: tuple[int, int, int]) -> int:
    return int(np.count_nonzero((pixels == np.array(rgb, np.uint8)).all(axis=-1)))


def wait_for_canvas(page: Page, check, what: str) -> np.ndarray:
    """Poll the viewer's whole picture until ``check(pixels)`` holds."""
    deadline = time.monotonic() + WAIT_S
    while True:
        _, pixels = snapshot(page)
        if pixels is not None and check(pixels):
            return pixels
        if time.monotonic() > deadline:
            raise AssertionError(f"the viewer never showed {what}")
        page.wait_for_timeout(50)


def covered(pixels: np.ndarray, x: int, y: int, w: int, h: int) -> bool:
    """The rectangle shows the neutral fill (the label aside: most of it is fill)."""
    region = pixels[y : y + h, x : x + w]
    return colour_count(region, FILL_RGB) > 0.8 * w * h


def test_the_apps_windows_are_painted_out_of_every_frame_even_when_moved(
    display, painter, grab_screen, presenter, viewers, windows
) -> None:
    """With --private-pid, no frame a viewer receives holds a pixel of that process's window,
    still, moved, or partly under another window; other windows are shared as they are."""
    painter.paint(document(5))
    app_pid = os.getpid()  # the test plays the agent app: its window carries this pid
    demo = windows(DEMO_RGB, (40, 40, 300, 200))
    notes = windows(NOTES_RGB, (420, 60, 320, 240), pid=app_pid)
    screen = grab_screen()
    assert colour_count(screen, NOTES_RGB) == 320 * 240  # the agent sees the notes
    page = viewers()
    frames = record_frames(page)
    process = presenter("--lossless", f"--private-pid={app_pid}")
    pixels = wait_for_canvas(page, lambda p: covered(p, 420, 60, 320, 240), "the notes covered")
    assert colour_count(pixels, DEMO_RGB) == 300 * 200  # another program's window is shared
    screenshot(page, "private-windows-still")

    # Dragged across the screen in steps: each place is covered, no frame ever holds the notes.
    for x, y in ((460, 120), (520, 200), (600, 260), (100, 280)):
        notes.move(x, y)
        wait_for_canvas(page, lambda p, x=x, y=y: covered(p, x, y, 320, 240), f"notes at {x},{y}")
    screenshot(page, "private-windows-moved")

    # The demo raised over part of the notes: that part is the demo's, on screen and in the
    # viewer; the rest of the notes stays covered.
    demo.move(300, 200)
    demo.raise_()
    pixels = wait_for_canvas(
        page, lambda p: colour_count(p, DEMO_RGB) == 300 * 200, "the demo over the notes"
    )
    assert covered(pixels, 100, 280, 200, 240)  # the notes' part left of the demo
    screenshot(page, "private-windows-under-another")

    command(process, "stop")
    assert frames, "the viewer received no frames"
    leaked = [
        (header, count) for header, image in frames
        if (count := colour_count(image, NOTES_RGB))
    ]  # fmt: skip
    assert leaked == [], f"{len(leaked)} of {len(frames)} frames show the notes window"
