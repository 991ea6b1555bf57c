"""Drawing over the shared screen (P5): the stroke model, its limits and its geometry.

A stroke is a vector shape in the shared screen's pixel coordinates (so it stays put whatever
the viewer's zoom): a tool (pen, line, rectangle, ellipse, arrow), a colour, a width and a list
of points. A pen keeps every point; the other tools keep two (where the drag started and where
it is now). The relay's board (``relay_server/screen/drawing_board.py``), the agent's overlay
(``suite/agent/overlay/window.py``) and the message dataclasses of ``suite/protocol/drawing.py``
share what is here; ``ui/common/drawing/shapes.js`` draws the same shapes in the browser.

Pure: no sockets, no GUI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Tool(StrEnum):
    PEN = "pen"
    LINE = "line"
    RECTANGLE = "rectangle"
    ELLIPSE = "ellipse"
    ARROW = "arrow"


MAX_STROKES = 500  # per presentation; then the board refuses new strokes until cleared
MAX_POINTS_PER_STROKE = 5000  # a pen stroke this long is finished by the client
MAX_POINTS_PER_MESSAGE = 500  # a live batch every 30-50 ms carries far fewer
MAX_STROKE_ID_CHARS = 64
MAX_COORDINATE = 2**31  # a point further off the screen than this is refused, not clamped
MIN_WIDTH_PX, MAX_WIDTH_PX = 1, 64
COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")  # used with fullmatch: no trailing newline
# Each side's colour unless its user picks another (agent red, customer blue).
DEFAULT_COLOURS = {"agent": "#e11d48", "customer": "#2563eb"}
ARROW_HEAD_MIN_PX = 10.0  # the head's sides: at least this, or 4 stroke widths
ARROW_HEAD_ANGLE_RAD = math.radians(28)
ELLIPSE_SEGMENTS = 72

Point = tuple[int, int]


_TOOL_NAMES = frozenset(str(tool) for tool in Tool)


class DrawingError(ValueError):
    """A stroke message that breaks the rules; the message names the rule."""


def parse_points(value: Any, what: str = "points", allow_empty: bool = False) -> list[Point]:
    """``[[x, y], ...]`` (integers) from a message.

    Raises:
        DrawingError: not a list of pairs of integers, empty (unless allowed), or too many.
    """
    if not isinstance(value, list):
        raise DrawingError(f"'{what}' must be a list of [x, y] pairs")
    if not value and not allow_empty:
        raise DrawingError(f"'{what}' must not be empty")
    if len(value) > MAX_POINTS_PER_MESSAGE:
        raise DrawingError(f"at most {MAX_POINTS_PER_MESSAGE} points per message")
    points: list[Point] = []
    for pair in value:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or any(isinstance(c, bool) or not isinstance(c, int | float) for c in pair)
        ):
            raise DrawingError(f"'{what}' must be a list of [x, y] pairs of numbers")
        # Compared before rounding: NaN fails the comparison, and a 400-digit integer, which
        # math.isfinite() cannot even convert, is refused here as out of range.
        if not all(-MAX_COORDINATE <= c <= MAX_COORDINATE for c in pair):
            raise DrawingError(f"'{what}' must be within ±{MAX_COORDINATE} pixels")
        points.append((round(pair[0]), round(pair[1])))
    return points


def check_stroke_id(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_STROKE_ID_CHARS:
        raise DrawingError(f"'id' must be a string of 1-{MAX_STROKE_ID_CHARS} characters")
    return value


def check_style(tool: Any, colour: Any, width: Any) -> tuple[Tool, str, int]:
    """The tool, colour (``#rrggbb``, lower case) and width of a new stroke.

    Raises:
        DrawingError: an unknown tool, a colour that is not ``#rrggbb``, a width out of range.
    """
    if not isinstance(tool, str) or tool not in _TOOL_NAMES:  # a list is not even hashable
        raise DrawingError(f"'tool' must be one of {', '.join(Tool)}")
    if not isinstance(colour, str) or not COLOUR_RE.fullmatch(colour):
        raise DrawingError("'color' must be #rrggbb")
    if isinstance(width, bool) or not isinstance(width, int | float):
        raise DrawingError("'width' must be a number")
    if not MIN_WIDTH_PX <= width <= MAX_WIDTH_PX:  # NaN fails too; no float() of a huge int
        raise DrawingError(f"'width' must be {MIN_WIDTH_PX}-{MAX_WIDTH_PX} pixels")
    return Tool(tool), colour.lower(), round(width)


def clamp(points: Iterable[Point], screen_w: int, screen_h: int) -> list[Point]:
    """Points moved onto the screen (a drag may leave it)."""
    right, bottom = max(0, screen_w - 1), max(0, screen_h - 1)
    return [(min(max(x, 0), right), min(max(y, 0), bottom)) for x, y in points]


@dataclass
class Stroke:
    """One stroke of one author; ``key`` is unique on a board."""

    author: str
    id: str
    tool: Tool
    color: str
    width: int
    points: list[Point] = field(default_factory=list)
    done: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.author, self.id)

    def add(self, points: Sequence[Point]) -> None:
        """Append points: a pen keeps them all, a shape its first and its latest."""
        if not points:
            return
        if self.tool is Tool.PEN:
            self.points.extend(points)
        elif self.points:
            self.points[1:] = [points[-1]]
        else:
            self.points = [points[0]] if len(points) == 1 else [points[0], points[-1]]

    def to_wire(self) -> dict[str, Any]:
        return {
            "author": self.author, "id": self.id, "tool": str(self.tool), "color": self.color,
            "width": self.width, "points": [list(p) for p in self.points], "done": self.done,
        }  # fmt: skip

    @classmethod
    def from_wire(cls, body: dict[str, Any]) -> Stroke:
        """A stroke from the relay (``stroke_begin`` or an entry of ``drawing``).

        Raises:
            DrawingError: a field is missing or wrong.
        """
        tool, colour, width = check_style(body.get("tool"), body.get("color"), body.get("width"))
        author = body.get("author")
        if not isinstance(author, str):
            raise DrawingError("'author' must be a string")
        stroke = cls(author, check_stroke_id(body.get("id")), tool, colour, width)
        stroke.add(parse_points(body.get("points", []), allow_empty=True))
        stroke.done = body.get("done") is True
        return stroke


def polylines(tool: Tool, points: Sequence[Point], width: int) -> list[list[tuple[float, float]]]:
    """The lines that draw a stroke: each a list of points joined in order.

    Pen: its points. Line: start to end. Rectangle: the box of start and end, closed. Ellipse:
    the ellipse inside that box, as ``ELLIPSE_SEGMENTS`` segments. Arrow: the shaft and the
    two sides of the head at the end point.
    """
    if not points:
        return []
    pts = [(float(x), float(y)) for x, y in points]
    first, last = pts[0], pts[-1]
    if tool is Tool.PEN:
        return [pts]
    if tool is Tool.LINE:
        return [[first, last]]
    if tool is Tool.RECTANGLE:
        (x0, y0), (x1, y1) = first, last
        return [[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]
    if tool is Tool.ELLIPSE:
        cx, cy = (first[0] + last[0]) / 2, (first[1] + last[1]) / 2
        rx, ry = abs(last[0] - first[0]) / 2, abs(last[1] - first[1]) / 2
        ring = [
            (cx + rx * math.cos(2 * math.pi * i / ELLIPSE_SEGMENTS),
             cy + ry * math.sin(2 * math.pi * i / ELLIPSE_SEGMENTS))
            for i in range(ELLIPSE_SEGMENTS + 1)
        ]  # fmt: skip
        return [ring]
    # Arrow: the head's sides run back from the tip at +-ARROW_HEAD_ANGLE_RAD.
    lines = [[first, last]]
    dx, dy = last[0] - first[0], last[1] - first[1]
    if dx or dy:
        head = max(ARROW_HEAD_MIN_PX, 4.0 * width)
        angle = math.atan2(dy, dx)
        for side in (-1, 1):
            a = angle + math.pi + side * ARROW_HEAD_ANGLE_RAD
            lines.append([(last[0] + head * math.cos(a), last[1] + head * math.sin(a)), last])
    return lines
