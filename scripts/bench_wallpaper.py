"""How many stream bytes the wallpaper costs (A8): a 1920x1080 Xvfb with a photo-like root
pixmap wallpaper and one 900x600 document window, encoded by the presenter's own
``ScreenStream`` (the Balanced preset's options), with the wallpaper and with it removed by
``PresentingDesktop`` as the agent app does while presenting.

Counted per case: the first frame (what every viewer gets on joining), its lossless refresh
once the screen is still (normal network), and moving the window by (300, 150) px (the
change, then its refresh).

    .venv/bin/python scripts/bench_wallpaper.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import mss  # noqa: E402
import numpy as np  # noqa: E402

from suite.agent.app.presenting_desktop import PresentingDesktop  # noqa: E402
from suite.agent.app.settings import QUALITY_PRESETS  # noqa: E402
from suite.screen.encoders import ColorDepth, LossyCodec  # noqa: E402
from suite.screen.stream import ScreenStream, StreamOptions  # noqa: E402
from tests.support.wallpaper import photo_like, set_wallpaper  # noqa: E402
from tests.support.x11_paint import add_local_xauth_entry  # noqa: E402
from tests.support.xvfb import Xvfb  # noqa: E402

W, H = 1920, 1080
WINDOW = (900, 600)
STILL_MS = 5000.0  # later than any refresh delay: everything lossy is refreshed


def _document(width: int, height: int) -> bytes:
    """A white page with dark lines of "text" (BGRA bytes)."""
    page = np.full((height, width, 4), 255, np.uint8)
    rng = np.random.default_rng(1)
    for top in range(40, height - 20, 22):
        words = 0
        x = 30
        while x < width - 60 and words < 14:
            length = int(rng.integers(20, 90))
            page[top : top + 10, x : x + length, :3] = 40
            x += length + 12
            words += 1
    return page.tobytes()


class DocumentWindow:
    """One mapped X window holding a document picture, movable."""

    def __init__(self, display_name: str) -> None:
        from Xlib import X, display  # noqa: PLC0415

        self.display = display.Display(display_name)
        screen = self.display.screen()
        width, height = WINDOW
        self.window = screen.root.create_window(
            200, 150, width, height, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
            background_pixel=screen.white_pixel, override_redirect=True,
        )  # fmt: skip
        self.window.map()
        gc = self.window.create_gc()
        data = _document(width, height)
        row_bytes = width * 4
        for top in range(0, height, 40):
            rows = min(40, height - top)
            chunk = data[top * row_bytes : (top + rows) * row_bytes]
            self.window.put_image(gc, 0, top, width, rows, X.ZPixmap, 24, 0, chunk)
        self._gc = gc
        self._data = data
        self.display.sync()

    def move(self, x: int, y: int) -> None:
        from Xlib import X  # noqa: PLC0415

        self.window.configure(x=x, y=y)
        width, height = WINDOW
        row_bytes = width * 4
        for top in range(0, height, 40):
            rows = min(40, height - top)
            chunk = self._data[top * row_bytes : (top + rows) * row_bytes]
            self.window.put_image(self._gc, 0, top, width, rows, X.ZPixmap, 24, 0, chunk)
        self.display.sync()


def _encoded_bytes(stream: ScreenStream, grabber: mss.base.MSSBase, at_ms: float) -> int:
    frame = np.array(grabber.grab(grabber.monitors[1]))
    return sum(len(bytes(f)) for f in stream.encode(frame, at_ms))


def measure(xvfb: Xvfb, hide: bool, work: Path) -> dict[str, int]:
    balanced = QUALITY_PRESETS["balanced"]
    options = StreamOptions(
        lossless=False, quality=balanced["quality"], codec=LossyCodec(balanced["codec"]),
        colors=ColorDepth(balanced["colors"]),
    )  # fmt: skip
    set_wallpaper(xvfb.env(), photo_like(W, H))
    look = PresentingDesktop(lambda: {"hide_wallpaper": hide}, work, xvfb.env())
    look.begin()
    window = DocumentWindow(xvfb.display)
    try:
        with mss.MSS(display=xvfb.display) as grabber:
            stream = ScreenStream(W, H, options)
            first = _encoded_bytes(stream, grabber, 0.0)
            first_refresh = _encoded_bytes(stream, grabber, STILL_MS)
            window.move(500, 300)
            move = _encoded_bytes(stream, grabber, 2 * STILL_MS)
            move_refresh = _encoded_bytes(stream, grabber, 3 * STILL_MS)
        return {
            "first_frame": first, "first_refresh": first_refresh,
            "window_move": move, "move_refresh": move_refresh,
        }  # fmt: skip
    finally:
        window.window.destroy()
        window.display.close()
        look.end()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    with Xvfb(W, H) as xvfb, tempfile.TemporaryDirectory() as work:
        add_local_xauth_entry(xvfb)
        os.environ["DISPLAY"], os.environ["XAUTHORITY"] = xvfb.display, str(xvfb.xauthority)
        results = {
            "wallpaper": measure(xvfb, hide=False, work=Path(work)),
            "plain": measure(xvfb, hide=True, work=Path(work)),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'bytes':<16}{'wallpaper':>12}{'plain':>12}{'saved':>8}")
    for key in results["wallpaper"]:
        shown, plain = results["wallpaper"][key], results["plain"][key]
        saved = 100 * (1 - plain / shown) if shown else 0.0
        print(f"{key:<16}{shown:>12,}{plain:>12,}{saved:>7.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
