"""The whole presentation path: X screen -> real presenter process -> real relay -> Chromium.

Each test starts a private Xvfb, paints known pixels on its root window, opens the customer's
viewer page (`/view`) in Chromium, and runs ``python -m suite.agent.presenter`` (the real CLI,
token in its environment) against the session. The viewer's canvas is read back through
``window.__rsViewer.canvasPixels`` and compared with what was painted and with an mss grab of
the display: exact in lossless mode, close (PSNR) in lossy mode until the lossless refresh.
"""

from __future__ import annotations

import base64
import struct
import time
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from suite.screen.settle import tile_psnr
from tests.support.screen_content import (
    SCREEN_H,
    SCREEN_W,
    SLIDE_PHOTO,
    document,
    rgb_of,
    slide,
)
from tests.support.ui_pages import screenshot
from tests.support.viewer_presenter import (
    command,
    psnr,
    snapshot,
    viewer_stats,
    wait_for_picture,
    wait_for_stats,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support (``session``), presenter and
    viewers; the relay keeps no state a later test reads."""
    return shared_relay


WAIT_S = 15.0
POLL_S = 0.05
MIN_PSNR_DB = 30.0
FRAME_HEADER = struct.Struct("<2sBBIdHHHHHHBBH")
JPEG, PNG, WEBP = 1, 2, 3
FLAG_LOSSLESS, FLAG_KEY = 1, 2


def watch_frames(page: Page) -> list[tuple]:
    """Record the header of every binary frame the page's next sockets receive."""
    headers: list[tuple] = []

    def on_frame(payload: bytes | str) -> None:
        if isinstance(payload, bytes) and len(payload) >= FRAME_HEADER.size:
            headers.append(FRAME_HEADER.unpack_from(payload))

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.reload()  # the watcher sees the socket from its first frame
    wait_for_stats(page, lambda s: s["state"] == "waiting" and s["status"] == "online")
    return headers


def test_lossless_is_pixel_exact_and_a_late_viewer_sees_the_same(
    display, painter, grab_screen, presenter, viewers
) -> None:
    """--lossless: the viewer's canvas equals the painted screen and an mss grab of it, bit for
    bit; a second viewer opened after frames flowed gets the same picture at once."""
    truth = document(11)
    painter.paint(truth)
    assert np.array_equal(grab_screen(), rgb_of(truth))  # the display holds what we painted
    page = viewers()
    wait_for_stats(page, lambda s: s["state"] == "waiting" and s["status"] == "online")
    presenter("--lossless")
    stats = wait_for_picture(page, rgb_of(truth))
    assert (stats["screenW"], stats["screenH"]) == (SCREEN_W, SCREEN_H)
    assert stats["state"] == "live" and stats["decodeFailures"] == 0
    assert np.array_equal(snapshot(page)[1], grab_screen())
    screenshot(page, "e2e-presentation-lossless")

    changed = truth.copy()
    changed[200:260, 300:420] = (0, 0, 255, 255)  # BGRA red
    painter.paint(changed[200:260, 300:420], 300, 200)
    wait_for_picture(page, rgb_of(changed))

    late = viewers()
    late_stats = wait_for_picture(late, rgb_of(changed))
    assert late_stats["state"] == "live"
    assert np.array_equal(snapshot(late)[1], grab_screen())
    screenshot(late, "e2e-presentation-late-join")


def test_lossy_is_close_then_the_refresh_makes_it_exact(
    display, painter, presenter, viewers
) -> None:
    """Default JPEG: the first picture (photo-like tiles as JPEG, the rest lossless) is within
    30 dB of the screen; once the screen has been still for a while, the lossless refresh
    (WebP lossless) makes the canvas pixel-exact."""
    truth = document(12)
    painter.paint(truth)
    page = viewers()
    headers = watch_frames(page)
    presenter()

    def painted() -> tuple[dict[str, Any], np.ndarray] | None:
        # Every part of the first capture arrived (they cover the screen) and was painted.
        stats, pixels = snapshot(page)
        first = [h for h in headers if h[4] == headers[0][4]] if headers else []
        whole = sum(h[7] * h[8] for h in first) == SCREEN_W * SCREEN_H
        done = pixels is not None and whole and stats["lastSeq"] >= max(h[3] for h in first)
        return (stats, pixels) if done else None

    stats, first = wait_until(painted, "the first picture", WAIT_S)
    assert psnr(first, rgb_of(truth)) >= MIN_PSNR_DB
    first_capture = [h for h in headers if h[4] == headers[0][4]]
    assert any(h[11] == JPEG and not h[12] & FLAG_LOSSLESS for h in first_capture), headers
    assert not any(h[12] & FLAG_KEY for h in first_capture)  # parts, none the whole screen

    stats = wait_for_picture(page, rgb_of(truth))
    refresh = headers[len(first_capture) :]
    assert any(h[11] == WEBP and h[12] & FLAG_LOSSLESS for h in refresh), headers
    assert stats["decodeFailures"] == 0
    screenshot(page, "e2e-presentation-lossy-refreshed")


def test_a_slide_change_is_small_quick_and_exact_where_it_matters(
    display, painter, presenter, viewers
) -> None:
    """A slide change in Chromium: its first picture is painted soon, text and UI become
    pixel-exact, the photo settles at >= 45 dB in every 64 px tile (not lossless),
    and the whole change costs at most 150 kB."""
    page = viewers()
    painter.paint(slide(0))
    presenter()
    x, y, w, h = SLIDE_PHOTO
    tiles = (
        slice(y // 64 * 64, -(-(y + h) // 64) * 64),
        slice(x // 64 * 64, -(-(x + w) // 64) * 64),
    )
    photo = (slice(y, y + h), slice(x, x + w))

    def settled(truth: np.ndarray) -> bool:
        pixels = snapshot(page)[1]
        if pixels is None:
            return False
        outside = pixels.copy()
        outside[photo] = truth[photo]
        return (
            np.array_equal(outside, truth)
            and tile_psnr(truth[photo], pixels[photo], 64).min() >= 45
        )

    # Each wait ends on its condition; the long limits are for a machine under load.
    wait_until(lambda: settled(rgb_of(slide(0))), "the first slide to settle", 60, POLL_S)
    before = viewer_stats(page)
    truth = rgb_of(slide(1))
    expected = np.full((SCREEN_H, SCREEN_W, 4), 255, np.uint8)
    expected[..., :3] = truth
    # The page checks its own canvas every few ms (a read-back through the test costs hundreds
    # of ms under load): when the first frame is painted, and when everything outside the
    # photo's tiles (which settle with the refresh) equals the new slide.
    page.evaluate(
        """({ painted, expected, box }) => {
            const want = Uint8Array.from(atob(expected), (c) => c.charCodeAt(0));
            const canvas = document.getElementById("screen-canvas");
            const context = canvas.getContext("2d");
            window.__firstPictureAt = window.__textExactAt = null;
            const exact = () => {
                const got = context.getImageData(0, 0, canvas.width, canvas.height).data;
                for (let i = 0; i < got.length; i += 4) {
                    const x = (i / 4) % canvas.width, y = Math.floor(i / 4 / canvas.width);
                    const inBox = x >= box[0] && x < box[2] && y >= box[1] && y < box[3];
                    if (!inBox && (got[i] !== want[i] || got[i + 1] !== want[i + 1]
                                   || got[i + 2] !== want[i + 2])) return false;
                }
                return true;
            };
            const tick = () => {
                const now = Date.now();
                if (window.__firstPictureAt === null
                    && window.__rsViewer.stats().framesPainted > painted) {
                    window.__firstPictureAt = now;
                }
                if (window.__firstPictureAt !== null && exact()) {
                    window.__textExactAt = now;
                } else {
                    setTimeout(tick, 2);
                }
            };
            tick();
        }""",
        {
            "painted": before["framesPainted"],
            "expected": base64.b64encode(expected.tobytes()).decode(),
            "box": [tiles[1].start, tiles[0].start, tiles[1].stop, tiles[0].stop],
        },
    )
    changed_at = time.time() * 1000
    painter.paint(slide(1))
    wait_until(
        lambda: page.evaluate("window.__textExactAt") is not None, "text and UI exact", 60, POLL_S
    )
    text_ms = page.evaluate("window.__textExactAt") - changed_at
    wait_until(lambda: settled(truth), "the photo to settle at 45 dB", 60, POLL_S)
    first_ms = page.evaluate("window.__firstPictureAt") - changed_at
    spent = viewer_stats(page)["bytes"] - before["bytes"]
    print(f"slide change: first picture {first_ms:.0f} ms, text exact {text_ms:.0f} ms, "
          f"{spent / 1000:.1f} kB")  # fmt: skip
    screenshot(page, "e2e-presentation-slide-settled")
    assert spent <= 150_000, spent
    # Loose on a shared machine, where Xvfb, the presenter and Chromium wait for a core (at a
    # load of 25 the first picture took 0.2-1.3 s); scripts/bench_stream.py measures the 150 ms
    # goal. Text and UI are lossless in the first picture, so exact soon after it.
    assert first_ms <= 3000, first_ms
    assert text_ms <= first_ms + 1000, (first_ms, text_ms)
    assert psnr(snapshot(page)[1][photo], truth[photo]) < 99  # settled lossy, not exact


def test_pause_keeps_the_picture_and_resume_brings_the_change(
    display, painter, presenter, viewers
) -> None:
    """pause on the presenter's stdin: the viewer says paused and keeps its picture, nothing
    new is painted while the screen changes; resume: the change arrives."""
    truth = document(13)
    painter.paint(truth)
    page = viewers()
    process = presenter("--lossless")
    wait_for_picture(page, rgb_of(truth))

    command(process, "pause")
    paused = wait_for_stats(page, lambda s: s["state"] == "paused")
    expect(page.get_by_test_id("viewer-overlay-title")).to_have_text("Paused")
    screenshot(page, "e2e-presentation-paused")
    changed = truth.copy()
    changed[40:140, 40:240] = (0, 255, 0, 255)
    painter.paint(changed[40:140, 40:240], 40, 40)
    # Nothing may arrive while paused: give the presenter time to (wrongly) send the change.
    time.sleep(1.0)
    stats, pixels = snapshot(page)
    assert stats["framesPainted"] == paused["framesPainted"], stats
    assert np.array_equal(pixels, rgb_of(truth))

    command(process, "resume")
    wait_for_stats(page, lambda s: s["state"] == "live")
    wait_for_picture(page, rgb_of(changed))
    screenshot(page, "e2e-presentation-resumed")
    assert process.poll() is None


def test_viewer_reconnect_restores_the_picture(display, painter, presenter, viewers) -> None:
    """After the viewer's socket drops (and its canvas is blanked), the relay sends the whole
    current picture to the new socket."""
    truth = document(14)
    painter.paint(truth)
    page = viewers()
    presenter("--lossless")
    before = wait_for_picture(page, rgb_of(truth))

    page.evaluate("window.__rsViewer.dropSocket()")
    page.evaluate(
        "() => { const c = document.getElementById('screen-canvas');"
        " c.getContext('2d').fillRect(0, 0, c.width, c.height); }"
    )
    assert not np.array_equal(snapshot(page)[1], rgb_of(truth))
    after = wait_for_stats(
        page,
        lambda s: (
            s["framesPainted"] > before["framesPainted"]
            and s["state"] == "live"
            and s["status"] == "online"
        ),
    )
    assert after["decodeFailures"] == 0
    wait_for_picture(page, rgb_of(truth))
    assert viewer_stats(page)["status"] == "online"
    screenshot(page, "e2e-presentation-reconnected")
