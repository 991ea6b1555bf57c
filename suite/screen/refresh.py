"""Lossless refresh: regions sent lossy become pixel-exact once they have been still a while.

TurboVNC's "lossless refresh": JPEG keeps moving content cheap, and static content (text, above
all) ends pixel-exact; photo-like tiles end at a PSNR floor (:mod:`suite.screen.settle`). This
module only keeps the books, per tile: which tiles were last sent lossy and when each last
changed. The presenter asks :meth:`LosslessRefresh.due` on every capture and encodes what it
returns losslessly; the pixel budget per call keeps a refresh of a whole screen (PNG costs
~50-100 ms at 1920x1080) from delaying live changes."""

from __future__ import annotations

import numpy as np

from suite.screen.regions import Rect, tile_runs
from suite.screen.tiles import grid_shape

STILL_MS = 250.0
BUDGET_PX = 1920 * 160


class LosslessRefresh:
    """Per-tile bookkeeping of lossy regions waiting to be refined.

    Args:
        screen_w, screen_h: the shared screen's size.
        tile_px: the tile side used by the diff (rectangles passed in are aligned to it, except
            where they are clipped at the screen's right and bottom edges).
        still_ms: a lossy tile is refined after it has not changed for this long.
        budget_px: at most about this many pixels per :meth:`due` call (at least one tile row
            of one rectangle, so progress is always made).
    """

    def __init__(
        self,
        screen_w: int,
        screen_h: int,
        tile_px: int,
        still_ms: float = STILL_MS,
        budget_px: int = BUDGET_PX,
    ) -> None:
        self.screen = Rect(0, 0, screen_w, screen_h)
        self.tile_px = tile_px
        self.still_ms = still_ms
        self.budget_px = budget_px
        shape = grid_shape(screen_h, screen_w, tile_px)
        self._lossy = np.zeros(shape, dtype=bool)
        self._changed_ms = np.zeros(shape, dtype=np.float64)

    @property
    def pending(self) -> bool:
        """True while some tile on the viewers' screens is not pixel-exact."""
        return bool(self._lossy.any())

    def _tiles(self, rect: Rect) -> tuple[slice, slice]:
        t = self.tile_px
        return slice(rect.y // t, -(-rect.bottom // t)), slice(rect.x // t, -(-rect.right // t))

    def note_changed(self, grid: np.ndarray, now_ms: float) -> None:
        """Record the tiles that changed in this capture (the diff's boolean grid)."""
        self._changed_ms[grid] = now_ms

    def note_sent(self, rect: Rect, lossless: bool) -> None:
        """Record that ``rect`` went out, final or not (``lossless``: pixel-exact, or a photo
        settled at its PSNR floor, which is not refined further).

        A lossy rectangle makes every tile it touches lossy; a lossless one clears only the
        tiles it covers whole (the rest of a partly covered tile may still be lossy).
        """
        if not lossless:
            self._lossy[self._tiles(rect)] = True
            return
        t = self.tile_px
        # Whole tiles only: round the start up and the end down, except at the screen's edge,
        # where the last tile is partial and ends with the screen.
        right = self.screen.w // t + 1 if rect.right >= self.screen.w else rect.right // t
        bottom = self.screen.h // t + 1 if rect.bottom >= self.screen.h else rect.bottom // t
        rows = slice(-(-rect.y // t), bottom)
        cols = slice(-(-rect.x // t), right)
        self._lossy[rows, cols] = False

    def forget(self) -> None:
        """Nothing is lossy any more (the presentation restarted or stopped)."""
        self._lossy[:] = False

    def due(self, now_ms: float) -> list[Rect]:
        """Rectangles to send losslessly now: lossy tiles still for ``still_ms``, within budget.

        The caller must encode them losslessly and then call :meth:`note_sent` for each.
        """
        ready = self._lossy & (now_ms - self._changed_ms >= self.still_ms)
        if not ready.any():
            return []
        t = self.tile_px
        chosen: list[Rect] = []
        spent = 0
        for run in tile_runs(ready):
            rect = Rect(run.x * t, run.y * t, run.w * t, run.h * t).intersect(self.screen)
            if rect is None:
                continue
            rows_left = max(1, (self.budget_px - spent) // (rect.w * t))
            if rows_left * t < rect.h:
                rect = Rect(rect.x, rect.y, rect.w, rows_left * t)
            chosen.append(rect)
            spent += rect.area
            if spent >= self.budget_px:
                break
        return chosen
