"""Tile diff on uint32 pixels and the merging of dirty tiles into rectangles."""

from __future__ import annotations

import numpy as np
import pytest

from suite.screen.regions import Rect, plan_update, tile_runs
from suite.screen.tiles import as_pixels, changed_tiles, grid_shape


def blank(width: int = 200, height: int = 130) -> np.ndarray:
    return np.zeros((height, width, 4), np.uint8)


def test_no_previous_frame_marks_every_tile():
    """The first capture is all dirty, including partial edge tiles."""
    grid = changed_tiles(None, blank(), 64)
    assert grid.shape == (3, 4) and grid.all()


def test_one_changed_byte_marks_exactly_its_tile():
    """Changing one channel of one pixel dirties only the tile holding it."""
    before = blank()
    after = before.copy()
    after[70, 130, 2] = 1
    grid = changed_tiles(before, after, 64)
    assert np.argwhere(grid).tolist() == [[1, 2]]


def test_partial_edge_tiles_are_diffed():
    """The last pixel of the screen lands in the last (partial) tile."""
    before = blank()
    after = before.copy()
    after[129, 199] = 255
    assert np.argwhere(changed_tiles(before, after, 64)).tolist() == [[2, 3]]


def test_identical_frames_have_no_dirty_tile():
    """Nothing changed, nothing to send."""
    frame = np.random.default_rng(0).integers(0, 255, (130, 200, 4), dtype=np.uint8)
    assert not changed_tiles(frame, frame.copy(), 64).any()


def test_shape_change_and_bad_frames_are_refused():
    """Frames of different sizes, or not BGRA uint8, raise ValueError."""
    with pytest.raises(ValueError, match="shape changed"):
        changed_tiles(blank(), blank(100), 64)
    with pytest.raises(ValueError, match="BGRA"):
        as_pixels(np.zeros((4, 4, 3), np.uint8))


def test_grid_shape_rounds_up():
    """A 1920x1080 screen is 30x17 tiles of 64 px."""
    assert grid_shape(1080, 1920, 64) == (17, 30)


@pytest.mark.parametrize(
    "rows, expected",
    [
        (["....", "...."], []),
        (["##..", "##.."], [Rect(0, 0, 2, 2)]),
        (["##.#", "##.#"], [Rect(0, 0, 2, 2), Rect(3, 0, 1, 2)]),
        (["###.", "##.."], [Rect(0, 0, 3, 1), Rect(0, 1, 2, 1)]),
        (["#...", "....", "#..."], [Rect(0, 0, 1, 1), Rect(0, 2, 1, 1)]),
    ],
)
def test_tile_runs_stack_equal_row_runs(rows, expected):
    """Row runs become rectangles; equal runs in consecutive rows are stacked."""
    grid = np.array([[c == "#" for c in row] for row in rows])
    assert tile_runs(grid) == expected


def test_small_change_becomes_a_clipped_rectangle():
    """A dirty edge tile is clipped to the screen."""
    grid = np.zeros((17, 30), bool)
    grid[16, 29] = True
    update = plan_update(grid, 64, 1920, 1080)
    assert update.rects == (Rect(1856, 1024, 64, 56),) and not update.key


def test_large_change_becomes_one_key_frame():
    """More than half the screen changed: one key frame of the whole screen."""
    grid = np.zeros((17, 30), bool)
    grid[:9] = True
    update = plan_update(grid, 64, 1920, 1080)
    assert update.key and update.rects == (Rect(0, 0, 1920, 1080),)


def test_scattered_changes_are_joined_to_few_rectangles():
    """A checkerboard of dirty tiles is joined into at most max_rects rectangles."""
    grid = np.zeros((17, 30), bool)
    grid[::4, ::4] = True
    update = plan_update(grid, 64, 1920, 1080, max_rects=6)
    assert 1 <= len(update.rects) <= 6
    covered = np.zeros((1080, 1920), bool)
    for rect in update.rects:
        covered[rect.slices()] = True
    for row, col in np.argwhere(grid):
        assert covered[row * 64, col * 64]


def test_no_change_is_an_empty_update():
    """An all-clean grid plans nothing."""
    assert plan_update(np.zeros((17, 30), bool), 64, 1920, 1080).empty
