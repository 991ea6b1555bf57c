"""Where frames come from: the screen through mss, or a synthetic source for tests.

A frame is a BGRA ``(h, w, 4) uint8`` numpy array. mss objects hold per-thread X resources:
create the grabber in the thread that grabs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from suite.screen.errors import CaptureError


class FrameSource(Protocol):
    width: int
    height: int

    def grab(self) -> np.ndarray:
        """Capture the screen now; returns a BGRA frame the caller may keep."""
        ...

    def close(self) -> None: ...


class MssGrabber:
    """One monitor of the local display through mss (XGetImage/XShm on X11).

    Args:
        monitor: mss's monitor index: 1 is the first monitor, 0 the union of all.

    Raises:
        CaptureError: no display, or no such monitor.
    """

    def __init__(self, monitor: int = 1) -> None:
        import mss  # noqa: PLC0415 - only the real capture needs it

        try:
            self._mss = mss.MSS()
        except Exception as exc:  # mss raises ScreenShotError and, without DISPLAY, others
            raise CaptureError(f"cannot open the screen for capture: {exc}") from exc
        monitors = self._mss.monitors
        if not 0 <= monitor < len(monitors):
            self._mss.close()
            raise CaptureError(f"no monitor {monitor}: this display has {len(monitors) - 1}")
        self.monitor_index = monitor
        self.monitor = dict(monitors[monitor])
        self.left = int(self.monitor["left"])
        self.top = int(self.monitor["top"])
        self.width = int(self.monitor["width"])
        self.height = int(self.monitor["height"])

    @staticmethod
    def monitor_count() -> int:
        import mss  # noqa: PLC0415

        with mss.MSS() as grabber:
            return len(grabber.monitors) - 1

    def grab(self) -> np.ndarray:
        try:
            shot = self._mss.grab(self.monitor)
        except Exception as exc:
            raise CaptureError(f"screen capture failed: {exc}") from exc
        # shot.raw is a fresh bytearray: wrap it without copying; the array owns it now.
        return np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)

    def close(self) -> None:
        self._mss.close()


class SyntheticSource:
    """Frames drawn by a function of the frame number, for tests and benchmarks without X.

    Args:
        draw: called with the frame number (0, 1, ...) and returns a BGRA frame.
    """

    def __init__(self, width: int, height: int, draw: Callable[[int], np.ndarray]) -> None:
        self.width = width
        self.height = height
        self._draw = draw
        self.count = 0

    def grab(self) -> np.ndarray:
        frame = self._draw(self.count)
        self.count += 1
        if frame.shape != (self.height, self.width, 4):
            raise CaptureError(f"synthetic frame has shape {frame.shape}")
        return frame

    def close(self) -> None:
        pass


def now_ms() -> float:
    """Wall-clock UNIX time in milliseconds, the unit of a frame's ``capture_ms``."""
    return time.time() * 1000.0
