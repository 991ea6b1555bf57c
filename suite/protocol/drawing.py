"""Drawing over the shared screen (P5): strokes as vectors.

The rules and limits live in ``suite/strokes.py``; these classes only turn its DrawingError
into a ProtocolError that names the message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from suite.protocol.base import (
    ErrorCode,
    MessageType,
    ProtocolError,
    WireMessage,
    wire,
)
from suite.strokes import (
    MAX_POINTS_PER_MESSAGE,
    MAX_STROKE_ID_CHARS,
    MAX_WIDTH_PX,
    MIN_WIDTH_PX,
    DrawingError,
    Tool,
    check_stroke_id,
    check_style,
    parse_points,
)

T = TypeVar("T")


def _drawing_field(parse: Callable[[], T], message_type: MessageType) -> T:
    try:
        return parse()
    except DrawingError as error:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, str(error), str(message_type)) from None


@dataclass(frozen=True, slots=True)
class StrokeBegin(WireMessage):
    type: ClassVar[MessageType] = MessageType.STROKE_BEGIN
    id: str = wire(str, low=1, high=MAX_STROKE_ID_CHARS)
    tool: Tool = wire(str, choices=tuple(Tool))
    color: str = wire(str)
    width: int = wire(int, low=MIN_WIDTH_PX, high=MAX_WIDTH_PX)
    points: list[tuple[int, int]] = wire(list, low=1, high=MAX_POINTS_PER_MESSAGE)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StrokeBegin:
        stroke_id = _drawing_field(lambda: check_stroke_id(body.get("id")), cls.type)
        style = _drawing_field(
            lambda: check_style(body.get("tool"), body.get("color"), body.get("width")), cls.type
        )
        points = _drawing_field(lambda: parse_points(body.get("points")), cls.type)
        return cls(stroke_id, *style, points)


@dataclass(frozen=True, slots=True)
class StrokePoints(WireMessage):
    type: ClassVar[MessageType] = MessageType.STROKE_POINTS
    id: str = wire(str, low=1, high=MAX_STROKE_ID_CHARS)
    points: list[tuple[int, int]] = wire(list, low=1, high=MAX_POINTS_PER_MESSAGE)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StrokePoints:
        stroke_id = _drawing_field(lambda: check_stroke_id(body.get("id")), cls.type)
        return cls(stroke_id, _drawing_field(lambda: parse_points(body.get("points")), cls.type))


@dataclass(frozen=True, slots=True)
class StrokeEnd(WireMessage):
    type: ClassVar[MessageType] = MessageType.STROKE_END
    id: str = wire(str, low=1, high=MAX_STROKE_ID_CHARS)
    points: list[tuple[int, int]] = wire(list, optional=True, high=MAX_POINTS_PER_MESSAGE)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StrokeEnd:
        stroke_id = _drawing_field(lambda: check_stroke_id(body.get("id")), cls.type)
        points = _drawing_field(
            lambda: parse_points(body.get("points", []), allow_empty=True), cls.type
        )
        return cls(stroke_id, points)


@dataclass(frozen=True, slots=True)
class UndoStroke(WireMessage):
    type: ClassVar[MessageType] = MessageType.UNDO_STROKE


@dataclass(frozen=True, slots=True)
class ClearDrawing(WireMessage):
    type: ClassVar[MessageType] = MessageType.CLEAR_DRAWING
