"""What the benchmark's painter shows on the Xvfb root window: slides, typing, motion.

``paint_loop`` runs in a child process of ``scripts/bench_stream.py``; ``pipeline_costs`` uses
the same scenes without X.
"""

from __future__ import annotations

import signal
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.support.x11_paint import RootPainter

WIDTH, HEIGHT = 1920, 1080
QUALITY = 70  # JPEG quality of the presenter and of the baseline
PHOTO_BOX = (1140, 260, 700, 500)  # x, y, w, h of a slide's photo-like picture
MONO_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SANS_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size=size)


def _bgra(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"))
    out = np.empty((*rgb.shape[:2], 4), np.uint8)
    out[..., :3] = rgb[..., ::-1]
    out[..., 3] = 255
    return out


def _photo(width: int, height: int, seed: int) -> Image.Image:
    """A smooth, photo-like picture (blurred colour noise with shapes)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 24 + 1, width // 24 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(20, 160))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


def render_slides(count: int = 4) -> list[np.ndarray]:
    slides = []
    title, body = _font(SANS_FONT, 64), _font(SANS_FONT, 34)
    for n in range(count):
        image = Image.new("RGB", (WIDTH, HEIGHT), (245, 247, 250))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, WIDTH, 150), fill=(30 + 40 * n, 60, 140))
        draw.text((80, 40), f"Quarterly offer {n + 1}: what you get", fill="white", font=title)
        for line in range(6):
            draw.text((100, 220 + line * 70), f"• Benefit {line + 1} of slide {n + 1}: "
                      "faster delivery and support", fill=(20, 20, 30), font=body)  # fmt: skip
        image.paste(_photo(PHOTO_BOX[2], PHOTO_BOX[3], n), PHOTO_BOX[:2])
        for bar in range(6):
            top = 1000 - 40 * (bar + n) % 300 - 60
            draw.rectangle((120 + bar * 110, top, 200 + bar * 110, 1000), fill=(200, 80, 40))
        slides.append(_bgra(image))
    return slides


class DocumentScene:
    """A text editor: a document typed character by character, scrolled a step every 3 s."""

    LINE_PX = 26
    CHAR_PX = 12
    MARGIN = 60
    COLUMNS = 110

    def __init__(self) -> None:
        font = _font(MONO_FONT, 20)
        rng = np.random.default_rng(7)
        words = (
            "price offer delivery the customer support contract and monthly service of team "
            "plan discount quality to"
        ).split()
        self.lines = []
        for _ in range(400):
            text = ""
            while len(text) < self.COLUMNS - 12:
                text += str(rng.choice(words)) + " "
            self.lines.append(text.rstrip())
        self.doc_h = len(self.lines) * self.LINE_PX + HEIGHT
        full = Image.new("RGB", (WIDTH, self.doc_h), "white")
        draw = ImageDraw.Draw(full)
        for index, text in enumerate(self.lines):
            draw.text((self.MARGIN, 10 + index * self.LINE_PX), text, fill=(0, 0, 0), font=font)
        self.full = _bgra(full)
        self.blank = np.full((self.LINE_PX, WIDTH, 4), 255, np.uint8)
        self.scroll_line = 0
        self.line = 20  # the line being typed (document line index)
        self.column = 0

    def _visible(self) -> np.ndarray:
        """The screen: lines above the typing line complete, the typing line up to the caret."""
        top = self.scroll_line * self.LINE_PX
        frame = self.full[top : top + HEIGHT].copy()
        first_hidden = (self.line + 1 - self.scroll_line) * self.LINE_PX
        if first_hidden < HEIGHT:
            frame[max(0, first_hidden) :] = 255
        row = (self.line - self.scroll_line) * self.LINE_PX
        if 0 <= row < HEIGHT:
            frame[row : row + self.LINE_PX, self.MARGIN + self.column * self.CHAR_PX :] = 255
        return frame

    def first(self) -> np.ndarray:
        return self._visible()

    def type_char(self) -> tuple[np.ndarray, int, int]:
        """Reveal one more character; returns (patch, x, y) to paint."""
        self.column += 1
        if self.column > len(self.lines[self.line]):
            self.line += 1
            self.column = 0
        row = (self.line - self.scroll_line) * self.LINE_PX
        x = self.MARGIN + max(0, self.column - 1) * self.CHAR_PX
        top = self.line * self.LINE_PX
        patch = self.full[top : top + self.LINE_PX, x : x + self.CHAR_PX]
        return np.ascontiguousarray(patch), x, row

    def scroll(self) -> np.ndarray:
        self.scroll_line += 3
        return self._visible()


def paint_loop(content: str, env: dict[str, str], activity, running, ready, changes=None) -> None:
    """Child process: paint ``content`` until ``running`` clears; only while ``activity`` is set.

    ``changes`` (a multiprocessing queue, optional) gets the wall-clock ms of each slide change,
    taken just before the paint starts.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    painter = RootPainter(env)
    if content == "slides":
        slides = render_slides()
        painter.paint(slides[0])
        ready.set()
        index, next_change = 0, time.monotonic() + 2.0
        while running.is_set():
            if activity.is_set() and time.monotonic() >= next_change:
                index = (index + 1) % len(slides)
                if changes is not None:
                    changes.put(time.time() * 1000)
                painter.paint(slides[index])
                next_change += 2.0
            time.sleep(0.01)
    elif content == "typing":
        scene = DocumentScene()
        painter.paint(scene.first())
        ready.set()
        next_char = next_scroll = time.monotonic()
        next_scroll += 3.0
        while running.is_set():
            now = time.monotonic()
            if activity.is_set():
                if now >= next_scroll:
                    painter.paint(scene.scroll())
                    next_scroll += 3.0
                if now >= next_char:
                    patch, x, y = scene.type_char()
                    painter.paint(patch, x, y)
                    next_char += 1 / 12  # 12 characters a second: a fast typist
            else:
                next_char = next_scroll = now
                next_scroll += 3.0
            time.sleep(0.005)
    elif content == "motion":
        base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
        offset = 0
        painter.paint(np.ascontiguousarray(base[:, :WIDTH]))
        ready.set()
        next_frame = time.monotonic()
        while running.is_set():
            if activity.is_set() and time.monotonic() >= next_frame:
                offset = (offset + 6) % WIDTH
                painter.paint(np.ascontiguousarray(base[:, offset : offset + WIDTH]))
                next_frame += 1 / 60
                next_frame = max(next_frame, time.monotonic() - 0.05)
            time.sleep(0.002)
    painter.close()
