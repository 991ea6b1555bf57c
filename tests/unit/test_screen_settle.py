"""Photo-like tiles settle as JPEG 4:4:4 at >= 45 dB per tile; text and UI still end exact."""

from __future__ import annotations

import numpy as np

from suite.screen.encoders import decode
from suite.screen.frames import Encoding
from suite.screen.settle import FLOOR_DB, photo_core, settle_photo, tile_psnr
from suite.screen.stream import ScreenStream, StreamOptions
from tests.support.motion_content import photo
from tests.support.screen_content import SCREEN_H, SCREEN_W, SLIDE_PHOTO, slide

W, H = SCREEN_W, SCREEN_H
PHOTO = SLIDE_PHOTO


def settle(stream: ScreenStream, picture: np.ndarray, canvas: np.ndarray, start_ms: float):
    """Feed one still picture until nothing is pending; returns the frames sent."""
    sent, now = [], start_ms
    while True:
        frames = stream.encode(picture.copy(), now)
        for f in frames:
            canvas[f.y : f.y + f.h, f.x : f.x + f.w] = decode(f.payload)[..., ::-1]
        sent += frames
        if not stream.refresh_pending and now > start_ms:
            return sent
        now += 100


def test_a_slide_change_ends_with_text_exact_and_the_photo_at_45_db_in_every_tile():
    """After a slide change settles, every pixel outside the photo is exact, each 64 px tile
    of the photo is >= 45 dB, the photo went out as a non-lossless JPEG, and the change cost
    fewer bytes than with the lossless refresh."""
    sizes = {}
    for floor in (FLOOR_DB, None):
        stream = ScreenStream(W, H, StreamOptions(refresh_still_ms=100, photo_floor_db=floor))
        canvas = np.zeros((H, W, 3), np.uint8)
        settle(stream, slide(0), canvas, 0)
        truth = slide(1)
        frames = settle(stream, truth, canvas, 10_000)
        sizes[floor] = sum(len(f.payload) for f in frames)
        if floor is None:
            continue
        x, y, w, h = PHOTO
        outside = np.ones((H, W), bool)
        outside[y : y + h, x : x + w] = False
        assert np.array_equal(canvas[outside], truth[..., :3][outside])
        assert tile_psnr(truth[y : y + h, x : x + w], canvas[y : y + h, x : x + w], 64).min() >= 45
        photo_tiles = (x // 64 * 64, y // 64 * 64, -(-(x + w) // 64) * 64, -(-(y + h) // 64) * 64)
        for f in frames:  # only the photo's tiles ever go out lossy, settled or not
            if f.encoding is Encoding.JPEG:
                assert not f.lossless and photo_tiles[0] <= f.x and f.x + f.w <= photo_tiles[2]
                assert photo_tiles[1] <= f.y and f.y + f.h <= photo_tiles[3]
        assert stream.stats.settled_frames >= 1
    assert sizes[FLOOR_DB] < 0.95 * sizes[None], sizes


def test_text_tiles_stay_lossless_in_the_refresh():
    """Text next to a photo is refreshed by lossless frames only, so it ends pixel-exact."""
    stream = ScreenStream(W, H, StreamOptions(refresh_still_ms=100))
    canvas = np.zeros((H, W, 3), np.uint8)
    truth = slide(2)
    frames = settle(stream, truth, canvas, 0)
    text = (slice(80, 400), slice(0, 448))
    assert np.array_equal(canvas[text], truth[..., :3][text])
    for f in frames:
        if f.x < 448 and f.y < 400 and f.y + f.h > 80:
            assert f.lossless, (f.x, f.y, f.w, f.h, f.encoding)


def test_a_floor_no_jpeg_reaches_falls_back_to_lossless():
    """When no quality meets the floor, settle_photo says so and the refresh sends lossless."""
    picture = photo(128, 128, seed=1, noise=6.0)
    assert settle_photo(picture, 64, floor_db=80.0) is None
    stream = ScreenStream(W, H, StreamOptions(refresh_still_ms=100, photo_floor_db=80.0))
    canvas = np.zeros((H, W, 3), np.uint8)
    truth = slide(3)
    settle(stream, truth, canvas, 0)
    assert np.array_equal(canvas, truth[..., :3])
    assert stream.stats.settled_frames == 0


def test_settle_picks_the_lowest_quality_at_the_floor():
    """The settled JPEG meets the floor in its worst tile, and one quality lower would not."""
    picture = photo(256, 192, seed=4, noise=1.0)
    settled = settle_photo(picture, 64)
    assert settled is not None and settled.min_tile_psnr_db >= FLOOR_DB
    back = decode(settled.payload)[..., ::-1]
    assert tile_psnr(picture, back, 64).min() == settled.min_tile_psnr_db
    if settled.quality > 90:
        assert settle_photo(picture, 64, floor_db=settled.min_tile_psnr_db + 0.01) != settled


def test_tile_psnr_finds_the_one_bad_tile_and_handles_partial_tiles():
    """An error in one tile lowers only that tile's PSNR; exact tiles are infinite."""
    a = np.full((100, 150, 4), 128, np.uint8)
    b = a.copy()
    b[70:100, 130:150, :3] += 10  # inside the partial bottom-right tile (36 x 22 px)
    grid = tile_psnr(a, b, 64)
    assert grid.shape == (2, 3)
    assert np.isinf(np.delete(grid.ravel(), 5)).all()
    share = (30 * 20) / (36 * 22)
    assert abs(grid[1, 2] - 10 * np.log10(255**2 / (100 * share))) < 1e-6


def test_photo_core_trims_flat_rows_and_columns_only():
    """Flat strips around a photo are cut off; a flat region has no core."""
    region = np.full((64, 128, 4), 200, np.uint8)
    assert photo_core(region)[0] == photo_core(region)[2]
    region[5:60, 12:100, :3] = np.random.default_rng(1).integers(0, 255, (55, 88, 3))
    assert photo_core(region) == (5, 12, 60, 100)
