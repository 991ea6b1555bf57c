"""Image encoders for screen regions, and colour-depth reduction before encoding.

Every encoder takes a BGRA ``(h, w, 4) uint8`` array (a view into the captured frame is fine)
and returns the bytes of one image. Measured at 1920x1080 on the reference machine: JPEG q70
through simplejpeg ~5 ms, PNG level 1 56-113 ms, WebP q70 method 0 36-49 ms. So JPEG is the
lossy default, PNG is used for lossless regions (whose total size per frame the presenter
bounds), and WebP is offered for narrow links where 40 % fewer bytes beat 8x the CPU.
Lossless regions (text, UI, the refresh) are WebP lossless: far smaller than PNG on text.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from enum import StrEnum

import numpy as np
from PIL import Image

from suite.screen.frames import Encoding
from suite.screen.tiles import as_pixels

try:  # simplejpeg encodes straight from BGRA (libjpeg-turbo); Pillow is the fallback.
    import simplejpeg
except ImportError:  # pragma: no cover - depends on the installed wheels
    simplejpeg = None

DEFAULT_QUALITY = 70
# zlib levels 1-3 use the fast matcher; 4 switches to lazy matching: on a 1920x1080 text page
# 105 KB in 47 ms against 129 KB in 48 ms at level 1 (5 runs, best, reference machine).
PNG_COMPRESS_LEVEL = 4
WEBP_METHOD = 0
# Lossless regions: WebP lossless, method 1 at quality (effort) 75. It finds the palette of
# text and UI by itself: a 1400x600 page of text is 8.3 kB against 43 kB as PNG level 4 in
# about the same time (19 vs 15 ms); a slide without its photo 11.6 kB against 74 kB; a grainy
# photo 641 kB against 687 kB (reference machine, best of 3).
LOSSLESS_WEBP_METHOD = 1
LOSSLESS_WEBP_QUALITY = 75
# A region with at most this many distinct colours (in a sample) is text or flat UI: PNG is
# both exact and smaller than JPEG there (a text page: 105 KB PNG vs 214 KB JPEG q70).
FEW_COLORS = 256
COLOR_SAMPLE_PX = 16384


class ColorDepth(StrEnum):
    """The A8 colour-depth option: full colour, 16-bit (65k) or 8-bit (256) colours."""

    FULL = "full"
    HIGH = "65k"
    LOW = "256"


# Masks on the little-endian uint32 of a BGRA pixel (0xAARRGGBB): keep the top bits of each
# channel. 65k is RGB 5-6-5; 256 is RGB 3-3-2, the classic 8-bit true-colour palette.
_DEPTH_MASKS = {
    ColorDepth.HIGH: np.uint32(0xFFF8FCF8),
    ColorDepth.LOW: np.uint32(0xFFE0E0C0),
}


def reduce_colors(frame: np.ndarray, depth: ColorDepth) -> np.ndarray:
    """Drop the low bits of every channel in place, so encoders see fewer distinct colours.

    Done on the whole capture before the diff, so changes below the chosen depth are not even
    sent. Returns ``frame`` itself.
    """
    mask = _DEPTH_MASKS.get(ColorDepth(depth))
    if mask is not None:
        pixels = as_pixels(frame)
        np.bitwise_and(pixels, mask, out=pixels)
    return frame


def has_few_colors(region: np.ndarray, limit: int = FEW_COLORS) -> bool:
    """True if a sample of ``region`` holds at most ``limit`` distinct colours.

    Grid samples keep this well under a millisecond for a full screen: a coarse one first
    (a photo shows more than ``limit`` colours in any ~1000 pixels), then a finer one.
    """
    pixels = as_pixels(region)
    for samples in (COLOR_SAMPLE_PX // 16, COLOR_SAMPLE_PX):
        if len(np.unique(_grid_sample(pixels, samples))) > limit:
            return False
    return True


def _grid_sample(pixels: np.ndarray, samples: int) -> np.ndarray:
    height, width = pixels.shape
    step = 1
    while (height // step) * (width // step) > samples:
        step *= 2
    return pixels[::step, ::step]


class Encoder(ABC):
    """Turns a BGRA region into the payload of a region frame."""

    encoding: Encoding
    lossless: bool

    @abstractmethod
    def encode(self, region: np.ndarray) -> bytes:
        """Encode a ``(h, w, 4)`` BGRA uint8 array."""


def _pillow_rgb(region: np.ndarray) -> Image.Image:
    data = np.ascontiguousarray(region)
    height, width = data.shape[:2]
    return Image.frombuffer("RGB", (width, height), data, "raw", "BGRX", 0, 1)


class JpegEncoder(Encoder):
    """Lossy JPEG, 4:2:0, from BGRA without a colour conversion copy (simplejpeg)."""

    encoding = Encoding.JPEG
    lossless = False

    def __init__(self, quality: int = DEFAULT_QUALITY, use_simplejpeg: bool = True) -> None:
        if not 1 <= quality <= 100:
            raise ValueError(f"JPEG quality must be 1..100, got {quality}")
        self.quality = quality
        self._simplejpeg = simplejpeg if use_simplejpeg else None

    def encode(self, region: np.ndarray) -> bytes:
        if self._simplejpeg is not None:
            return self._simplejpeg.encode_jpeg(
                region, self.quality, colorspace="BGRA", colorsubsampling="420", fastdct=True
            )
        out = io.BytesIO()
        _pillow_rgb(region).save(out, "JPEG", quality=self.quality, subsampling=2)
        return out.getvalue()


class PngEncoder(Encoder):
    """Lossless PNG at a low compression level (speed matters more than the last 10 %)."""

    encoding = Encoding.PNG
    lossless = True

    def __init__(self, compress_level: int = PNG_COMPRESS_LEVEL) -> None:
        self.compress_level = compress_level

    def encode(self, region: np.ndarray) -> bytes:
        out = io.BytesIO()
        _pillow_rgb(region).save(out, "PNG", compress_level=self.compress_level)
        return out.getvalue()


class WebpEncoder(Encoder):
    """WebP, lossy at ``quality`` or lossless; smaller than JPEG/PNG, slower on both ends."""

    encoding = Encoding.WEBP

    def __init__(
        self, quality: int = DEFAULT_QUALITY, lossless: bool = False, method: int = WEBP_METHOD
    ) -> None:
        self.quality = quality
        self.lossless = lossless
        self.method = method

    def encode(self, region: np.ndarray) -> bytes:
        out = io.BytesIO()
        _pillow_rgb(region).save(
            out, "WEBP", quality=self.quality, lossless=self.lossless, method=self.method
        )
        return out.getvalue()


def decode(payload: bytes) -> np.ndarray:
    """Decode any payload to an RGB ``(h, w, 3) uint8`` array (for tests and the benchmark)."""
    with Image.open(io.BytesIO(payload)) as image:
        return np.asarray(image.convert("RGB"))


class LossyCodec(StrEnum):
    JPEG = "jpeg"
    WEBP = "webp"


def make_encoders(
    quality: int = DEFAULT_QUALITY, codec: LossyCodec = LossyCodec.JPEG
) -> tuple[Encoder, Encoder]:
    """The (lossy, lossless) pair the presenter uses for changes and for refinement."""
    lossy: Encoder = JpegEncoder(quality) if codec is LossyCodec.JPEG else WebpEncoder(quality)
    return lossy, WebpEncoder(LOSSLESS_WEBP_QUALITY, lossless=True, method=LOSSLESS_WEBP_METHOD)
