"""The settled picture of photo-like tiles: JPEG 4:4:4 at the lowest quality that keeps every
tile at or above a PSNR floor (45 dB by default), instead of their lossless refresh.

Text and UI tiles still end pixel-exact (WebP lossless); only tiles that
:mod:`suite.screen.tile_kinds` judges photo-like settle here. Why a floor and not lossless: a
photo's last bits are its grain, which lossless coding must spell out one by one. On the
benchmark deck's 700x500 photo (grain of sigma 6) the exact refresh is 641 kB (WebP lossless)
while the lowest JPEG quality at >= 45 dB in every 64 px tile (q99) is 567 kB; on a real
downscaled photograph 549 kB against 369 kB. 4:4:4 because chroma subsampling alone caps such a
photo near 34 dB whatever the quality (docs/performance.md, "Slides").

The quality is found by bisection over :data:`QUALITIES` (3 encodes and decodes of the
region); when even the highest does not reach the floor, :func:`settle_photo` returns None and
the caller sends the region lossless, as it does when the lossless picture is smaller (near
the top qualities, :data:`COMPARE_FROM_QUALITY`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from suite.screen.tiles import as_pixels

try:  # the same libjpeg-turbo binding the lossy encoder uses; Pillow is the fallback.
    import simplejpeg
except ImportError:  # pragma: no cover - depends on the installed wheels
    simplejpeg = None

FLOOR_DB = 45.0
# Below 90 no photo-like tile reaches 45 dB (a photo with grain measured 33 dB at 90); the
# steps are finer at the top, where the size grows fastest per dB. 100 is left out: it was
# larger than lossless WebP on every photo tried (the deck's photo 691 against 641 kB).
QUALITIES = (90, 93, 95, 96, 97, 98, 99)
# From this quality on the JPEG may be no smaller than the lossless picture (uniform noise:
# q99 77 kB against 68 kB lossless): the caller encodes both and sends the smaller.
COMPARE_FROM_QUALITY = 98


@dataclass(frozen=True)
class SettledPicture:
    """A region's settled JPEG and what it was measured at."""

    payload: bytes
    quality: int
    min_tile_psnr_db: float  # the worst tile's PSNR against the screen


def tile_psnr(original: np.ndarray, decoded: np.ndarray, tile_px: int) -> np.ndarray:
    """PSNR in dB of each ``tile_px`` tile (the last row and column may be partial).

    Args:
        original, decoded: ``(h, w, >=3)`` uint8 arrays; the first three channels are compared.

    Returns:
        A ``(rows, cols)`` float array; ``inf`` where a tile is exact.
    """
    height, width = original.shape[:2]
    diff = original[..., :3].astype(np.int32) - decoded[..., :3].astype(np.int32)
    squared = np.einsum("ijk,ijk->ij", diff, diff).astype(np.float64)
    rows, cols = -(-height // tile_px), -(-width // tile_px)
    padded = np.zeros((rows * tile_px, cols * tile_px))
    padded[:height, :width] = squared
    sums = padded.reshape(rows, tile_px, cols, tile_px).sum(axis=(1, 3))
    tile_h = np.minimum(tile_px, height - np.arange(rows) * tile_px)
    tile_w = np.minimum(tile_px, width - np.arange(cols) * tile_px)
    mse = sums / (np.outer(tile_h, tile_w) * 3)
    with np.errstate(divide="ignore"):
        return np.where(mse == 0, np.inf, 10 * np.log10(255.0**2 / np.maximum(mse, 1e-12)))


def encode_jpeg_444(region: np.ndarray, quality: int) -> bytes:
    """A BGRA region as a full-colour (4:4:4) JPEG."""
    if simplejpeg is not None:
        return simplejpeg.encode_jpeg(
            np.ascontiguousarray(region), quality, colorspace="BGRA", colorsubsampling="444"
        )
    data = np.ascontiguousarray(region)
    size = (int(data.shape[1]), int(data.shape[0]))
    image = Image.frombuffer("RGB", size, data, "raw", "BGRX", 0, 1)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling=0)
    return out.getvalue()


def decode_jpeg_bgr(payload: bytes) -> np.ndarray:
    """Decode a JPEG to ``(h, w, 3)`` BGR, the channel order of the captured frame."""
    if simplejpeg is not None:
        return simplejpeg.decode_jpeg(payload, colorspace="BGR")
    with Image.open(io.BytesIO(payload)) as image:
        return np.asarray(image.convert("RGB"))[..., ::-1]


def photo_core(region: np.ndarray) -> tuple[int, int, int, int]:
    """Where the photo is inside a photo-like region: ``(top, left, bottom, right)`` offsets
    after the outer rows and columns of one colour each (a flat background around the picture,
    which shares its edge tiles) are trimmed off. Those strips are UI and must stay exact.

    Returns ``(0, 0, 0, 0)``-sized bounds (``top == bottom``) when the whole region is flat.
    """
    pixels = as_pixels(region)
    width = pixels.shape[1]
    busy_rows = np.flatnonzero(~(pixels == pixels[:, :1]).all(axis=1))
    if not len(busy_rows):
        return 0, 0, 0, 0
    top, bottom = int(busy_rows[0]), int(busy_rows[-1]) + 1
    rows = pixels[top:bottom]
    busy_cols = np.flatnonzero(~(rows == rows[:1, :]).all(axis=0))
    left, right = (int(busy_cols[0]), int(busy_cols[-1]) + 1) if len(busy_cols) else (0, width)
    return top, left, bottom, right


def settle_photo(
    region: np.ndarray, tile_px: int, floor_db: float = FLOOR_DB
) -> SettledPicture | None:
    """The smallest JPEG of ``QUALITIES`` whose every tile is at least ``floor_db`` dB.

    Args:
        region: a BGRA ``(h, w, 4)`` region whose tiles start at its top-left corner.
        tile_px: the tile side the floor is measured on.

    Returns:
        The settled picture, or None when even the highest quality misses the floor: the
        caller must then send the region lossless.
    """
    best: SettledPicture | None = None
    low, high = 0, len(QUALITIES) - 1
    while low <= high:
        middle = (low + high) // 2
        payload = encode_jpeg_444(region, QUALITIES[middle])
        worst = float(tile_psnr(region, decode_jpeg_bgr(payload), tile_px).min())
        if worst >= floor_db:
            best = SettledPicture(payload, QUALITIES[middle], worst)
            high = middle - 1
        else:
            low = middle + 1
    return best
