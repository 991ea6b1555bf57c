"""The whiteboard's pixels on the relay (CH3): one element list, one image, for every side.

"Save as BMP" and the image a replaced board leaves in the file list are drawn here with
Pillow, from the same elements and by the same geometry rules as the canvas
(``ui/common/whiteboard/renderer.js``; docs/architecture.md, *Whiteboard*):

- the picture covers the live elements' bounds (half the line width included) plus
  :data:`MARGIN_PX` on every side, at one pixel per board pixel, on white; an empty board is
  :data:`EMPTY_W` × :data:`EMPTY_H` of white;
- elements are drawn in order ``(z, id)``;
- pen and line: a polyline through the points, ``width`` wide, round caps and joins (a single
  point is a dot of diameter ``width``);
- rectangle and ellipse: the outline of the box ``x, y, w, h``, centred on its edge (half the
  width inside, half outside);
- text: lines split at ``\\n``, ``size`` px Noto Sans CJK (Korean and Latin), the first line's
  top at ``y``, lines ``1.25 × size`` apart;
- image: the picture stretched over the box (a missing file: a grey box).

Pillow does not antialias: the canvas does, so the two agree within antialiasing.
The file is byte-identical for every caller: one list, one renderer, no timestamps.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from suite.whiteboard.model import Element, board_bounds

MARGIN_PX = 16
EMPTY_W, EMPTY_H = 640, 480
MAX_RENDER_PIXELS = 40_000_000  # a board spread wider is drawn scaled down to fit this
LINE_HEIGHT = 1.25
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)

ImageSource = Callable[[str], bytes | None]


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            # The .ttc holds JP, KR, SC...: KR (1) is what the canvas asks for by name.
            return ImageFont.truetype(path, size, index=1 if path.endswith(".ttc") else 0)
    return ImageFont.load_default(size)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def render(elements: Iterable[Element], image_source: ImageSource | None = None) -> Image.Image:
    """The board as an RGB image (the elements in drawing order, tombstones left out)."""
    shown = sorted((e for e in elements if not e["deleted"]), key=lambda e: (e["z"], e["id"]))
    box = board_bounds(shown)
    if box is None:
        return Image.new("RGB", (EMPTY_W, EMPTY_H), "white")
    left, top = box[0] - MARGIN_PX, box[1] - MARGIN_PX
    width, height = box[2] - box[0] + 2 * MARGIN_PX, box[3] - box[1] + 2 * MARGIN_PX
    scale = min(1.0, (MAX_RENDER_PIXELS / (width * height)) ** 0.5)
    picture = Image.new(
        "RGB", (max(1, round(width * scale)), max(1, round(height * scale))), "white"
    )
    draw = ImageDraw.Draw(picture)

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - left) * scale, (y - top) * scale

    for element in shown:
        colour = _rgb(element["color"])
        stroke = max(1, round(element["width"] * scale))
        kind = element["kind"]
        if kind in ("pen", "line"):
            points = [at(*p) for p in element["points"]]
            if len(points) > 1:
                draw.line(points, fill=colour, width=stroke, joint="curve")
            radius = stroke / 2
            for x, y in (points[0], points[-1]) if stroke > 2 else ():
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
            continue
        x0, y0 = at(element["x"], element["y"])
        x1, y1 = at(element["x"] + element["w"], element["y"] + element["h"])
        half = stroke / 2
        outer = (x0 - half, y0 - half, x1 + half, y1 + half)
        if kind == "rectangle":
            draw.rectangle(outer, outline=colour, width=stroke)
        elif kind == "ellipse":
            draw.ellipse(outer, outline=colour, width=stroke)
        elif kind == "text":
            size = max(1, round(element["size"] * scale))
            font = _font(size)
            for row, line in enumerate(element["text"].split("\n")):
                draw.text((x0, y0 + row * size * LINE_HEIGHT), line, fill=colour, font=font)
        elif kind == "image":
            data = image_source(element["image"]) if image_source else None
            target = (max(1, round(x1 - x0)), max(1, round(y1 - y0)))
            try:
                if data is None:
                    raise OSError("missing")
                with Image.open(io.BytesIO(data)) as source:
                    picture.paste(source.convert("RGB").resize(target), (round(x0), round(y0)))
            except (OSError, ValueError):
                draw.rectangle((x0, y0, x1, y1), fill=(200, 200, 200))
    return picture


def to_bmp(elements: Iterable[Element], image_source: ImageSource | None = None) -> bytes:
    """The board as a 24-bit BMP file."""
    out = io.BytesIO()
    render(elements, image_source).save(out, format="BMP")
    return out.getvalue()


def to_png(elements: Iterable[Element], image_source: ImageSource | None = None) -> bytes:
    """The board as a PNG file (what a replaced board leaves in the file list)."""
    out = io.BytesIO()
    render(elements, image_source).save(out, format="PNG", optimize=False)
    return out.getvalue()
