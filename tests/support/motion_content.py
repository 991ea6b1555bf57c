"""Motion on the test display: a photo-like picture panning sideways, painted by a thread.

The video tests (tests/e2e/test_video_stream.py) need a screen in motion whose every picture is
known: :class:`PanningPainter` paints ``base[:, offset : offset + width]`` about ``fps`` times a
second and records the offsets painted, so a viewer's canvas can be compared with the pictures
the screen really showed.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tests.support.x11_paint import RootPainter


def photo(width: int, height: int, seed: int = 3, noise: float = 3.0) -> np.ndarray:
    """A smooth, photo-like BGRA picture: blurred colour blobs, circles and a little noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 24 + 1, width // 24 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(max(4, width * height // 50000)):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(20, 120))
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 255, 3))
        )
    image = image.filter(ImageFilter.GaussianBlur(3))
    rgb = np.clip(np.asarray(image) + rng.normal(0, noise, (height, width, 3)), 0, 255)
    out = np.empty((height, width, 4), np.uint8)
    out[..., :3] = rgb.astype(np.uint8)[..., ::-1]
    out[..., 3] = 255
    return out


class PanningPainter:
    """Paints a picture twice the screen's width, moving ``step_px`` a frame, in a thread.

    Args:
        env: the display's environment (DISPLAY, XAUTHORITY).
        width, height: the screen.
        step_px: pixels moved per painted frame; fps: painted frames per second.
    """

    def __init__(
        self, env: dict[str, str], width: int, height: int, step_px: int = 6, fps: float = 30.0
    ) -> None:
        self.width, self.height = width, height
        self.base = photo(width * 2, height)
        self.step_px, self.fps = step_px, fps
        self.offsets: list[int] = []
        self.moving = threading.Event()
        self._idle = threading.Event()  # set by the thread while it is not painting
        self._running = threading.Event()
        self._env = env
        self._thread: threading.Thread | None = None

    def picture(self, offset: int) -> np.ndarray:
        """The BGRA screen when the pan is at ``offset``."""
        return np.ascontiguousarray(self.base[:, offset : offset + self.width])

    def stop_moving(self, timeout_s: float = 10.0) -> int:
        """Stop the pan and return the offset of the picture the screen keeps.

        Clearing ``moving`` alone races with a paint under way: its offset is recorded only
        after the paint, so ``offsets[-1]`` read at once can name the picture before the one
        the screen ends on.

        Raises:
            TimeoutError: the painting thread did not come to rest.
        """
        self._idle.clear()
        self.moving.clear()
        if not self._idle.wait(timeout_s):
            raise TimeoutError(f"the panning painter did not stop within {timeout_s:g} s")
        return self.offsets[-1]

    def __enter__(self) -> PanningPainter:
        ready = threading.Event()
        self._running.set()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self, ready: threading.Event) -> None:
        painter = RootPainter(self._env)
        try:
            offset = 0
            painter.paint(self.picture(offset))
            self.offsets.append(offset)
            ready.set()
            next_frame = time.monotonic()
            while self._running.is_set():
                if not self.moving.is_set():
                    self._idle.set()
                elif time.monotonic() >= next_frame:
                    offset = (offset + self.step_px) % self.width
                    painter.paint(self.picture(offset))
                    self.offsets.append(offset)
                    next_frame = max(next_frame + 1 / self.fps, time.monotonic() - 0.1)
                time.sleep(0.003)
        finally:
            painter.close()
