"""What the agent's drawing overlay shows and what the agent draws on it (pure; no X11).

:class:`OverlayBoard` applies the relay's drawing messages (``stroke_begin`` / ``stroke_points``
/ ``stroke_end`` with their author, ``stroke_removed``, ``drawing_cleared``, ``drawing``) to
its strokes, and turns the agent's pointer drags into the agent's own strokes and the messages
to send for them: ``stroke_begin`` at once, points in batches every ``BATCH_INTERVAL_S``
(live preview), ``stroke_end`` on release. The shell (``suite/agent/overlay/window.py``) calls it
with the current time and draws :meth:`OverlayBoard.strokes`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from suite.protocol import MessageType, StrokeBegin, StrokeEnd, StrokePoints
from suite.strokes import (
    DEFAULT_COLOURS,
    MAX_POINTS_PER_MESSAGE,
    MAX_POINTS_PER_STROKE,
    DrawingError,
    Point,
    Stroke,
    Tool,
    check_stroke_id,
    check_style,
    clamp,
    parse_points,
)

logger = logging.getLogger(__name__)

BATCH_INTERVAL_S = 0.04  # live preview: a batch of points every 40 ms while dragging
AGENT = "agent"


@dataclass
class Style:
    """The agent's current drawing tool (None: not drawing; the overlay lets clicks through)."""

    tool: Tool | None = None
    color: str = DEFAULT_COLOURS[AGENT]
    width: int = 4


class OverlayBoard:
    """The strokes on the agent's screen, and the agent's drag in progress.

    Args:
        screen_w: the shared monitor's width (the agent's points are clamped to it).
        screen_h: its height.
    """

    def __init__(self, screen_w: int, screen_h: int) -> None:
        self.screen_w, self.screen_h = screen_w, screen_h
        self.style = Style()
        self._strokes: dict[tuple[str, str], Stroke] = {}
        self._drawing: Stroke | None = None  # the agent's stroke being dragged
        self._unsent: list[Point] = []
        self._last_batch = 0.0
        # Goes up whenever strokes leave or are replaced (undo, clear, a whole new drawing),
        # so a drawer that caches finished strokes knows to start again.
        self.generation = 0

    def strokes(self) -> list[Stroke]:
        return list(self._strokes.values())

    @property
    def dragging(self) -> bool:
        return self._drawing is not None

    # -- the relay's messages -------------------------------------------------------------

    def apply(self, message: dict[str, Any]) -> bool:
        """Apply one message from the relay; returns True when the picture changed.

        A malformed message is logged and ignored (the relay validated it already).
        """
        kind = message.get("type")
        try:
            if kind == MessageType.DRAWING:
                strokes = [Stroke.from_wire(body) for body in message.get("strokes", [])]
                self._strokes = {s.key: s for s in strokes}
                self.generation += 1
                if self._drawing is not None:  # keep the drag in progress on screen
                    self._strokes[self._drawing.key] = self._drawing
                return True
            if kind == MessageType.DRAWING_CLEARED:
                self._strokes.clear()
                self.generation += 1
                self._drawing = None  # the relay forgot it too: points for it would be refused
                self._unsent = []
                return True
            key = (str(message.get("author")), str(message.get("id")))
            if kind == MessageType.STROKE_REMOVED:
                if self._drawing is not None and self._drawing.key == key:
                    self._drawing, self._unsent = None, []
                if self._strokes.pop(key, None) is None:
                    return False
                self.generation += 1
                return True
            if kind == MessageType.STROKE_BEGIN:
                stroke = Stroke.from_wire(message)
                if stroke.key in self._strokes:  # a repeat replaces the old one
                    self.generation += 1
                self._strokes[stroke.key] = stroke
                return True
            if kind in (MessageType.STROKE_POINTS, MessageType.STROKE_END):
                growing = self._strokes.get(key)
                if growing is None:
                    return False
                growing.add(parse_points(message.get("points", []), allow_empty=True))
                growing.done = kind == MessageType.STROKE_END
                return True
        except DrawingError as error:
            logger.warning("ignoring a drawing message (%s): %s", error, message)
        return False

    # -- the agent's tool and drags --------------------------------------------------------

    def set_style(self, message: dict[str, Any]) -> None:
        """``{"tool": "pen"|...|null, "color"?, "width"?}`` from the chat window's tools.

        Raises:
            DrawingError: an unknown tool, a bad colour or width (nothing changes).
        """
        tool = message.get("tool")
        colour = message.get("color", self.style.color)
        width = message.get("width", self.style.width)
        checked_tool, colour, width = check_style(tool or Tool.PEN, colour, width)
        self.style = Style(checked_tool if tool else None, colour, width)

    def press(self, x: int, y: int, now: float) -> list[dict[str, Any]]:
        """The agent pressed on the overlay: start a stroke; returns its ``stroke_begin``."""
        if self.style.tool is None or self._drawing is not None:
            return []
        point = self._clamp(x, y)
        stroke_id = check_stroke_id("a" + secrets.token_hex(6))
        stroke = Stroke(AGENT, stroke_id, self.style.tool, self.style.color, self.style.width)
        stroke.add([point])
        self._drawing = stroke
        self._strokes[stroke.key] = stroke
        self._unsent = []
        self._last_batch = now
        # Points go out as JSON arrays (lists), as the relay and the tests read them.
        first: list[Any] = [list(point)]
        begin = StrokeBegin(stroke_id, stroke.tool, stroke.color, stroke.width, first)
        return [begin.to_body()]

    def move(self, x: int, y: int, now: float) -> list[dict[str, Any]]:
        """The pointer moved while pressed: show it now, send a batch when one is due."""
        stroke = self._drawing
        if stroke is None:
            return []
        point = self._clamp(x, y)
        if stroke.tool is Tool.PEN and len(stroke.points) >= MAX_POINTS_PER_STROKE - 1:
            return self.release(x, y, now)  # the relay's cap: end here; the next drag goes on
        stroke.add([point])
        if stroke.tool is Tool.PEN:
            self._unsent.append(point)
        else:
            self._unsent = [point]  # a shape needs only its latest point
        return self.flush(now)

    def flush(self, now: float, force: bool = False) -> list[dict[str, Any]]:
        """The batch of points due now (every ``BATCH_INTERVAL_S``), if any."""
        if self._drawing is None or not self._unsent:
            return []
        full = len(self._unsent) >= MAX_POINTS_PER_MESSAGE
        if not (force or full or now - self._last_batch >= BATCH_INTERVAL_S):
            return []
        self._last_batch = now
        points, self._unsent = self._unsent, []
        batch: list[Any] = [list(p) for p in points]  # JSON arrays, as for the first point
        return [StrokePoints(self._drawing.id, batch).to_body()]

    def release(self, x: int, y: int, now: float) -> list[dict[str, Any]]:
        """The agent let go: the stroke is final; returns its last batch and ``stroke_end``."""
        stroke = self._drawing
        if stroke is None:
            return []
        point = self._clamp(x, y)
        if point != stroke.points[-1] and (
            stroke.tool is not Tool.PEN or len(stroke.points) < MAX_POINTS_PER_STROKE
        ):
            stroke.add([point])
            if stroke.tool is Tool.PEN:
                self._unsent.append(point)
            else:
                self._unsent = [point]
        out = self.flush(now, force=True)
        stroke.done = True
        self._drawing = None
        return [*out, StrokeEnd(stroke.id, []).to_body()]

    def _clamp(self, x: int, y: int) -> Point:
        return clamp([(int(x), int(y))], self.screen_w, self.screen_h)[0]
