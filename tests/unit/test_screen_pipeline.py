"""Encoders, colour depth, lossless refresh, window masks and the whole ScreenStream."""

from __future__ import annotations

import numpy as np
import pytest

from suite.screen.capture import SyntheticSource
from suite.screen.encoders import (
    ColorDepth,
    JpegEncoder,
    PngEncoder,
    WebpEncoder,
    decode,
    has_few_colors,
    reduce_colors,
)
from suite.screen.frames import Encoding, RegionFrame
from suite.screen.masks import WindowMask
from suite.screen.refresh import LosslessRefresh
from suite.screen.regions import Rect, changed_bounds
from suite.screen.stream import ScreenStream, StreamOptions

W, H = 320, 200


def picture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frame = np.zeros((H, W, 4), np.uint8)
    frame[..., 0] = np.linspace(0, 255, W, dtype=np.uint8)
    frame[..., 1] = np.linspace(0, 255, H, dtype=np.uint8)[:, None]
    frame[40:80, 40:200, :3] = rng.integers(0, 255, (40, 160, 3), dtype=np.uint8)
    frame[..., 3] = 255
    return frame


def rgb(bgra: np.ndarray) -> np.ndarray:
    return bgra[..., 2::-1]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.mark.parametrize(
    "encoder", [PngEncoder(), WebpEncoder(lossless=True)], ids=["png", "webp-lossless"]
)
def test_lossless_encoders_are_exact(encoder):
    """PNG and lossless WebP give back the very pixels, also of a non-contiguous view."""
    frame = picture()
    region = frame[10:150, 30:300]
    assert np.array_equal(decode(encoder.encode(region)), rgb(region))


@pytest.mark.parametrize(
    "encoder",
    [JpegEncoder(70), JpegEncoder(70, use_simplejpeg=False), WebpEncoder(70)],
    ids=["simplejpeg", "pillow-jpeg", "webp"],
)
def test_lossy_encoders_are_close(encoder):
    """Lossy encoders stay above 30 dB on a gradient picture."""
    region = picture()[90:, :200]  # the gradient, not the noise block
    assert psnr(decode(encoder.encode(region)), rgb(region)) > 30


def test_jpeg_quality_is_checked():
    """A quality outside 1..100 is refused."""
    with pytest.raises(ValueError, match="quality"):
        JpegEncoder(0)


@pytest.mark.parametrize(
    "depth, masks", [(ColorDepth.HIGH, (0xF8, 0xFC, 0xF8)), (ColorDepth.LOW, (0xC0, 0xE0, 0xE0))]
)
def test_colour_reduction_keeps_the_top_bits(depth, masks):
    """65k keeps B5 G6 R5 bits, 256 keeps B2 G3 R3; alpha is untouched; FULL changes nothing."""
    frame = np.full((2, 2, 4), 0xFF, np.uint8)
    reduce_colors(frame, depth)
    assert tuple(frame[0, 0]) == (*masks, 0xFF)
    untouched = picture()
    assert np.array_equal(reduce_colors(untouched.copy(), ColorDepth.FULL), untouched)


def test_refresh_waits_for_stillness_then_sends_within_budget():
    """Lossy tiles are due only after still_ms, in chunks no larger than the budget."""
    refresh = LosslessRefresh(320, 200, 64, still_ms=100, budget_px=320 * 64)
    grid = np.ones((4, 5), bool)
    refresh.note_changed(grid, 1000)
    refresh.note_sent(Rect(0, 0, 320, 200), lossless=False)
    assert refresh.pending and refresh.due(1050) == []
    first = refresh.due(1100)
    assert first == [Rect(0, 0, 320, 64)]
    for rect in first:
        refresh.note_sent(rect, lossless=True)
    rest = []
    while refresh.pending:
        chunk = refresh.due(1200)
        assert sum(r.area for r in chunk) <= 320 * 64
        for rect in chunk:
            refresh.note_sent(rect, lossless=True)
        rest += chunk
    assert rest[-1].bottom == 200


def test_refresh_skips_tiles_that_keep_changing():
    """A tile that changed recently is not refreshed; still ones are."""
    refresh = LosslessRefresh(128, 64, 64, still_ms=100)
    refresh.note_changed(np.array([[True, True]]), 0)
    refresh.note_sent(Rect(0, 0, 128, 64), lossless=False)
    refresh.note_changed(np.array([[False, True]]), 90)
    assert refresh.due(150) == [Rect(0, 0, 64, 64)]


def test_mask_blacks_everything_outside_the_windows():
    """Pixels outside the union of windows are zero; inside they are unchanged."""
    frame = picture()
    mask = WindowMask([Rect(10, 10, 50, 40), Rect(300, 150, 100, 100)], W, H)
    assert mask.rects[1] == Rect(300, 150, 20, 50)  # clipped to the screen
    out = mask.apply(frame)
    inside = np.zeros((H, W), bool)
    for rect in mask.rects:
        inside[rect.slices()] = True
    assert not out[~inside].any()
    assert np.array_equal(out[inside], frame[inside])
    assert mask.contains(10, 10) and not mask.contains(9, 10)


def decoded_canvas(frames: list[RegionFrame], canvas: np.ndarray) -> np.ndarray:
    for frame in frames:
        canvas[frame.y : frame.y + frame.h, frame.x : frame.x + frame.w] = decode(frame.payload)
    return canvas


def test_stream_sends_key_frame_then_only_changes_then_refresh():
    """The first picture's photo tiles as JPEG and the rest lossless, then just the changed
    pixels, then the lossless refresh (WebP) until everything is exact."""
    stream = ScreenStream(W, H, StreamOptions(refresh_still_ms=100))
    first = picture()
    frames = stream.encode(first.copy(), 1000)
    assert sum(f.w * f.h for f in frames) == W * H
    # The two-way gradient has as many colours as a photo; only the 8 px high last row of
    # tiles, sampled on 2 rows, has few.
    assert [(f.x, f.y, f.w, f.h) for f in frames if f.encoding is Encoding.JPEG] == [
        (0, 0, 320, 192)
    ]
    assert all(f.lossless for f in frames if f.encoding is not Encoding.JPEG)
    canvas = decoded_canvas(frames, np.zeros((H, W, 3), np.uint8))
    second = first.copy()
    second[150:160, 200:250] = 0
    frames = stream.encode(second.copy(), 1010)
    # Only the changed pixels, and as PNG: a flat black block has few colours.
    assert [(f.x, f.y, f.w, f.h, f.lossless) for f in frames] == [(200, 150, 50, 10, True)]
    assert [f.seq for f in frames] == [3]  # after the first picture's two parts
    canvas = decoded_canvas(frames, canvas)
    assert stream.encode(second.copy(), 1050) == []  # still, but not long enough
    now = 1200
    while stream.refresh_pending:
        frames = stream.encode(second.copy(), now)
        assert frames and all(f.lossless and f.encoding is Encoding.WEBP for f in frames)
        canvas = decoded_canvas(frames, canvas)
        now += 10
    assert np.array_equal(canvas, rgb(second))
    assert stream.encode(second.copy(), now + 1000) == []  # idle: nothing more


def test_lossless_stream_is_exact_at_once_and_masked():
    """With lossless and a mask, every frame is PNG and shows nothing outside the window."""
    stream = ScreenStream(W, H, StreamOptions(lossless=True))
    stream.set_mask(WindowMask([Rect(64, 64, 100, 50)], W, H))
    source = SyntheticSource(W, H, lambda n: picture(n))
    canvas = np.zeros((H, W, 3), np.uint8)
    for n in range(3):
        frames = stream.encode(source.grab(), 1000 + n)
        assert all(f.lossless for f in frames)
        canvas = decoded_canvas(frames, canvas)
    expected = np.zeros_like(canvas)
    expected[64:114, 64:164] = rgb(picture(2))[64:114, 64:164]
    assert np.array_equal(canvas, expected)


def test_restart_starts_seq_again_with_a_key_frame():
    """After restart() the next capture is a key frame numbered 1."""
    stream = ScreenStream(W, H)
    stream.encode(picture(), 1)
    stream.encode(picture(1), 2)
    stream.restart()
    frames = stream.encode(picture(1), 3)
    assert frames[0].seq == 1 and sum(f.w * f.h for f in frames) == W * H


def test_a_photo_like_change_goes_out_as_jpeg_and_text_lossless():
    """Few colours (text, UI) are sent lossless at once; many colours lossy."""
    stream = ScreenStream(W, H)
    base = np.full((H, W, 4), 255, np.uint8)
    stream.encode(base.copy(), 0)
    text = base.copy()
    text[100:120, 10:90, :3] = np.random.default_rng(1).choice([0, 128, 255], (20, 80, 3))
    [frame] = stream.encode(text.copy(), 10)
    assert frame.encoding is Encoding.WEBP and frame.lossless
    photo = text.copy()
    photo[10:60, 200:300, :3] = np.random.default_rng(2).integers(0, 255, (50, 100, 3))
    [frame] = stream.encode(photo.copy(), 20)
    assert frame.encoding is Encoding.JPEG and (frame.x, frame.y, frame.w, frame.h) == (
        200, 10, 100, 50)  # fmt: skip


def test_few_colours_is_judged_on_a_sample():
    """A flat or text region has few colours; noise has many."""
    flat = np.zeros((1080, 1920, 4), np.uint8)
    assert has_few_colors(flat)
    noise = np.random.default_rng(0).integers(0, 255, (300, 300, 4), dtype=np.uint8)
    assert not has_few_colors(noise)


def test_a_lossless_patch_inside_a_lossy_tile_leaves_it_lossy():
    """Only tiles covered whole by a lossless rectangle count as exact."""
    refresh = LosslessRefresh(128, 100, 64, still_ms=0)
    refresh.note_sent(Rect(0, 0, 128, 100), lossless=False)
    refresh.note_sent(Rect(10, 10, 20, 20), lossless=True)
    refresh.note_sent(Rect(64, 0, 64, 100), lossless=True)  # the right column, to the edge
    assert refresh.due(1) == [Rect(0, 0, 64, 100)]


def test_changed_bounds_is_tight():
    """The rectangle shrinks to the pixels that differ."""
    before = np.zeros((128, 128, 4), np.uint8)
    after = before.copy()
    after[70:73, 5:9] = 1
    assert changed_bounds(before, after, Rect(0, 64, 64, 64)) == Rect(5, 70, 4, 3)
