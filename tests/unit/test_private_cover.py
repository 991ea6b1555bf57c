"""The pure part of leaving the agent app's windows out of the capture (suite/screen/masks.py)."""

from __future__ import annotations

import numpy as np
import pytest

from suite.screen.masks import (
    PRIVATE_FILL_BGRA,
    PRIVATE_LABEL_BGRA,
    PrivateCover,
    StackedWindow,
    private_parts,
    subtract,
)
from suite.screen.regions import Rect

APP = Rect(100, 100, 200, 100)


def area(rects: list[Rect]) -> int:
    return sum(rect.area for rect in rects)


@pytest.mark.parametrize(
    ("stack", "expected_area"),
    [
        ([StackedWindow(APP, True)], 200 * 100),
        # another program's window below, or beside: the whole app window is covered
        ([StackedWindow(Rect(0, 0, 500, 500), False), StackedWindow(APP, True)], 200 * 100),
        ([StackedWindow(APP, True), StackedWindow(Rect(400, 0, 50, 50), False)], 200 * 100),
        # an ordinary window above its left half: only the right half is on screen
        ([StackedWindow(APP, True), StackedWindow(Rect(0, 0, 200, 400), False)], 100 * 100),
        # fully under another window: nothing of it is on screen
        ([StackedWindow(APP, True), StackedWindow(Rect(0, 0, 500, 500), False)], 0),
        # a menu or the drawing overlay above (override-redirect): still covered in full
        ([StackedWindow(APP, True), StackedWindow(Rect(0, 0, 500, 500), False, False)], 200 * 100),
        # two app windows overlapping: both covered, the overlap counted twice
        ([StackedWindow(APP, True), StackedWindow(Rect(150, 150, 100, 100), True)], 30000),
    ],
)
def test_private_parts_are_the_visible_parts_of_the_apps_windows(stack, expected_area) -> None:
    """An app window is covered where it is on screen: minus opaque windows of others above."""
    assert area(private_parts(stack)) == expected_area


@pytest.mark.parametrize(
    "cut",
    [Rect(0, 0, 10, 10), Rect(120, 120, 20, 20), Rect(50, 150, 400, 10), Rect(250, 50, 100, 300)],
)
def test_subtract_leaves_exactly_the_rest(cut: Rect) -> None:
    """rect minus cut: disjoint pieces inside rect, none inside cut, areas adding up."""
    pieces = subtract(APP, cut)
    inner = APP.intersect(cut)
    assert area(pieces) == APP.area - (inner.area if inner else 0)
    for index, piece in enumerate(pieces):
        assert piece.intersect(APP) == piece
        assert piece.intersect(cut) is None
        assert all(piece.intersect(other) is None for other in pieces[index + 1 :])


def test_cover_paints_fill_and_label_and_nothing_else() -> None:
    """Painted parts hold only the fill and the label colours; the rest of the frame is kept."""
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 255, (300, 400, 4), dtype=np.uint8)
    before = frame.copy()
    covered = PrivateCover().paint(frame, [APP, APP, Rect(350, 250, 100, 100)])
    assert covered == [APP, Rect(350, 250, 50, 50)]  # deduplicated, clipped to the frame
    inside = frame[APP.slices()].reshape(-1, 4)
    colours = {tuple(pixel) for pixel in inside}
    assert tuple(PRIVATE_FILL_BGRA) in colours and len(colours) == 2  # fill + label
    outside = np.ones(frame.shape[:2], bool)
    for rect in covered:
        outside[rect.slices()] = False
    assert np.array_equal(frame[outside], before[outside])


def test_one_label_per_window_even_when_another_window_splits_it() -> None:
    """The pieces of one app window around a window above it carry one label, in the largest."""
    frame = np.zeros((300, 400, 4), np.uint8)
    stack = [StackedWindow(APP, True), StackedWindow(Rect(0, 140, 250, 20), False)]
    parts = private_parts(stack)  # above the cut, below it, right of it
    assert len(parts) == 3
    PrivateCover().paint(frame, parts)
    label = np.array(PRIVATE_LABEL_BGRA, np.uint8)
    with_label = [part for part in parts if (frame[part.slices()] == label).all(axis=-1).any()]
    assert with_label == [max(parts, key=lambda part: part.area)]
