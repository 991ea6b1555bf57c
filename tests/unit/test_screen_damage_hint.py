"""The tile diff restricted to the X server's damage (the presenter's region hint)."""

from __future__ import annotations

import numpy as np
import pytest

from suite.screen.encoders import decode
from suite.screen.regions import Rect
from suite.screen.stream import ScreenStream, StreamOptions
from suite.screen.tiles import MAX_HINT_RECTS, changed_tiles, changed_tiles_in

W, H = 330, 200  # not multiples of the 64 px tile: the edge tiles are partial


def _frames() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    before = rng.integers(0, 255, (H, W, 4), dtype=np.uint8)
    after = before.copy()
    for x, y in [(0, 0), (70, 10), (329, 199), (200, 130)]:
        after[y, x, 0] ^= 0xFF
    return before, after


@pytest.mark.parametrize("count", [1, MAX_HINT_RECTS + 5])
def test_hinted_diff_equals_the_full_diff_where_the_damage_covers_the_changes(count):
    """Damage rectangles around each change (one, or more than the bounding-box limit) give
    the very grid of the full diff, including the partial edge tiles."""
    before, after = _frames()
    changes = [(0, 0, 1, 1), (70, 10, 1, 1), (329, 199, 1, 1), (200, 130, 1, 1)]
    hint = (changes * count)[: max(count, len(changes))]
    assert np.array_equal(changed_tiles_in(before, after, hint), changed_tiles(before, after))


def test_changes_outside_the_damage_are_not_looked_at():
    """Only tiles the damage touches are compared; no damage, no changed tile."""
    before, after = _frames()
    grid = changed_tiles_in(before, after, [(66, 0, 10, 20)])
    assert grid.sum() == 1 and grid[0, 1]
    assert not changed_tiles_in(before, after, []).any()


def test_stream_ignores_the_hint_after_a_mask_change_and_on_the_first_capture():
    """The first capture and the one after a new window mask are diffed whole."""
    before, after = _frames()
    stream = ScreenStream(W, H, StreamOptions(lossless=True))
    assert stream.encode(before.copy(), 0.0, damage=[])  # the key frame despite no damage
    assert stream.encode(after.copy(), 10.0, damage=[]) == []  # the hint says: nothing
    stream.set_mask(None)  # unchanged mask: the hint still holds
    assert stream.encode(after.copy(), 20.0, damage=[Rect(0, 0, 1, 1)])


def test_a_slide_keeps_its_text_lossless_and_sends_only_its_photo_lossy():
    """A slide-like change (text lines beside a grainy photo) sends the photo's tiles as JPEG
    and every other tile lossless, exact from the first picture."""
    from suite.screen.encoders import decode  # noqa: PLC0415
    from suite.screen.frames import Encoding  # noqa: PLC0415

    w, h = 640, 384
    screen = np.full((h, w, 4), 250, np.uint8)
    rng = np.random.default_rng(3)
    for row in range(0, 300, 24):  # "text": black and grey strokes on white
        screen[row + 4 : row + 16, 10:300, :3] = rng.choice([0, 90, 160, 250], (12, 290, 1))
    screen[64:320, 384:640, :3] = rng.integers(0, 255, (256, 256, 3))  # the photo, 4x4 tiles
    stream = ScreenStream(w, h, StreamOptions())
    frames = stream.encode(screen.copy(), 0.0)
    lossy = [(f.x, f.y, f.w, f.h) for f in frames if f.encoding is Encoding.JPEG]
    assert lossy == [(384, 64, 256, 256)]
    canvas = np.zeros((h, w, 3), np.uint8)
    for f in frames:
        canvas[f.y : f.y + f.h, f.x : f.x + f.w] = decode(f.payload)
    text = (slice(0, 64), slice(0, w)), (slice(0, h), slice(0, 384))
    for area in text:
        assert np.array_equal(canvas[area], screen[..., 2::-1][area])


def test_a_change_grabbed_before_its_damage_is_reported_is_still_sent_then():
    """A grab may already show pixels whose damage comes with the next capture: they are not
    taken as known, and go out when that damage arrives."""
    before, after = _frames()
    stream = ScreenStream(W, H, StreamOptions(lossless=True))
    stream.encode(before.copy(), 0.0)
    assert stream.encode(after.copy(), 10.0, damage=[]) == []  # grabbed, not yet reported
    frames = stream.encode(after.copy(), 20.0, damage=[Rect(0, 0, W, H)])
    canvas = before[..., 2::-1].copy()
    for f in frames:
        canvas[f.y : f.y + f.h, f.x : f.x + f.w] = decode(f.payload)
    assert np.array_equal(canvas, after[..., 2::-1])


def test_a_1080p_slide_change_sends_its_text_exact_and_small_and_refreshes_only_the_photo():
    """A 1080p slide change (a new background, title bar, six lines of text, a chart, a 700x500
    grainy photo): everything but the photo's tiles is exact in the first picture and costs
    under 40 kB; the refresh then covers only the photo's tiles."""
    from PIL import Image, ImageDraw  # noqa: PLC0415

    from suite.screen.frames import Encoding  # noqa: PLC0415

    def slide(n: int) -> np.ndarray:
        image = Image.new("RGB", (1920, 1080), (245, 247 - n, 250))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, 1920, 150), fill=(30 + 40 * n, 60, 140))
        draw.text((80, 40), f"Quarterly offer {n}", fill="white", font_size=64)
        for line in range(6):
            draw.text((100, 220 + 70 * line), f"Benefit {line} of slide {n}", fill=(20, 20, 30),
                      font_size=34)  # fmt: skip
        for bar in range(6):
            draw.rectangle((120 + bar * 110, 700 - 30 * ((bar + n) % 5), 200 + bar * 110, 1000),
                           fill=(200, 80, 40))  # fmt: skip
        rgb = np.asarray(image).copy()
        rng = np.random.default_rng(n)
        rgb[260:760, 1140:1840] = np.clip(rng.normal(128, 40, (500, 700, 3)), 0, 255)
        return np.dstack([rgb[..., ::-1], np.full((1080, 1920), 255, np.uint8)])

    stream = ScreenStream(1920, 1080, StreamOptions(refresh_still_ms=100))
    stream.encode(slide(1), 0.0)
    while stream.refresh_pending:
        stream.encode(slide(1), 1000.0)
    new = slide(2)
    frames = stream.encode(new.copy(), 2000.0)
    exact = [f for f in frames if f.lossless]
    assert sum(f.w * f.h for f in exact) > 1920 * 1080 * 3 // 4
    assert sum(len(f.payload) for f in exact) < 40_000
    for f in exact:
        assert np.array_equal(decode(f.payload), new[f.y : f.y + f.h, f.x : f.x + f.w, 2::-1])
    lossy = [f for f in frames if not f.lossless]
    assert [f.encoding for f in lossy] == [Encoding.JPEG]
    refreshed = stream.encode(new.copy(), 3000.0)
    assert refreshed and all(1088 <= f.x and f.x + f.w <= 1856 for f in refreshed)
