"""Known screen content for presentation tests: painted on Xvfb, compared with what arrives."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

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


def rgb_of(bgra: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgra[..., 2::-1])
