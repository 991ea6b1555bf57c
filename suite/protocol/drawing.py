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
    _NoFields,
)
from suite.strokes import DrawingError, Tool, check_stroke_id, check_style, parse_points

T = TypeVar("T")


def _drawing_field(parse: Callable[[], T], message_type: MessageType) -> T:
    try:
        return parse()
    except DrawingError as error:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, str(error), str(message_type)) from None


@dataclass(frozen=True, slots=True)
class StrokeBegin:
    type: ClassVar[MessageType] = MessageType.STROKE_BEGIN
    id: str
    tool: Tool
    color: str
    width: int
    points: list[tuple[int, int]]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StrokeBegin:
        stroke_id = _drawing_field(lambda: check_stroke_id(body.get("id")), cls.type)
        style = _drawing_field(
            lambda: check_style(body.get("tool"), body.get("color"), body.get("width")), cls.type
        )
        points = _drawing_field(lambda: parse_points(body.get("points")), cls.type)
        return cls(stroke_id, *style, points)


@dataclass(frozen=True, slots=True)
class StrokePoints:
    type: ClassVar[MessageType] = MessageType.STROKE_POINTS
    id: str
    points: list[tuple[int, int]]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StrokePoints:
        stroke_id = _drawing_field(lambda: check_stroke_id(body.get("id")), cls.type)
        return cls(stroke_id, _drawing_field(lambda: parse_points(body.get("points")), cls.type))


@dataclass(frozen=True, slots=True)
class StrokeEnd:
    type: ClassVar[MessageType] = MessageType.STROKE_END
    id: str
    points: list[tuple[int, int]]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StrokeEnd:
        stroke_id = _drawing_field(lambda: check_stroke_id(body.get("id")), cls.type)
        points = _drawing_field(
            lambda: parse_points(body.get("points", []), allow_empty=True), cls.type
        )
        return cls(stroke_id, points)


@dataclass(frozen=True, slots=True)
class UndoStroke(_NoFields):
    type: ClassVar[MessageType] = MessageType.UNDO_STROKE


@dataclass(frozen=True, slots=True)
class ClearDrawing(_NoFields):
    type: ClassVar[MessageType] = MessageType.CLEAR_DRAWING
