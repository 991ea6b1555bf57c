"""Drawing over the shared screen (P5), end to end.

The first test drives the Chromium viewer against a test-held presenter socket (every message
checked). The second runs the whole path on a private Xvfb: the real presenter CLI with its
drawing overlay, the real relay, the Chromium viewer. A stroke drawn in the viewer must appear
on the agent's X display (an mss grab at the stroke, in the customer's colour); a stroke the
agent draws on the overlay (the ``draw tool`` command, as the chat window's tools send it, then
a real pointer drag with xdotool) must appear on the viewer's drawing layer; undo and clear
remove them on both sides.
"""

from __future__ import annotations

import io
import queue
import subprocess
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from tests.support.screen_content import SCREEN_H, SCREEN_W, document, rgb_of
from tests.support.ui_pages import PHONE, screenshot
from tests.support.viewer_presenter import (
    Presenter,
    command,
    layer_rgba,
    open_viewer,
    sample_image,
    viewer_stats,
    wait_for_picture,
    wait_for_stats,
    wait_layer,
)
from tests.support.waiting import wait_until
from tests.support.x11 import wait_for_input_catcher

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support (``session``) or page, and its
    strokes belong to that support's board."""
    return shared_relay


WAIT_S = 15.0
CUSTOMER_RGB = (0x25, 0x63, 0xEB)  # the customer's default colour, #2563eb
AGENT_RGB = (0xE1, 0x1D, 0x48)  # the agent's default colour, #e11d48
GREEN = "#10b981"
GREEN_RGB = (0x10, 0xB9, 0x81)


def next_message(agent: Presenter, kind: str, timeout_s: float = WAIT_S) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            message = agent.received.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"the presenter never got {kind}") from None
        if message["type"] == kind:
            return message


def drag(page: Page, points: list[tuple[int, int]]) -> None:
    """A left-button drag through screen pixels of the shared screen, as the mouse on the page."""
    box = page.get_by_test_id("viewer-canvas").bounding_box()
    assert box is not None
    k = box["width"] / SCREEN_W

    def at(p: tuple[int, int]) -> tuple[float, float]:
        return box["x"] + (p[0] + 0.5) * k, box["y"] + (p[1] + 0.5) * k

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=4)
    page.mouse.up()


def test_viewer_strokes_reach_the_presenter_and_the_agents_show_over_the_canvas(
    browser,
    session,
    viewers,
) -> None:
    """The viewer's line arrives as stroke messages in screen pixels with the customer's colour;
    the agent's rectangle is drawn on the viewer's layer in the agent's colour; the viewer's undo
    removes only its stroke; the agent's clear removes everything."""
    agent = Presenter(session)
    agent.start((SCREEN_W, SCREEN_H))
    agent.frame(1, 0, 0, sample_image(SCREEN_W, SCREEN_H), (SCREEN_W, SCREEN_H))
    page = viewers()
    wait_for_stats(page, lambda s: s["framesPainted"] >= 1)

    page.get_by_test_id("draw-tool-line").click()
    drag(page, [(100, 100), (200, 150), (300, 200)])
    begun = next_message(agent, "stroke_begin")
    assert (begun["author"], begun["tool"], begun["color"]) == ("customer", "line", "#2563eb")
    assert begun["points"] == [[100, 100]]
    ended = next_message(agent, "stroke_end")
    assert ended["id"] == begun["id"]
    stats = wait_for_stats(page, lambda s: len(s["drawing"]["strokes"]) == 1)
    assert stats["drawing"]["strokes"][0]["done"] is True
    wait_layer(page, 200, 150, (*CUSTOMER_RGB, 255))

    agent.send({"type": "stroke_begin", "id": "a1", "tool": "rectangle", "color": "#e11d48",
                "width": 6, "points": [[400, 300]]})  # fmt: skip
    agent.send({"type": "stroke_points", "id": "a1", "points": [[500, 350]]})
    wait_layer(page, 450, 300, (*AGENT_RGB, 255))  # the live preview, before the end
    agent.send({"type": "stroke_end", "id": "a1", "points": [[600, 400]]})
    wait_layer(page, 600, 350, (*AGENT_RGB, 255))
    assert layer_rgba(page, 500, 350)[3] == 0  # inside the box: the picture shows through
    screenshot(page, "e2e-drawing-viewer")

    page.get_by_test_id("draw-undo").click()
    assert next_message(agent, "stroke_removed") == {
        "type": "stroke_removed", "author": "customer", "id": begun["id"],
    }  # fmt: skip
    wait_layer(page, 200, 150, (0, 0, 0, 0))
    assert layer_rgba(page, 600, 350) == (*AGENT_RGB, 255)  # the agent's stays
    agent.send({"type": "clear_drawing"})
    wait_layer(page, 600, 350, (0, 0, 0, 0))
    # Another colour and width, from the labelled tool group.
    tools = page.get_by_role("group", name="Drawing tools")
    tools.get_by_test_id("draw-colour").fill(GREEN)
    tools.get_by_test_id("draw-width").select_option("16")
    tools.get_by_role("button", name="Ellipse").click()
    drag(page, [(700, 100), (800, 200)])
    begun = next_message(agent, "stroke_begin")
    assert (begun["tool"], begun["color"], begun["width"]) == ("ellipse", GREEN, 16)
    wait_layer(page, 750, 100, (*GREEN_RGB, 255))  # the top of the ellipse
    # Tool off: the layer lets the page have the pointer again.
    page.get_by_test_id("draw-tool-none").click()
    assert page.get_by_test_id("drawing-layer").evaluate("e => getComputedStyle(e).pointerEvents")\
        == "none"  # fmt: skip
    agent.close()


def page_rgb(page: Page, sx: int, sy: int) -> tuple[int, int, int]:
    """The colour the page shows (a screenshot, so the layer as composited over the picture)
    at the shared screen's pixel (sx, sy), wherever zoom and panning put it."""
    box = page.get_by_test_id("viewer-canvas").bounding_box()
    assert box is not None
    k = box["width"] / SCREEN_W
    x, y = box["x"] + (sx + 0.5) * k, box["y"] + (sy + 0.5) * k
    png = page.screenshot(clip={"x": x - 0.5, "y": y - 0.5, "width": 1, "height": 1})
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return image.getpixel((image.width // 2, image.height // 2))


def test_strokes_stay_on_the_picture_under_hidpi_zoom_panning_and_a_reconnect(
    browser, session
) -> None:
    """On a phone at 2x: the agent's stroke sits over the same screen pixels in fit and in 1:1
    after panning, and a reconnecting viewer gets the whole drawing back from the relay."""
    agent = Presenter(session)
    agent.start((SCREEN_W, SCREEN_H))
    agent.frame(1, 0, 0, Image.new("RGB", (SCREEN_W, SCREEN_H), "white"), (SCREEN_W, SCREEN_H))
    page = open_viewer(browser, session, viewport=PHONE, device_scale_factor=2)
    try:
        wait_for_stats(page, lambda s: s["framesPainted"] >= 1)
        agent.send({"type": "stroke_begin", "id": "bar", "tool": "line", "color": "#e11d48",
                    "width": 16, "points": [[700, 100]]})  # fmt: skip
        agent.send({"type": "stroke_end", "id": "bar", "points": [[700, 400]]})
        wait_layer(page, 700, 250, (*AGENT_RGB, 255))
        layer = page.get_by_test_id("drawing-layer")
        canvas_size = layer.evaluate("e => [e.width, e.height]")
        css = page.get_by_test_id("viewer-canvas").bounding_box()
        assert canvas_size == [round(css["width"] * 2), round(css["height"] * 2)]  # crisp
        assert page_rgb(page, 700, 250) == AGENT_RGB
        assert page_rgb(page, 600, 250) == (255, 255, 255)

        page.get_by_test_id("viewer-more").click()  # 1:1 is behind More on a phone
        page.get_by_test_id("viewer-actual").click()
        page.evaluate("window.__rsViewer.panTo(700, 250)")
        wait_for_stats(page, lambda s: s["navigatorVisible"] and s["mode"] == "actual")
        assert layer.evaluate("e => [e.width, e.height]") == [SCREEN_W, SCREEN_H]  # 1:1
        assert page_rgb(page, 700, 250) == AGENT_RGB
        assert page_rgb(page, 700, 420) == (255, 255, 255)

        before = viewer_stats(page)["drawing"]["snapshots"]
        page.evaluate("window.__rsViewer.dropSocket()")
        after = wait_for_stats(
            page, lambda s: s["status"] == "online" and s["drawing"]["snapshots"] > before
        )
        assert [s["id"] for s in after["drawing"]["strokes"]] == ["bar"]  # from the relay
        assert page_rgb(page, 700, 250) == AGENT_RGB
    finally:
        page.context.close()
        agent.close()


class Wallpaper:
    """The root window's background set to a picture, so the X server itself repaints what a
    vanished stroke uncovers (as a real desktop's windows repaint on Expose; pixels put on the
    root window directly would not come back)."""

    ROWS_PER_REQUEST = 64  # keep each PutImage well under the X request size limit

    def __init__(self, display_name: str, bgra: np.ndarray) -> None:
        from Xlib import X  # noqa: PLC0415
        from Xlib.display import Display  # noqa: PLC0415

        self.display = Display(display_name)
        screen = self.display.screen()
        root = screen.root
        height, width = bgra.shape[:2]
        self.pixmap = root.create_pixmap(width, height, screen.root_depth)
        gc = self.pixmap.create_gc()
        for top in range(0, height, self.ROWS_PER_REQUEST):
            rows = np.ascontiguousarray(bgra[top : top + self.ROWS_PER_REQUEST])
            self.pixmap.put_image(
                gc, 0, top, width, rows.shape[0], X.ZPixmap, screen.root_depth, 0, rows.tobytes()
            )
        gc.free()
        root.change_attributes(background_pixmap=self.pixmap)
        root.clear_area(0, 0, 0, 0)
        self.display.sync()

    def close(self) -> None:
        self.display.close()


class ClickTarget:
    """An invisible (InputOnly) window over the whole test screen that records button presses:
    whatever is below the overlay and should get the agent's clicks when no tool is on."""

    def __init__(self, display_name: str) -> None:
        from Xlib import X  # noqa: PLC0415
        from Xlib.display import Display  # noqa: PLC0415

        self._X = X
        self.display = Display(display_name)
        root = self.display.screen().root
        self.window = root.create_window(
            0, 0, SCREEN_W, SCREEN_H, 0, 0, X.InputOnly, X.CopyFromParent,
            event_mask=X.ButtonPressMask,
        )  # fmt: skip
        self.window.map()
        self.display.sync()
        self._seen: list[tuple[int, int]] = []

    def presses(self) -> list[tuple[int, int]]:
        while self.display.pending_events():
            event = self.display.next_event()
            if event.type == self._X.ButtonPress:
                self._seen.append((event.event_x, event.event_y))
        return list(self._seen)

    def wait_presses(self) -> list[tuple[int, int]]:
        """The presses so far, once there is at least one."""
        return wait_until(self.presses, "a press on the window below", WAIT_S, 0.03)

    def close(self) -> None:
        self.window.destroy()
        self.display.close()


def _screen_rgb(grab, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(c) for c in grab()[y, x])


def _wait_screen(grab, x: int, y: int, expected: tuple[int, ...]) -> None:
    wait_until(
        lambda: _screen_rgb(grab, x, y) == expected, f"the screen at ({x}, {y}) to be {expected}",
        WAIT_S, 0.03, detail=lambda: f"it is {_screen_rgb(grab, x, y)}",
    )  # fmt: skip


def test_drawings_cross_between_the_viewer_and_the_agents_real_desktop(
    display,
    grab_screen,
    presenter,
    viewers,
) -> None:
    """Viewer stroke -> the agent's X display (overlay pixels in the customer's colour); agent
    stroke drawn on the overlay with a real pointer -> the viewer's layer; the agent's undo
    and the customer's clear take them off both sides; with no tool on, clicks pass through."""
    truth = document(21)
    wallpaper = Wallpaper(display.display, truth)
    background = rgb_of(truth)
    target = ClickTarget(display.display)  # below the overlay, which starts after it
    page = viewers()
    wait_for_stats(page, lambda s: s["state"] == "waiting" and s["status"] == "online")
    process = presenter("--lossless", "--overlay")
    wait_for_picture(page, background)

    # Customer -> agent's desktop.
    page.get_by_test_id("draw-tool-pen").click()
    drag(page, [(100, 60), (160, 60), (220, 60), (220, 120)])
    _wait_screen(grab_screen, 160, 60, CUSTOMER_RGB)
    _wait_screen(grab_screen, 220, 90, CUSTOMER_RGB)
    assert _screen_rgb(grab_screen, 160, 100) == tuple(int(c) for c in background[100, 160])

    # Agent (overlay, real pointer) -> viewer.
    command(process, f"draw tool rectangle {GREEN} 6")
    env = display.env()
    wait_for_input_catcher(env)
    subprocess.run(
        ["xdotool", "mousemove", "500", "200", "mousedown", "1", "mousemove", "560", "240",
         "mousemove", "640", "300", "mouseup", "1"],
        env=env, check=True,
    )  # fmt: skip
    wait_layer(page, 570, 200, (*GREEN_RGB, 255))
    wait_layer(page, 640, 250, (*GREEN_RGB, 255))
    _wait_screen(grab_screen, 570, 200, GREEN_RGB)  # and on the agent's own desktop
    stats = wait_for_stats(page, lambda s: len(s["drawing"]["strokes"]) == 2)
    authors = [(s["author"], s["tool"], s["done"]) for s in stats["drawing"]["strokes"]]
    assert authors == [("customer", "pen", True), ("agent", "rectangle", True)]
    screenshot(page, "e2e-drawing-both-sides")

    # While the tool was on the overlay took the drag; tool off, it is click-through again:
    # a click right on a stroke's pixels lands on the window below.
    assert target.presses() == []
    command(process, "draw tool none")
    wait_for_input_catcher(env, shown=False)
    subprocess.run(["xdotool", "mousemove", "160", "60", "click", "1"], env=env, check=True)
    assert target.wait_presses() == [(160, 60)]

    # The agent's undo: its rectangle leaves both sides; the customer's pen stroke stays.
    command(process, "draw undo")
    wait_layer(page, 570, 200, (0, 0, 0, 0))
    _wait_screen(grab_screen, 570, 200, tuple(int(c) for c in background[200, 570]))
    assert _screen_rgb(grab_screen, 160, 60) == CUSTOMER_RGB

    # The customer's clear: the agent's desktop is back to what was painted.
    page.get_by_test_id("draw-clear").click()
    _wait_screen(grab_screen, 160, 60, tuple(int(c) for c in background[60, 160]))
    wait_layer(page, 160, 60, (0, 0, 0, 0))
    assert np.array_equal(grab_screen(), background)
    # The capture saw the strokes come and go; the viewer's picture is clean again too.
    wait_for_picture(page, background)
    assert process.poll() is None
    target.close()
    wallpaper.close()


@pytest.mark.parametrize("tool", ["pen", "line", "rectangle", "ellipse", "arrow"])
def test_browser_and_python_draw_the_same_shapes(open_ui, tool: str) -> None:
    """ui/common/drawing/shapes.js and suite/strokes.py give the same lines for every tool, so
    a stroke looks the same over the viewer's picture and on the agent's desktop overlay."""
    from suite.strokes import Tool, polylines  # noqa: PLC0415

    points = [[40, 30], [55, 70], [120, 90]]
    page = open_ui("/")
    browser_lines = page.evaluate(
        """async ([tool, points]) => {
            const shapes = await import("/ui/common/drawing/shapes.js");
            return shapes.polylines(tool, points, 5);
        }""",
        [tool, points],
    )
    expected = polylines(Tool(tool), [tuple(p) for p in points], 5)
    assert len(browser_lines) == len(expected)
    for line, python_line in zip(browser_lines, expected, strict=True):
        assert np.allclose(np.array(line, float), np.array(python_line, float), atol=1e-9)


def test_the_browser_board_batches_a_drag_and_applies_the_relays_messages(open_ui) -> None:
    """DrawingBoard in the browser: begin at once, points in one batch per 40 ms, end on
    release, shapes keep two points; the relay's begin/points/removed/cleared/drawing apply."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const { DrawingBoard } = await import("/ui/common/drawing/board.js");
            const sent = [];
            const board = new DrawingBoard({
                role: "customer",
                send: (type, fields) => { sent.push({ type, ...fields }); return true; },
            });
            board.setScreenSize(100, 50);
            board.press(1, 1);                 // no tool: nothing
            board.setStyle({ tool: "pen" });
            board.press(1.7, 2.2);
            board.move(3, 4); board.move(3, 4); board.move(5, 6); board.move(500, -9);
            const beforeBatch = sent.length;
            await new Promise((done) => setTimeout(done, 80));
            const afterBatch = sent.length;
            board.release(7, 8);
            const mine = [...board.strokes.values()][0];
            board.setStyle({ tool: "rectangle" });
            board.press(10, 10); board.move(20, 20); board.move(30, 40); board.release();
            const shape = [...board.strokes.values()][1];
            const applied = [];
            board.apply({ type: "stroke_begin", author: "agent", id: "a", tool: "line",
                          color: "#e11d48", width: 3, points: [[0, 0]] });
            board.apply({ type: "stroke_points", author: "agent", id: "a", points: [[9, 9]] });
            applied.push(board.strokes.size);
            board.apply({ type: "stroke_removed", author: "customer", id: mine.id });
            applied.push(board.strokes.size);
            board.apply({ type: "drawing", strokes: [{ author: "agent", id: "z", tool: "pen",
                          color: "#000000", width: 2, points: [[1, 1], [2, 2]], done: true }] });
            applied.push([...board.strokes.keys()].length, board.snapshots);
            board.apply({ type: "drawing_cleared", by: "relay" });
            applied.push(board.strokes.size);
            return { sent, beforeBatch, afterBatch, mine: mine.points, shape: shape.points,
                     applied };
        }"""
    )
    sent = result["sent"]
    assert sent[0] == {"type": "stroke_begin", "id": sent[0]["id"], "tool": "pen",
                       "color": "#2563eb", "width": 4, "points": [[2, 2]]}  # fmt: skip
    assert result["beforeBatch"] == 1 and result["afterBatch"] == 2  # one batch, after 40 ms
    assert sent[1] == {"type": "stroke_points", "id": sent[0]["id"],
                       "points": [[3, 4], [5, 6], [99, 0]]}  # fmt: skip
    assert sent[2]["type"] == "stroke_points" and sent[2]["points"] == [[7, 8]]
    assert sent[3] == {"type": "stroke_end", "id": sent[0]["id"], "points": []}
    assert result["mine"] == [[2, 2], [3, 4], [5, 6], [99, 0], [7, 8]]
    assert result["shape"] == [[10, 10], [30, 40]]
    assert [m["type"] for m in sent[4:]] == ["stroke_begin", "stroke_points", "stroke_end"]
    assert sent[5]["points"] == [[30, 40]]  # a shape sends only its latest point
    assert result["applied"] == [3, 2, 1, 1, 0]
