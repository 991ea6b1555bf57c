"""The viewer page against a real relay, fed by a Python presenter with frames built here."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.support.chat_client import ChatClient
from tests.support.ui_pages import PHONE, screenshot
from tests.support.viewer_presenter import (
    FLAG_KEY,
    PresentationSession,
    Presenter,
    canvas_pixels,
    decoded,
    encode_image,
    psnr,
    sample_image,
    viewer_stats,
    wait_for_stats,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support (``session``), presenter
    and viewers; the relay keeps no state a later test reads."""
    return shared_relay


SCREEN = (800, 600)


@pytest.fixture
def presenter(session: PresentationSession) -> Iterator[Presenter]:
    presenter = Presenter(session)
    yield presenter
    presenter.close()


def present_full_screen(presenter: Presenter, image=None, seq: int = 1) -> np.ndarray:
    """Start a presentation and send one lossless key frame; returns its pixels."""
    image = image or sample_image(*SCREEN)
    presenter.start(SCREEN)
    presenter.frame(seq, 0, 0, image, SCREEN, "png")
    return np.asarray(image)


@pytest.mark.parametrize("decoder", ["bitmap", "imagedecoder", "auto"])
def test_png_regions_land_pixel_exact(viewers, presenter: Presenter, decoder: str) -> None:
    """A key frame and smaller PNG regions on top are painted at (x, y) bit for bit."""
    page = viewers(query=f"?decoder={decoder}")
    expected = present_full_screen(presenter).copy()
    regions = [(40, 30, 64, 48), (300, 200, 256, 128), (736, 552, 64, 48), (0, 500, 200, 100)]
    for seq, (x, y, w, h) in enumerate(regions, start=2):
        patch = sample_image(w, h, seed=seq)
        presenter.frame(seq, x, y, patch, SCREEN, "png")
        expected[y : y + h, x : x + w] = np.asarray(patch)
    stats = wait_for_stats(page, lambda s: s["lastSeq"] == len(regions) + 1)
    assert stats["framesPainted"] == len(regions) + 1
    assert (stats["screenW"], stats["screenH"]) == SCREEN
    painted = canvas_pixels(page, 0, 0, *SCREEN)
    assert np.array_equal(painted, expected)
    if decoder != "auto":
        assert stats["decodePaths"][decoder] == stats["framesPainted"]


@pytest.mark.parametrize(("encoding", "min_psnr_db"), [("jpeg", 40.0), ("webp", 20.0)])
def test_lossy_regions_match_a_reference_decoder(
    viewers, presenter: Presenter, encoding: str, min_psnr_db: float
) -> None:
    """JPEG and WebP regions land where they belong and decode close to Pillow's decoding.

    JPEG is 4:4:4, so the two decoders differ only in IDCT rounding. WebP is always 4:2:0 and
    Chromium upsamples its chroma by replication: the bound is looser, and the patch must still
    be much closer to its own picture than to the one it was painted over.
    """
    page = viewers()
    source = sample_image(*SCREEN, seed=7, noise=False)
    patch = sample_image(160, 120, seed=8, noise=False)
    presenter.start(SCREEN)
    presenter.frame(1, 0, 0, source, SCREEN, encoding, quality=90)
    presenter.frame(2, 320, 240, patch, SCREEN, encoding, quality=90)
    beneath = decoded(encode_image(source, encoding, 90))
    expected = beneath.copy()
    expected[240:360, 320:480] = decoded(encode_image(patch, encoding, 90))
    wait_for_stats(page, lambda s: s["lastSeq"] == 2)
    painted = canvas_pixels(page, 0, 0, *SCREEN)
    assert psnr(painted, expected) > min_psnr_db
    painted_patch = painted[240:360, 320:480]
    assert psnr(painted_patch, expected[240:360, 320:480]) > min_psnr_db
    assert psnr(painted_patch, expected[240:360, 320:480]) > (
        psnr(painted_patch, beneath[240:360, 320:480]) + 6
    )


def test_every_painted_frame_is_acknowledged(viewers, presenter: Presenter) -> None:
    """After painting, the viewer sends screen_ack {seq} and paint_report with its times."""
    sent: list[dict] = []

    def watch(ws) -> None:
        ws.on("framesent", lambda payload: sent.append(payload))

    page = viewers()
    page.on("websocket", watch)
    page.reload()  # the watcher sees the socket from its first frame
    present_full_screen(presenter)
    for seq in (2, 3):
        presenter.frame(seq, 10 * seq, 10, sample_image(32, 32, seed=seq), SCREEN, "png")
    wait_for_stats(page, lambda s: s["lastSeq"] == 3 and s["reportsSent"] >= 3)

    messages = [json.loads(p) for p in sent if isinstance(p, str)]
    acks = [m["seq"] for m in messages if m["type"] == "screen_ack"]
    reports = [m for m in messages if m["type"] == "paint_report"]
    assert acks == [1, 2, 3]
    assert [r["seq"] for r in reports] == [1, 2, 3]
    for report in reports:
        assert report["painted_ms"] >= report["capture_ms"] > 0


def test_phone_viewport_fits_the_screen(viewers, presenter: Presenter) -> None:
    """On a phone the whole screen fits the width; the picture is exact underneath."""
    page = viewers(viewport=PHONE, device_scale_factor=2)
    expected = present_full_screen(presenter)
    stats = wait_for_stats(page, lambda s: s["lastSeq"] == 1)
    assert stats["mode"] == "fit"
    box = page.get_by_test_id("viewer-canvas").bounding_box()
    assert box is not None and box["width"] <= PHONE["width"] + 0.5
    # The toolbar keeps one row (the rest is behind More): the picture gets the rest.
    bar = page.locator(".vw-topbar").bounding_box()
    assert bar is not None and bar["height"] <= 52, bar
    assert abs(box["width"] / box["height"] - SCREEN[0] / SCREEN[1]) < 0.01
    assert np.array_equal(canvas_pixels(page, 0, 0, *SCREEN), expected)
    expect(page.get_by_test_id("viewer-overlay")).to_be_hidden()
    screenshot(page, "viewer-phone-fit")
    page.get_by_test_id("viewer-more").click()  # 1:1 is behind More on a phone
    page.get_by_test_id("viewer-actual").click()
    expect(page.get_by_test_id("viewer-navigator")).to_be_visible()
    assert page.get_by_test_id("viewer-canvas").bounding_box()["width"] == SCREEN[0] / 2
    screenshot(page, "viewer-phone-actual")


def test_key_frame_flag_round_trips(viewers, presenter: Presenter) -> None:
    """A frame with only the key flag (lossy) still paints; stats count its bytes."""
    page = viewers()
    presenter.start(SCREEN)
    presenter.frame(1, 0, 0, sample_image(*SCREEN), SCREEN, "jpeg", flags=FLAG_KEY)
    stats = wait_for_stats(page, lambda s: s["lastSeq"] == 1)
    assert stats["bytes"] > 32 and stats["decodeMs"] > 0
    assert viewer_stats(page)["framesRejected"] == 0


def overlay_title(page: Page):
    return page.get_by_test_id("viewer-overlay-title")


def test_states_waiting_live_paused_stopped(viewers, presenter: Presenter) -> None:
    """screen_state drives the page: waiting, live (no overlay), paused over the kept
    picture, then the end of the presentation."""
    page = viewers()
    badge = page.get_by_test_id("viewer-state")
    expect(badge).to_have_attribute("data-state", "waiting")
    expect(overlay_title(page)).to_have_text("Waiting for the agent's screen…")
    screenshot(page, "viewer-waiting")
    expected = present_full_screen(presenter)
    expect(badge).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("viewer-overlay")).to_be_hidden()

    presenter.send({"type": "present_pause"})
    expect(badge).to_have_attribute("data-state", "paused")
    expect(overlay_title(page)).to_have_text("Paused")
    assert np.array_equal(canvas_pixels(page, 0, 0, *SCREEN), expected)  # the picture stays
    screenshot(page, "viewer-paused")

    presenter.send({"type": "present_resume"})
    expect(badge).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("viewer-overlay")).to_be_hidden()

    presenter.send({"type": "present_stop"})
    expect(badge).to_have_attribute("data-state", "stopped")
    expect(overlay_title(page)).to_have_text("The presentation has ended")
    expect(page.get_by_test_id("viewer-overlay-action")).to_have_text("Close window")


def test_cursor_is_an_overlay_not_pixels(viewers, presenter: Presenter) -> None:
    """A cursor message moves a pointer element over the picture; the canvas is unchanged."""
    page = viewers()
    expected = present_full_screen(presenter)
    wait_for_stats(page, lambda s: s["lastSeq"] == 1)
    presenter.cursor(400, 300, shape="pointer")
    stats = wait_for_stats(page, lambda s: s["cursor"]["x"] == 400)
    assert stats["cursor"] == {"x": 400, "y": 300, "visible": True, "shape": "pointer"}
    cursor = page.locator(".rs-screen-cursor")
    expect(cursor).to_be_visible()
    canvas_box = page.get_by_test_id("viewer-canvas").bounding_box()
    cursor_box = cursor.bounding_box()
    assert canvas_box and cursor_box
    scale = canvas_box["width"] / SCREEN[0]
    assert abs(cursor_box["x"] + 7 - (canvas_box["x"] + 400 * scale)) < 2  # hot spot of "pointer"
    assert np.array_equal(canvas_pixels(page, 0, 0, *SCREEN), expected)
    presenter.cursor(0, 0, visible=False)
    expect(cursor).to_be_hidden()


def test_actual_size_pans_with_the_navigator(viewers, presenter: Presenter) -> None:
    """1:1 shows one screen pixel per device pixel; the minimap appears when the screen is
    larger than the window, and dragging it or pressing arrows pans the view."""
    big = (1600, 1000)
    page = viewers(viewport={"width": 900, "height": 640})
    presenter.start(big)
    presenter.frame(1, 0, 0, sample_image(*big), big, "png")
    stats = wait_for_stats(page, lambda s: s["lastSeq"] == 1)
    assert stats["mode"] == "fit" and not stats["navigatorVisible"]
    canvas = page.get_by_test_id("viewer-canvas")
    fit_box = canvas.bounding_box()
    assert fit_box and fit_box["width"] <= 900

    page.get_by_test_id("viewer-actual").click()
    expect(page.get_by_test_id("viewer-actual")).to_have_attribute("aria-pressed", "true")
    navigator = page.get_by_test_id("viewer-navigator")
    expect(navigator).to_be_visible()
    box = canvas.bounding_box()
    assert box and (box["width"], box["height"]) == big
    stats = viewer_stats(page)
    assert stats["visibleRect"]["x"] == 0 and stats["visibleRect"]["y"] == 0
    screenshot(page, "viewer-actual-size")

    nav_box = navigator.bounding_box()
    assert nav_box
    # Drag to the bottom-right corner of the minimap: the view goes to the screen's corner.
    page.mouse.move(nav_box["x"] + nav_box["width"] / 2, nav_box["y"] + nav_box["height"] / 2)
    page.mouse.down()
    page.mouse.move(nav_box["x"] + nav_box["width"] - 2, nav_box["y"] + nav_box["height"] - 2)
    page.mouse.up()
    rect = wait_for_stats(page, lambda s: s["visibleRect"]["x"] > 0)["visibleRect"]
    assert rect["x"] + rect["w"] >= big[0] - 1 and rect["y"] + rect["h"] >= big[1] - 1

    navigator.focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    rect = wait_for_stats(page, lambda s: s["visibleRect"]["y"] == 0)["visibleRect"]
    assert 0 < rect["x"] < 400

    page.get_by_test_id("viewer-fit").click()
    expect(navigator).to_be_hidden()


def test_actual_size_is_crisp_on_hidpi(viewers, presenter: Presenter) -> None:
    """At devicePixelRatio 2, 1:1 makes the picture half as many CSS pixels: one screen pixel
    on one device pixel."""
    page = viewers(viewport={"width": 900, "height": 640}, device_scale_factor=2)
    present_full_screen(presenter)
    wait_for_stats(page, lambda s: s["lastSeq"] == 1)
    page.get_by_test_id("viewer-actual").click()
    box = page.get_by_test_id("viewer-canvas").bounding_box()
    assert box and (box["width"], box["height"]) == (SCREEN[0] / 2, SCREEN[1] / 2)
    assert box["x"] * 2 == int(box["x"] * 2)  # on a device-pixel boundary
    assert viewer_stats(page)["scale"] == 0.5


def test_reconnect_restores_the_picture(viewers, presenter: Presenter) -> None:
    """After the viewer's socket drops, the relay resends the whole picture to the new one."""
    page = viewers()
    expected = present_full_screen(presenter).copy()
    patch = sample_image(100, 100, seed=5)
    presenter.frame(2, 50, 60, patch, SCREEN, "png")
    expected[60:160, 50:150] = np.asarray(patch)
    before = wait_for_stats(page, lambda s: s["lastSeq"] == 2)
    # Blank the canvas, so only a resend can bring the picture back.
    page.evaluate("window.__rsViewer.dropSocket()")
    page.evaluate(
        "() => { const c = document.getElementById('screen-canvas');"
        " c.getContext('2d').fillRect(0, 0, c.width, c.height); }"
    )
    # The resend comes oldest first, so seq 2 painting again means the whole picture is back.
    after = wait_for_stats(
        page,
        lambda s: s["framesPainted"] > before["framesPainted"] and s["lastSeq"] == 2,
        timeout_s=15,
    )
    assert after["state"] == "live" and after["status"] == "online"
    assert np.array_equal(canvas_pixels(page, 0, 0, *SCREEN), expected)


def test_korean_viewer(viewers, presenter: Presenter) -> None:
    """The viewer speaks Korean for a Korean browser, including the paused overlay."""
    page = viewers(locale="ko-KR")
    expect(overlay_title(page)).to_have_text("상담원 화면을 기다리는 중…")
    present_full_screen(presenter)
    presenter.send({"type": "present_pause"})
    expect(overlay_title(page)).to_have_text("일시 정지됨")
    expect(page.get_by_test_id("viewer-actual")).to_have_attribute("aria-label", "실제 크기")
    screenshot(page, "viewer-paused-ko")


def test_many_small_tiles_take_the_image_decoder_path(viewers, presenter: Presenter) -> None:
    """Auto mode decodes small regions with WebCodecs' ImageDecoder (no per-Blob overhead),
    and a burst of 108 tiles still lands pixel-exact, every one acknowledged."""
    page = viewers()
    expected = present_full_screen(presenter).copy()
    seq = 1
    for row in range(9):
        for col in range(12):
            seq += 1
            tile = sample_image(64, 64, seed=seq)
            presenter.frame(seq, col * 64, row * 64, tile, SCREEN, "png")
            expected[row * 64 : row * 64 + 64, col * 64 : col * 64 + 64] = np.asarray(tile)
    stats = wait_for_stats(page, lambda s: s["lastSeq"] == seq, timeout_s=20)
    assert np.array_equal(canvas_pixels(page, 0, 0, *SCREEN), expected)
    assert stats["decodePaths"]["imagedecoder"] >= 100
    assert stats["acksSent"] == stats["framesPainted"]


def test_session_end_closes_the_viewer(viewers, presenter: Presenter, session) -> None:
    """When the support session ends, the viewer says so and stops reconnecting."""
    page = viewers()
    present_full_screen(presenter)
    wait_for_stats(page, lambda s: s["lastSeq"] == 1)
    agent = ChatClient(session.ws_url, "agent", session.session_id, session.agent_token)
    agent.connect()
    agent.send({"type": "end_session"})
    expect(overlay_title(page)).to_have_text("The support session has ended")
    stats = wait_for_stats(page, lambda s: s["status"] == "closed")
    assert stats["notice"] == "ended"
    agent.close()


def test_without_a_session_the_viewer_explains(browser, relay) -> None:
    """Opened directly (no session in this tab), the viewer says where to open it from."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(relay.url + "/view")
        expect(overlay_title(page)).to_have_text("No support session in this window")
        assert viewer_stats(page)["status"] == "closed"
    finally:
        context.close()
