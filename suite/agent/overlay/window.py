"""The agent's drawing overlay (P5): every stroke, drawn on the agent's real desktop.

A child process of the presenter (``suite/agent/overlay/link.py``), fed JSON lines on stdin
(the relay's drawing messages, plus ``{"type": "tool", "tool", "color", "width"}`` from the
chat window's tools) and writing the agent's own strokes as JSON lines on stdout
(``stroke_begin`` / ``stroke_points`` / ``stroke_end``, which the presenter sends to the relay).
It never runs in the pywebview process and never imports gevent.

How it looks on X11: most X servers of agents' PCs, and Xvfb in the tests, have no compositor,
so a window cannot be translucent. The overlay is an override-redirect window over the shared
monitor whose **bounding shape** (X Shape extension) is exactly the stroke pixels: the desktop
shows everywhere else, untouched. Its **input shape** is empty, so every click goes through to
the windows below. While the agent has a drawing tool on, an InputOnly window (invisible by
nature) covers the monitor above it and takes the pointer for drawing; tool off, it is unmapped
and the desktop gets its clicks again. As the input window also covers the chat window's tool
buttons, a right click or Escape puts the tool down (reported as ``{"type": "tool", "tool":
null}`` on stdout). Strokes are drawn with the X server's own wide lines
(round caps and joins, no anti-aliasing) into the window and, identically, into the 1-bit
shape mask, so the shape and the colour match pixel for pixel.

Where this is not possible (no ``DISPLAY``, an X server without Shape, a Wayland session
without XWayland, Windows and macOS for now) the overlay prints
``{"type": "overlay_unavailable", "reason"}`` and exits with status 3; the presenter goes on
presenting and the agent sees the drawing only in the viewer-side picture (see docs).

The presenter's capture sees the overlay's strokes (mss grabs the composed screen): that is
accepted. Viewers draw the same vectors exactly over them, in the same colour and width, and
an undo or clear removes the pixels at the next capture.

Run by hand::

    python -m suite.agent.overlay --monitor 1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import sys
import time
from typing import IO, Any

from suite.agent.overlay.board import OverlayBoard
from suite.strokes import DrawingError, Stroke, polylines

logger = logging.getLogger(__name__)

UNAVAILABLE_EXIT = 3
REDRAW_INTERVAL_S = 1 / 60  # at most this often while dragging
RAISE_INTERVAL_S = 1.0  # stay above windows mapped after us (no window manager to keep us up)
XC_CROSSHAIR = 34  # the X cursor font's crosshair glyph
XK_ESCAPE = 0xFF1B


class OverlayUnavailable(RuntimeError):
    """This display cannot show a click-through overlay; the message says why."""


class X11Overlay:
    """The shaped overlay window and its input catcher on one monitor.

    Args:
        geometry: the shared monitor as (left, top, width, height) on the X screen.
        out: where the agent's stroke messages go (a JSON object per line).

    Raises:
        OverlayUnavailable: no X display, or no Shape extension.
    """

    def __init__(self, geometry: tuple[int, int, int, int], out: IO[str]) -> None:
        try:
            from Xlib import X, display  # noqa: PLC0415
            from Xlib.error import DisplayError  # noqa: PLC0415
            from Xlib.ext import shape  # noqa: PLC0415
        except ImportError as exc:  # not an X11 platform
            raise OverlayUnavailable(f"python-xlib is not available: {exc}") from None
        self._X, self._shape = X, shape
        try:
            self.display = display.Display()
        except (DisplayError, OSError, Exception) as exc:  # Xlib raises several kinds here
            raise OverlayUnavailable(f"cannot open the X display: {exc}") from None
        if not self.display.has_extension("SHAPE"):
            self.display.close()
            raise OverlayUnavailable("the X server has no Shape extension")
        self.out = out
        self.left, self.top, self.width, self.height = geometry
        self.board = OverlayBoard(self.width, self.height)
        self._colours: dict[str, int] = {}
        self._dirty = False
        self._last_redraw = 0.0
        self._last_raise = 0.0
        self._catching = False
        screen = self.display.screen()
        self._screen = screen
        font = self.display.open_font("cursor")
        self._escape = self.display.keysym_to_keycode(XK_ESCAPE)
        self._cursor = font.create_glyph_cursor(
            font, XC_CROSSHAIR, XC_CROSSHAIR + 1, (0, 0, 0), (65535, 65535, 65535)
        )
        self._create_windows()

    def _create_windows(self) -> None:
        X, shape = self._X, self._shape
        root = self._screen.root
        self.window = root.create_window(
            self.left, self.top, self.width, self.height, 0, self._screen.root_depth,
            X.InputOutput, X.CopyFromParent, override_redirect=True,
            event_mask=X.ExposureMask,
        )  # fmt: skip
        self.window.set_wm_name("RemoteSales drawing")
        self.window.set_wm_class("remotesales-overlay", "RemoteSales")
        # Nothing visible and nothing clickable until there is a stroke.
        self.window.shape_rectangles(shape.SO.Set, shape.SK.Bounding, X.Unsorted, 0, 0, [])
        self.window.shape_rectangles(shape.SO.Set, shape.SK.Input, X.Unsorted, 0, 0, [])
        self.catcher = root.create_window(
            self.left, self.top, self.width, self.height, 0, 0, X.InputOnly, X.CopyFromParent,
            override_redirect=True, cursor=self._cursor,
            event_mask=X.ButtonPressMask | X.ButtonReleaseMask | X.PointerMotionMask,
        )  # fmt: skip
        self.mask = self.window.create_pixmap(self.width, self.height, 1)
        self.mask_gc = self.mask.create_gc(foreground=0, background=0)
        # Strokes are drawn off screen, then copied to the window in one request: drawing wide
        # lines straight into a window shaped like thousands of rectangles clips every one of
        # them against that shape (50 strokes took ~1 s at 1080p on Xvfb; this way ~ms).
        depth = self._screen.root_depth
        self.canvas = self.window.create_pixmap(self.width, self.height, depth)
        self.gc = self.canvas.create_gc(foreground=self._screen.black_pixel)
        # The finished strokes, kept drawn (see redraw).
        self.base_mask = self.window.create_pixmap(self.width, self.height, 1)
        self.base_gc = self.base_mask.create_gc(foreground=0, background=0)
        self.base_canvas = self.window.create_pixmap(self.width, self.height, depth)
        self._base_keys: set[tuple[str, str]] = set()
        self._base_generation = -1
        self.window.map()
        self.display.flush()

    def _destroy_windows(self) -> None:
        resources = (
            self.mask_gc, self.gc, self.base_gc, self.mask, self.canvas, self.base_mask,
            self.base_canvas, self.catcher, self.window,
        )  # fmt: skip
        for resource in resources:
            resource.free() if hasattr(resource, "free") else resource.destroy()

    # -- the loop --------------------------------------------------------------------------

    def run(self, commands: int) -> int:
        """Serve until end-of-file on ``commands`` (a file descriptor); returns 0."""
        buffer = b""
        display_fd = self.display.fileno()
        while True:
            while self.display.pending_events():
                self._x_event(self.display.next_event())
            now = time.monotonic()
            self._emit(self.board.flush(now))
            if self._dirty and now - self._last_redraw >= REDRAW_INTERVAL_S:
                self.redraw()
            elif now - self._last_raise > RAISE_INTERVAL_S:
                self._raise()
            timeout = REDRAW_INTERVAL_S if (self._dirty or self.board.dragging) else 0.5
            ready, _, _ = select.select([display_fd, commands], [], [], timeout)
            if commands in ready:
                chunk = os.read(commands, 1 << 16)
                if not chunk:
                    return 0  # the presenter went away
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self._command(line)
                if self._dirty:
                    self.redraw()

    def _command(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            message = json.loads(line)
        except ValueError:
            logger.warning("ignoring a line that is not JSON: %r", line[:80])
            return
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "tool":
            try:
                self.board.set_style(message)
            except DrawingError as error:
                logger.warning("ignoring a tool command: %s", error)
                return
            self._catch_input(self.board.style.tool is not None)
        elif kind == "geometry":
            self._move(message)
        elif self.board.apply(message):
            self._dirty = True

    def _move(self, message: dict[str, Any]) -> None:
        """The presenter switched monitors: the overlay follows (the relay keeps or clears the
        strokes; it clears them when the size changes)."""
        try:
            geometry = tuple(int(message[k]) for k in ("left", "top", "width", "height"))
        except (KeyError, TypeError, ValueError):
            logger.warning("ignoring a bad geometry: %s", message)
            return
        self._destroy_windows()
        self.left, self.top, self.width, self.height = geometry
        self.board.screen_w, self.board.screen_h = self.width, self.height
        self._create_windows()
        self._catching = False
        self._catch_input(self.board.style.tool is not None)
        self._dirty = True

    def _catch_input(self, on: bool) -> None:
        if on == self._catching:
            return
        self._catching = on
        X = self._X
        root = self._screen.root
        if on:
            self.catcher.map()
            self.catcher.configure(stack_mode=X.Above)
            # Escape puts the tool down wherever the keyboard focus is (any modifiers).
            root.grab_key(self._escape, X.AnyModifier, False, X.GrabModeAsync, X.GrabModeAsync)
        else:
            if self.board.dragging:
                self._emit(self.board.release(*self._last_point(), time.monotonic()))
            self.catcher.unmap()
            root.ungrab_key(self._escape, X.AnyModifier)
        self.display.flush()

    def _put_tool_down(self) -> None:
        self.board.style.tool = None
        self._catch_input(False)
        self._emit([{"type": "tool", "tool": None}])

    def _last_point(self) -> tuple[int, int]:
        strokes = self.board.strokes()
        return strokes[-1].points[-1] if strokes and strokes[-1].points else (0, 0)

    def _x_event(self, event: Any) -> None:
        X = self._X
        now = time.monotonic()
        if event.type == X.Expose:
            if event.window == self.window and event.count == 0:
                self._copy()
        elif event.type == X.KeyPress and event.detail == self._escape:
            self._put_tool_down()
        elif event.type == X.ButtonPress and event.detail == 3 and not self.board.dragging:
            self._put_tool_down()
        elif event.type == X.ButtonPress and event.detail == 1:
            self._emit(self.board.press(event.event_x, event.event_y, now))
            self._dirty = True
        elif event.type == X.MotionNotify and self.board.dragging:
            self._emit(self.board.move(event.event_x, event.event_y, now))
            self._dirty = True
        elif event.type == X.ButtonRelease and event.detail == 1:
            self._emit(self.board.release(event.event_x, event.event_y, now))
            self._dirty = True

    def _emit(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.out.write(json.dumps(message, separators=(",", ":")) + "\n")
        if messages:
            self.out.flush()

    # -- drawing ---------------------------------------------------------------------------

    def redraw(self) -> None:
        """Shape the window to the strokes, then paint them in their colours.

        Finished strokes are drawn once into the base pixmaps (again only after a removal,
        a clear or a whole new drawing); each redraw copies the base and draws just the strokes
        in progress over it, so a live drag costs the same with 5 strokes on screen or 500.
        """
        shape = self._shape
        self._dirty = False
        self._last_redraw = time.monotonic()
        strokes = self.board.strokes()
        if self.board.generation != self._base_generation:
            self._base_generation = self.board.generation
            self._base_keys.clear()
            self.base_gc.change(foreground=0)
            self.base_mask.fill_rectangle(self.base_gc, 0, 0, self.width, self.height)
        for stroke in strokes:
            if stroke.done and stroke.key not in self._base_keys:
                self._base_keys.add(stroke.key)
                self._draw(self.base_mask, self.base_gc, stroke, 1)
                self._draw(self.base_canvas, self.gc, stroke, self._pixel(stroke.color))
        w, h = self.width, self.height
        self.mask.copy_area(self.mask_gc, self.base_mask, 0, 0, w, h, 0, 0)
        self.canvas.copy_area(self.gc, self.base_canvas, 0, 0, w, h, 0, 0)
        for stroke in strokes:
            if stroke.key not in self._base_keys:
                self._draw(self.mask, self.mask_gc, stroke, 1)
                self._draw(self.canvas, self.gc, stroke, self._pixel(stroke.color))
        self.window.shape_mask(shape.SO.Set, shape.SK.Bounding, 0, 0, self.mask)
        self._copy()
        self._raise()

    def _copy(self) -> None:
        """Show the off-screen strokes (the shape lets only the stroke pixels through)."""
        self.window.copy_area(self.gc, self.canvas, 0, 0, self.width, self.height, 0, 0)

    def _raise(self) -> None:
        self._last_raise = time.monotonic()
        self.window.configure(stack_mode=self._X.Above)
        if self._catching:
            self.catcher.configure(stack_mode=self._X.Above)
        self.display.flush()

    def _draw(self, drawable: Any, gc: Any, stroke: Stroke, pixel: int) -> None:
        X = self._X
        gc.change(
            foreground=pixel, line_width=stroke.width, cap_style=X.CapRound,
            join_style=X.JoinRound,
        )  # fmt: skip
        for line in polylines(stroke.tool, stroke.points, stroke.width):
            points = [(round(x), round(y)) for x, y in line]
            if len(set(points)) == 1:  # a dot: X draws nothing for a zero-length line
                x, y = points[0]
                d = stroke.width
                drawable.fill_arc(gc, x - d // 2, y - d // 2, d, d, 0, 360 * 64)
            else:
                drawable.poly_line(gc, X.CoordModeOrigin, points)

    def _pixel(self, colour: str) -> int:
        pixel = self._colours.get(colour)
        if pixel is None:
            r, g, b = (int(colour[i : i + 2], 16) * 257 for i in (1, 3, 5))
            pixel = self._screen.default_colormap.alloc_color(r, g, b).pixel
            self._colours[colour] = pixel
        return pixel

    def close(self) -> None:
        try:
            self._destroy_windows()
            self.display.close()
        except Exception:  # the server may be gone already
            logger.debug("closing the overlay's display failed", exc_info=True)


def monitor_geometry(monitor: int) -> tuple[int, int, int, int]:
    """(left, top, width, height) of an mss monitor (1 = the first), as the presenter uses.

    Raises:
        OverlayUnavailable: no such monitor, or the screen cannot be read.
    """
    import mss  # noqa: PLC0415

    try:
        with mss.MSS() as grabber:
            found = grabber.monitors[monitor]
    except IndexError:
        raise OverlayUnavailable(f"there is no monitor {monitor}") from None
    except Exception as exc:  # mss raises its own ScreenShotError and OS errors
        raise OverlayUnavailable(f"cannot read the monitors: {exc}") from None
    return found["left"], found["top"], found["width"], found["height"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m suite.agent.overlay",
        description="Show drawings over the shared monitor; JSON lines on stdin and stdout.",
    )
    parser.add_argument("--monitor", type=int, default=1, help="mss monitor index (1 = first)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    out = sys.stdout
    try:
        if sys.platform != "linux" or not os.environ.get("DISPLAY"):
            raise OverlayUnavailable("no X11 display (the overlay needs X11 with Shape)")
        left, top, width, height = monitor_geometry(args.monitor)
        overlay = X11Overlay((left, top, width, height), out)
    except OverlayUnavailable as exc:
        logger.warning("no drawing overlay: %s", exc)
        out.write(json.dumps({"type": "overlay_unavailable", "reason": str(exc)}) + "\n")
        out.flush()
        return UNAVAILABLE_EXIT
    ready = {"type": "overlay_ready", "left": left, "top": top, "width": width,
             "height": height}  # fmt: skip
    out.write(json.dumps(ready) + "\n")
    out.flush()
    try:
        return overlay.run(sys.stdin.fileno())
    finally:
        overlay.close()
