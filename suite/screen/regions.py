"""Merge dirty tiles into few large rectangles.

Browsers pay ~0.75 ms per image decoded, so 500 tiles cost far more to show than one full frame
(see /work/shared/PLATFORM-NOTES.md): runs of dirty tiles in a row become one rectangle, equal
runs in consecutive rows are stacked, and a change covering most of the screen becomes one key
frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from suite.screen.tiles import as_pixels

KEY_FRAME_RATIO = 0.5
MAX_RECTS = 16


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle of screen pixels; ``x``, ``y`` is the top-left corner."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def union(self, other: Rect) -> Rect:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Rect(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def intersect(self, other: Rect) -> Rect | None:
        x, y = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= x or bottom <= y:
            return None
        return Rect(x, y, right - x, bottom - y)

    def slices(self) -> tuple[slice, slice]:
        """Index a ``(h, w, ...)`` array with this: ``frame[rect.slices()]``."""
        return slice(self.y, self.bottom), slice(self.x, self.right)


@dataclass(frozen=True, slots=True)
class Update:
    """What to send for one capture: rectangles, or one key frame covering the screen."""

    rects: tuple[Rect, ...]
    key: bool = False

    @property
    def empty(self) -> bool:
        return not self.rects


def tile_runs(grid: np.ndarray) -> list[Rect]:
    """Dirty tiles as rectangles in tile units: row runs, stacked when consecutive rows match."""
    open_runs: dict[tuple[int, int], Rect] = {}
    done: list[Rect] = []
    for row in range(grid.shape[0]):
        line = grid[row]
        # Starts and ends of True runs, from the edges of the padded 0/1 row.
        edges = np.flatnonzero(np.diff(np.concatenate(([0], line.view(np.int8), [0]))))
        runs = {(int(start), int(end)) for start, end in zip(edges[::2], edges[1::2], strict=True)}
        still_open: dict[tuple[int, int], Rect] = {}
        for run, rect in open_runs.items():
            if run in runs:
                still_open[run] = Rect(rect.x, rect.y, rect.w, rect.h + 1)
            else:
                done.append(rect)
        for start, end in runs:
            if (start, end) not in still_open:
                still_open[(start, end)] = Rect(start, row, end - start, 1)
        open_runs = still_open
    done.extend(open_runs.values())
    return sorted(done, key=lambda rect: (rect.y, rect.x))


def changed_bounds(previous: np.ndarray, current: np.ndarray, rect: Rect) -> Rect:
    """The smallest rectangle inside ``rect`` that holds every pixel that differs.

    A typed character changes ~12x26 pixels of a 64x64 tile: sending only those makes the
    image ~10x smaller. ``rect`` itself is returned when nothing in it differs.
    """
    window = rect.slices()
    differs = as_pixels(previous)[window] != as_pixels(current)[window]
    rows = np.flatnonzero(differs.any(axis=1))
    if not len(rows):
        return rect
    cols = np.flatnonzero(differs[rows[0] : rows[-1] + 1].any(axis=0))
    return Rect(
        rect.x + int(cols[0]),
        rect.y + int(rows[0]),
        int(cols[-1] - cols[0]) + 1,
        int(rows[-1] - rows[0]) + 1,
    )


def _fewer(rects: list[Rect], limit: int) -> list[Rect]:
    # Join the pair whose union wastes the fewest pixels until few enough remain; the lists
    # here are short (a few dozen at most), so the quadratic search is cheap.
    rects = list(rects)
    while len(rects) > limit:
        best: tuple[int, int, int] | None = None
        for i in range(len(rects)):
            for j in range(i + 1, len(rects)):
                union = rects[i].union(rects[j])
                waste = union.area - rects[i].area - rects[j].area
                if best is None or waste < best[0]:
                    best = (waste, i, j)
        assert best is not None
        _, i, j = best
        joined = rects[i].union(rects[j])
        rects = [rect for k, rect in enumerate(rects) if k not in (i, j)] + [joined]
    return sorted(rects, key=lambda rect: (rect.y, rect.x))


def plan_update(
    grid: np.ndarray,
    tile_px: int,
    screen_w: int,
    screen_h: int,
    key_frame_ratio: float = KEY_FRAME_RATIO,
    max_rects: int = MAX_RECTS,
) -> Update:
    """Turn a dirty-tile grid into the rectangles to encode, clipped to the screen.

    Args:
        grid: boolean ``(rows, cols)`` from :func:`tiles.changed_tiles`.
        key_frame_ratio: above this share of the screen changed, send one key frame instead.
        max_rects: at most this many rectangles (neighbours are joined beyond it).
    """
    screen = Rect(0, 0, screen_w, screen_h)
    dirty = int(grid.sum())
    if dirty == 0:
        return Update(())
    if dirty >= grid.size * key_frame_ratio:
        return Update((screen,), key=True)
    pixel_rects = []
    for run in tile_runs(grid):
        rect = Rect(run.x * tile_px, run.y * tile_px, run.w * tile_px, run.h * tile_px)
        clipped = rect.intersect(screen)
        if clipped is not None:
            pixel_rects.append(clipped)
    rects = _fewer(pixel_rects, max_rects)
    if sum(rect.area for rect in rects) >= screen.area * key_frame_ratio:
        return Update((screen,), key=True)
    return Update(tuple(rects))
