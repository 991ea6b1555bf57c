"""Messages the presenter and viewers send on the screen channel.

Presentation start, pause, resume and stop, the cursor, and the viewers' acknowledgements."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import (
    MAX_SAFE_INT,
    ErrorCode,
    MessageType,
    ProtocolError,
    _coordinate,
    _field,
    _NoFields,
    encode,
)

MAX_SCREEN_SIDE = 16384


def _number(body: dict[str, Any], name: str, message_type: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{message_type} requires a number '{name}'", message_type
        )
    # A huge integer cannot become a float (OverflowError): compare before converting.
    if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT or not math.isfinite(value):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"'{name}' of {message_type} is out of range", message_type
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class ScreenAck:
    type: ClassVar[MessageType] = MessageType.SCREEN_ACK
    seq: int

    @classmethod
    def parse(cls, body: dict[str, Any]) -> ScreenAck:
        return cls(seq=_field(body, "seq", int, str(cls.type)))


@dataclass(frozen=True, slots=True)
class PaintReport:
    type: ClassVar[MessageType] = MessageType.PAINT_REPORT
    seq: int
    capture_ms: float
    painted_ms: float

    @classmethod
    def parse(cls, body: dict[str, Any]) -> PaintReport:
        t = str(cls.type)
        return cls(
            seq=_field(body, "seq", int, t),
            capture_ms=_number(body, "capture_ms", t),
            painted_ms=_number(body, "painted_ms", t),
        )


@dataclass(frozen=True, slots=True)
class PresentStart:
    type: ClassVar[MessageType] = MessageType.PRESENT_START
    screen_w: int
    screen_h: int

    @classmethod
    def parse(cls, body: dict[str, Any]) -> PresentStart:
        t = str(cls.type)
        width, height = _field(body, "screen_w", int, t), _field(body, "screen_h", int, t)
        if not (0 < width <= MAX_SCREEN_SIDE and 0 < height <= MAX_SCREEN_SIDE):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "screen size out of range", t)
        return cls(screen_w=width, screen_h=height)


@dataclass(frozen=True, slots=True)
class PresentPause(_NoFields):
    type: ClassVar[MessageType] = MessageType.PRESENT_PAUSE


@dataclass(frozen=True, slots=True)
class PresentResume(_NoFields):
    type: ClassVar[MessageType] = MessageType.PRESENT_RESUME


@dataclass(frozen=True, slots=True)
class PresentStop(_NoFields):
    type: ClassVar[MessageType] = MessageType.PRESENT_STOP


@dataclass(frozen=True, slots=True)
class Cursor:
    type: ClassVar[MessageType] = MessageType.CURSOR
    x: int
    y: int
    visible: bool
    shape: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Cursor:
        t = str(cls.type)
        shape = _field(body, "shape", str, t, required=False) or "default"
        return cls(
            x=_coordinate(body, "x", t),
            y=_coordinate(body, "y", t),
            visible=_field(body, "visible", bool, t),
            shape=shape[:32],
        )

    def to_frame(self) -> str:
        return encode(
            MessageType.CURSOR, x=self.x, y=self.y, visible=self.visible, shape=self.shape
        )
