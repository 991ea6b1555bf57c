"""The agent app's icon, drawn with Pillow from ui/common/favicon.svg's shapes (D2).

build/deb/make_deb.py draws the hicolor PNGs from it at build time. The Windows and macOS
icon files are made once and committed (``python build/icons.py`` rewrites them):
``build/windows/remotesales-agent.ico`` (16-256 px) and ``build/macos/remotesales-agent.icns``.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def _arc(cx: float, cy: float, r: float, start_deg: float, end_deg: float) -> list[tuple]:
    steps = 8
    return [
        (cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
        for a in (start_deg + (end_deg - start_deg) * i / steps for i in range(steps + 1))
    ]


# The favicon's bubble path (viewBox 0 0 32 32), its 2.5-unit corners as arcs.
BUBBLE = [
    *_arc(10.5, 10.5, 2.5, 180, 270),
    *_arc(21.5, 10.5, 2.5, 270, 360),
    *_arc(21.5, 17.5, 2.5, 0, 90),
    (15, 20),
    (10.5, 24),
    (10.5, 20),
    *_arc(10.5, 17.5, 2.5, 90, 180),
]


def draw_icon(size: int) -> Image.Image:
    """ui/common/favicon.svg (a speech bubble on a blue rounded square) drawn at ``size`` px,
    supersampled 8x so that small sizes stay smooth."""
    scale = size * 8 / 32
    big = Image.new("RGBA", (size * 8, size * 8), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    blue, white = (47, 84, 235, 255), (255, 255, 255, 255)
    draw.rounded_rectangle([0, 0, size * 8 - 1, size * 8 - 1], radius=8 * scale, fill=blue)
    points = [(x * scale, y * scale) for x, y in BUBBLE]
    # Closed, with round joins everywhere (the SVG's stroke-linejoin="round").
    draw.line(points + points[:2], fill=white, width=max(1, round(2 * scale)), joint="curve")
    return big.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    draw_icon(256).save(
        HERE / "windows" / "remotesales-agent.ico",
        sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)],
    )
    draw_icon(1024).save(HERE / "macos" / "remotesales-agent.icns")


if __name__ == "__main__":
    main()
