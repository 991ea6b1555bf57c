"""Which part of the screen is in motion, from the history of the tile diff (pure).

A tile is *moving* when it changed on ``START_CAPTURES`` captures in a row, each within
``MAX_GAP_MS`` of the one before (scrolling, a playing video, a window being dragged). Motion
starts when at least ``MIN_TILES`` tiles move: typing changes one or two tiles per keystroke and
never starts it. The motion region is the bounding box of the moving tiles; it grows when more
tiles start moving and ends when nothing inside it changed for ``STOP_MS``. Then the hybrid
sends the region once as ordinary region frames and the lossless refresh refines it as usual.
"""

from __future__ import annotations

import numpy as np

from suite.screen.regions import Rect

START_CAPTURES = 3
MAX_GAP_MS = 400.0  # slides change seconds apart; a loaded presenter captures every 0.1-0.4 s
MIN_TILES = 8
STOP_MS = 300.0


def even_rect(x: int, y: int, w: int, h: int, width: int, height: int) -> Rect:
    """``x, y, w, h`` with even sides (4:2:0 video), grown inside the screen where it can be."""
    if w % 2:
        if x + w < width:
            w += 1
        elif x > 0:
            x, w = x - 1, w + 1
        else:
            w -= 1
    if h % 2:
        if y + h < height:
            h += 1
        elif y > 0:
            y, h = y - 1, h + 1
        else:
            h -= 1
    return Rect(x, y, max(w, 2), max(h, 2))


class MotionTracker:
    """Follows the tile grids of successive captures and says where motion is.

    Args:
        width, height: the screen in pixels.
        tile_px: the side of the diff's tiles.
    """

    def __init__(
        self,
        width: int,
        height: int,
        tile_px: int,
        start_captures: int = START_CAPTURES,
        min_tiles: int = MIN_TILES,
        stop_ms: float = STOP_MS,
        max_gap_ms: float = MAX_GAP_MS,
    ) -> None:
        self.width, self.height, self.tile_px = width, height, tile_px
        self.start_captures = start_captures
        self.min_tiles = min_tiles
        self.stop_ms = stop_ms
        self.max_gap_ms = max_gap_ms
        self.region: Rect | None = None
        self._tiles: tuple[int, int, int, int] | None = None  # rows r0..r1, cols c0..c1
        self._streak: np.ndarray | None = None
        self._last_ms: float | None = None
        self._last_motion_ms = 0.0

    def reset(self) -> None:
        """Forget the history (a new presentation, or the whole screen is sent again)."""
        self.region = self._tiles = self._streak = self._last_ms = None

    def update(self, grid: np.ndarray, now_ms: float) -> Rect | None:
        """Take the next capture's changed-tile grid; return the motion region or None.

        The region returned is the same object while it stays the same, so a caller can tell a
        new region (restart the encoder) from the old one with ``is``.
        """
        if self._streak is None or self._streak.shape != grid.shape:
            self._streak = np.zeros(grid.shape, dtype=np.int32)
        if self._last_ms is not None and now_ms - self._last_ms > self.max_gap_ms:
            self._streak[:] = 0
        self._last_ms = now_ms
        self._streak = np.where(grid, self._streak + 1, 0)
        moving = self._streak >= self.start_captures
        count = int(np.count_nonzero(moving))
        if self._tiles is not None:
            r0, r1, c0, c1 = self._tiles
            if grid[r0 : r1 + 1, c0 : c1 + 1].any():
                self._last_motion_ms = now_ms
            elif now_ms - self._last_motion_ms > self.stop_ms:
                self.region = self._tiles = None
                return None
        if count >= self.min_tiles:
            rows = np.flatnonzero(moving.any(axis=1))
            cols = np.flatnonzero(moving.any(axis=0))
            tiles = (int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1]))
            if self._tiles is not None:
                r0, r1, c0, c1 = self._tiles
                tiles = (min(r0, tiles[0]), max(r1, tiles[1]), min(c0, tiles[2]), max(c1, tiles[3]))
            if tiles != self._tiles:
                self._tiles = tiles
                self._last_motion_ms = now_ms
                self.region = self._rect(tiles)
        return self.region

    def tiles(self) -> tuple[slice, slice] | None:
        """The rows and columns of the grid the motion region covers (None: no motion)."""
        if self._tiles is None:
            return None
        r0, r1, c0, c1 = self._tiles
        return slice(r0, r1 + 1), slice(c0, c1 + 1)

    def _rect(self, tiles: tuple[int, int, int, int]) -> Rect:
        r0, r1, c0, c1 = tiles
        t = self.tile_px
        x, y = c0 * t, r0 * t
        w = min((c1 + 1) * t, self.width) - x
        h = min((r1 + 1) * t, self.height) - y
        return even_rect(x, y, w, h, self.width, self.height)
