"""Which tiles of a changed region are text and flat UI, and which are photo-like.

Text and UI hold few colours (a glyph's anti-aliasing adds a few dozen greys): they go out
lossless at once, exact and small. Photo-like tiles hold many: they go out lossy (JPEG) first
and are settled later by the refresh (at >= 45 dB, :mod:`suite.screen.settle`). Judging each 64
px tile apart, instead of the whole changed rectangle, keeps a slide's text exact from the
first picture while only its picture waits for the refresh (a 1080p slide: see
docs/performance.md, "where the bytes go").

The count is on a grid sample (16x16 pixels of a 64 px tile), sorted per tile in one numpy
call: ~3 ms for a whole 1080p screen. A smooth gradient may count as "text": it is then sent
lossless, exact and a bit larger, never wrong.
"""

from __future__ import annotations

import numpy as np

from suite.screen.regions import Rect, tile_runs
from suite.screen.tiles import as_pixels, grid_shape

SAMPLE_SIDE = 16  # samples per tile side
# More distinct colours than this among a tile's 256 samples: photo-like. Text on a flat
# background stays under ~40; a photo with any grain fills nearly all 256.
PHOTO_COLORS = 96


def photo_tiles(region: np.ndarray, tile_px: int) -> np.ndarray:
    """A boolean ``(rows, cols)`` grid over a BGRA region: True where a tile looks like a photo.

    Tiles start at the region's top-left corner; the last row and column may be partial.
    """
    pixels = as_pixels(region)
    height, width = pixels.shape
    rows, cols = grid_shape(height, width, tile_px)
    step = max(1, tile_px // SAMPLE_SIDE)
    side = -(-tile_px // step)
    sample = pixels[::step, ::step]
    padded = np.empty((rows * side, cols * side), dtype=np.uint32)
    padded[:] = sample[0, 0]  # padding adds at most one colour to a partial tile
    padded[: sample.shape[0], : sample.shape[1]] = sample
    blocks = padded.reshape(rows, side, cols, side).transpose(0, 2, 1, 3).reshape(-1, side * side)
    blocks = np.sort(blocks, axis=1)
    distinct = 1 + np.count_nonzero(blocks[:, 1:] != blocks[:, :-1], axis=1)
    return (distinct > PHOTO_COLORS).reshape(rows, cols)


def split_by_kind(frame: np.ndarray, rect: Rect, tile_px: int) -> list[tuple[Rect, bool]]:
    """``rect`` cut along the screen's tile grid into ``(part, photo_like)`` pieces.

    Returns ``[(rect, kind)]`` unchanged when every tile is of one kind.
    """
    height, width = frame.shape[:2]
    row0, col0 = rect.y // tile_px, rect.x // tile_px
    row1, col1 = -(-rect.bottom // tile_px), -(-rect.right // tile_px)
    window = frame[row0 * tile_px : min(row1 * tile_px, height),
                   col0 * tile_px : min(col1 * tile_px, width)]  # fmt: skip
    grid = photo_tiles(window, tile_px)
    if grid.all() or not grid.any():
        return [(rect, bool(grid.all()))]
    out: list[tuple[Rect, bool]] = []
    for kind, tiles in ((False, ~grid), (True, grid)):
        for run in tile_runs(tiles):
            part = Rect(
                (col0 + run.x) * tile_px, (row0 + run.y) * tile_px,
                run.w * tile_px, run.h * tile_px,
            ).intersect(rect)  # fmt: skip
            if part is not None:
                out.append((part, kind))
    return out
