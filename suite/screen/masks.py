"""What the customer must not see: everything outside the shared windows (P6), and the agent
app's own windows.

:class:`WindowMask` blacks out everything outside the shared windows; :class:`PrivateCover`
paints the visible parts of the app's windows (:func:`private_parts`) with a neutral fill and a
label. Both are applied to the captured frame before the diff and the encoders see it, so no
hidden pixel is ever encoded, sent or kept in the presenter's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from suite.screen.regions import Rect


class WindowMask:
    """The union of window rectangles, clipped to the screen.

    Args:
        rects: the shared windows' rectangles in screen pixels (may overlap or stick out).
        screen_w, screen_h: the captured screen's size.
    """

    def __init__(self, rects: Iterable[Rect], screen_w: int, screen_h: int) -> None:
        screen = Rect(0, 0, screen_w, screen_h)
        self.screen = screen
        self.rects = tuple(
            clipped for rect in rects if (clipped := rect.intersect(screen)) is not None
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, WindowMask)
            and self.screen == other.screen
            and self.rects == other.rects
        )

    def __hash__(self) -> int:
        return hash((self.screen, self.rects))

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """A new frame: black (all bytes 0) outside the windows, ``frame``'s pixels inside.

        Raises:
            ValueError: ``frame`` is not the screen's size.
        """
        if frame.shape[:2] != (self.screen.h, self.screen.w):
            raise ValueError(
                f"frame is {frame.shape[1]}x{frame.shape[0]}, "
                f"the mask is for {self.screen.w}x{self.screen.h}"
            )
        out = np.zeros_like(frame)
        for rect in self.rects:
            window = rect.slices()
            out[window] = frame[window]
        return out

    def contains(self, x: int, y: int) -> bool:
        """True if the screen pixel (x, y) is inside a shared window."""
        return any(r.x <= x < r.right and r.y <= y < r.bottom for r in self.rects)


# -- the agent app's own windows, left out of every capture ------------------------

# A neutral slate fill and a darker label: reads as "something is hidden here", not as an error.
PRIVATE_FILL_BGRA = (0xE1, 0xD5, 0xCB, 0xFF)  # #cbd5e1
PRIVATE_LABEL_BGRA = (0x69, 0x55, 0x47, 0xFF)  # #475569
PRIVATE_LABEL = "RemoteSales"  # a name, not a sentence: the same for English and Korean viewers
PRIVATE_LABEL_PX = 14


@dataclass(frozen=True, slots=True)
class StackedWindow:
    """A top-level window in the stacking order: where it is, whose it is, whether it hides
    what is below it.

    ``private``: one of the agent app's own windows (left out of the capture). ``opaque``: an
    ordinary window that covers what lies below it; override-redirect windows (menus, the
    drawing overlay, whose shape is only its strokes) and InputOnly windows do not count, so a
    private window under them stays covered.
    """

    rect: Rect
    private: bool
    opaque: bool = True


def subtract(rect: Rect, cut: Rect) -> list[Rect]:
    """``rect`` minus ``cut``: up to four rectangles (above, below, left, right of the cut)."""
    inner = rect.intersect(cut)
    if inner is None:
        return [rect]
    parts = [
        Rect(rect.x, rect.y, rect.w, inner.y - rect.y),  # above
        Rect(rect.x, inner.bottom, rect.w, rect.bottom - inner.bottom),  # below
        Rect(rect.x, inner.y, inner.x - rect.x, inner.h),  # left
        Rect(inner.right, inner.y, rect.right - inner.right, inner.h),  # right
    ]
    return [part for part in parts if part.w > 0 and part.h > 0]


def private_parts(stack: Sequence[StackedWindow]) -> list[Rect]:
    """The visible parts of the private windows in ``stack`` (bottom to top).

    A private window's part hidden by an opaque window above it is not on the screen, so it is
    not covered: the customer sees the window on top, as the agent does.
    """
    parts: list[Rect] = []
    for index, window in enumerate(stack):
        if not window.private:
            continue
        visible = [window.rect]
        for above in stack[index + 1 :]:
            if above.opaque and not above.private:
                visible = [piece for part in visible for piece in subtract(part, above.rect)]
        parts.extend(visible)
    return parts


class PrivateCover:
    """Paints the agent app's windows out of a frame: a neutral fill and a small label.

    Args:
        label: drawn once into a small BGRA stamp (Pillow's built-in font), centred on each
            covered part large enough to hold it.
    """

    def __init__(self, label: str = PRIVATE_LABEL) -> None:
        self.stamp = _label_stamp(label)

    def paint(self, frame: np.ndarray, rects: Iterable[Rect]) -> list[Rect]:
        """Cover ``rects`` (screen pixels, clipped to the frame) in ``frame``, in place.

        Returns:
            The rectangles actually covered (clipped; empty ones dropped).
        """
        screen = Rect(0, 0, frame.shape[1], frame.shape[0])
        covered = list(  # the readings before and after a grab mostly agree: paint once
            dict.fromkeys(c for rect in rects if (c := rect.intersect(screen)) is not None)
        )
        fill = np.array(PRIVATE_FILL_BGRA, dtype=np.uint8)[: frame.shape[2]]
        for rect in covered:
            frame[rect.slices()] = fill
        stamp_h, stamp_w = self.stamp.shape[:2]
        ink = self.stamp[..., 3] > 0
        # One label per covered area (the pieces of one window around a window above it touch
        # each other): in its largest piece, where the label fits.
        for area in _touching_groups(covered):
            rect = max(area, key=lambda r: r.area)
            if rect.w >= stamp_w + 8 and rect.h >= stamp_h + 8:
                x, y = rect.x + (rect.w - stamp_w) // 2, rect.y + (rect.h - stamp_h) // 2
                region = frame[y : y + stamp_h, x : x + stamp_w]
                region[ink] = self.stamp[ink][:, : frame.shape[2]]
        return covered


def _touching_groups(rects: list[Rect]) -> list[list[Rect]]:
    """``rects`` grouped by touching or overlapping (connected components; a few rects)."""
    groups: list[list[Rect]] = []
    for rect in rects:
        grown = Rect(rect.x - 1, rect.y - 1, rect.w + 2, rect.h + 2)
        touching = [g for g in groups if any(grown.intersect(other) for other in g)]
        merged = [rect]
        for group in touching:
            groups.remove(group)
            merged.extend(group)
        groups.append(merged)
    return groups


def _label_stamp(label: str) -> np.ndarray:
    """A padlock and ``label`` in the label colour on transparent BGRA (alpha 0 or 255)."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415 - only the presenter paints

    font = ImageFont.load_default(PRIVATE_LABEL_PX)
    left, top, right, bottom = font.getbbox(label)
    lock_w, gap = 10, 6
    width, height = int(lock_w + gap + (right - left)), int(max(bottom, 14) + 2)
    image = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(image)
    body_top = height - 9
    draw.rectangle((0, body_top, lock_w - 1, height - 1), fill=255)  # the padlock's body
    draw.arc((2, body_top - 7, lock_w - 3, body_top + 4), 180, 360, fill=255, width=2)
    draw.text((lock_w + gap - left, 0), label, fill=255, font=font)
    ink = np.asarray(image) >= 128  # 1-bit: no blending against the fill needed
    stamp = np.zeros((height, width, 4), dtype=np.uint8)
    stamp[ink] = PRIVATE_LABEL_BGRA
    return stamp
