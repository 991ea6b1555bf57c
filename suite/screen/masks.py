"""Application sharing (P6): everything outside the shared windows is blacked out.

The mask is applied to the captured frame before the diff and the encoders see it, so no
pixel outside the shared windows is ever encoded, sent or kept in the presenter's history.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from suite.screen.regions import Rect


class WindowMask:
    """The union of window rectangles, clipped to the screen.

    Args:
        rects: the shared windows' rectangles in screen pixels (may overlap or stick out).
        screen_w, screen_h: the captured screen's size.
    """

    def __init__(self, rects: Iterable[Rect], screen_w: int, screen_h: int) -> None:
        screen = Rect(0, 0, screen_w, screen_h)
        self.screen = screen
        self.rects = tuple(
            clipped for rect in rects if (clipped := rect.intersect(screen)) is not None
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, WindowMask)
            and self.screen == other.screen
            and self.rects == other.rects
        )

    def __hash__(self) -> int:
        return hash((self.screen, self.rects))

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """A new frame: black (all bytes 0) outside the windows, ``frame``'s pixels inside.

        Raises:
            ValueError: ``frame`` is not the screen's size.
        """
        if frame.shape[:2] != (self.screen.h, self.screen.w):
            raise ValueError(
                f"frame is {frame.shape[1]}x{frame.shape[0]}, "
                f"the mask is for {self.screen.w}x{self.screen.h}"
            )
        out = np.zeros_like(frame)
        for rect in self.rects:
            window = rect.slices()
            out[window] = frame[window]
        return out

    def contains(self, x: int, y: int) -> bool:
        """True if the screen pixel (x, y) is inside a shared window."""
        return any(r.x <= x < r.right and r.y <= y < r.bottom for r in self.rects)
