"""Known screen content for presentation tests: painted on Xvfb, compared with what arrives."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from tests.support.motion_content import photo

SCREEN_W, SCREEN_H = 960, 540  # 540 is not a multiple of the 64 px tile: edge tiles are partial


def document(seed: int) -> np.ndarray:
    """A BGRA test screen: black text on white, a colour gradient band, a photo-like block."""
    image = Image.new("RGB", (SCREEN_W, SCREEN_H), "white")
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(seed)
    for line in range(18):
        words = " ".join("".join(rng.choice(list("abcdefghijklmnop"), 6)) for _ in range(9))
        draw.text((20, 20 + line * 16), words, fill=(0, 0, 0))
    rgb = np.array(image)
    ramp = np.linspace(0, 255, SCREEN_W, dtype=np.uint8)
    rgb[330:400, :, 0] = ramp
    rgb[330:400, :, 2] = ramp[::-1]
    rgb[420:520, 600:900] = rng.integers(0, 255, (100, 300, 3), dtype=np.uint8) // 4 + 96
    bgra = np.empty((SCREEN_H, SCREEN_W, 4), np.uint8)
    bgra[..., :3] = rgb[..., ::-1]
    bgra[..., 3] = 255
    return bgra


# A slide's photo: x, y, w, h, off the 64 px grid so that its edge tiles hold background too.
SLIDE_PHOTO = (500, 130, 320, 240)


def slide(seed: int, photo_noise: float = 3.0) -> np.ndarray:
    """A BGRA slide: a title bar, lines of text and a grainy photo on a flat background."""
    image = Image.new("RGB", (SCREEN_W, SCREEN_H), (245, 247, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SCREEN_W, 80), fill=(30 + 40 * seed, 60, 140))
    draw.text((40, 30), f"Offer {seed}: what you get", fill="white")
    for line in range(8):
        draw.text((40, 120 + line * 30), f"Benefit {line} of slide {seed}", fill=(20, 20, 30))
    bgra = np.empty((SCREEN_H, SCREEN_W, 4), np.uint8)
    bgra[..., :3] = np.asarray(image)[..., ::-1]
    bgra[..., 3] = 255
    x, y, w, h = SLIDE_PHOTO
    bgra[y : y + h, x : x + w] = photo(w, h, seed=seed, noise=photo_noise)
    return bgra


def rgb_of(bgra: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgra[..., 2::-1])
