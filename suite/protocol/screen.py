"""Messages the presenter and viewers send on the screen channel.

Presentation start, pause, resume and stop, the cursor, and the viewers' acknowledgements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import (
    ErrorCode,
    MessageType,
    ProtocolError,
    WireMessage,
    _coordinate,
    _field,
    wire,
)

MAX_SCREEN_SIDE = 16384
MAX_CURSOR_SHAPE_CHARS = 32  # longer CSS cursor names are cut, not refused
MAX_VIDEO_CODECS = 8
MAX_CODEC_NAME_CHARS = 16


@dataclass(frozen=True, slots=True)
class ScreenAck(WireMessage):
    type: ClassVar[MessageType] = MessageType.SCREEN_ACK
    seq: int = wire(int)


@dataclass(frozen=True, slots=True)
class PaintReport(WireMessage):
    type: ClassVar[MessageType] = MessageType.PAINT_REPORT
    seq: int = wire(int)
    capture_ms: float = wire(float)
    painted_ms: float = wire(float)


@dataclass(frozen=True, slots=True)
class PresentStart(WireMessage):
    type: ClassVar[MessageType] = MessageType.PRESENT_START
    screen_w: int = wire(int, low=1, high=MAX_SCREEN_SIDE)
    screen_h: int = wire(int, low=1, high=MAX_SCREEN_SIDE)
    # False: this presenter cannot take input (a browser's getDisplayMedia); viewers say so.
    control: bool = wire(bool, optional=True, default=True)


@dataclass(frozen=True, slots=True)
class PresentPause(WireMessage):
    type: ClassVar[MessageType] = MessageType.PRESENT_PAUSE


@dataclass(frozen=True, slots=True)
class PresentResume(WireMessage):
    type: ClassVar[MessageType] = MessageType.PRESENT_RESUME


@dataclass(frozen=True, slots=True)
class PresentStop(WireMessage):
    type: ClassVar[MessageType] = MessageType.PRESENT_STOP


@dataclass(frozen=True, slots=True)
class SetRecording(WireMessage):
    """The presenter records this presentation on the agent's machine, or stopped (P9)."""

    type: ClassVar[MessageType] = MessageType.SET_RECORDING
    recording: bool = wire(bool)


@dataclass(frozen=True, slots=True)
class Cursor(WireMessage):
    """The presenter's pointer; the relay forwards it to the viewers as it came."""

    type: ClassVar[MessageType] = MessageType.CURSOR
    x: int = wire(int)
    y: int = wire(int)
    visible: bool = wire(bool)
    shape: str | None = wire(str, optional=True, high=MAX_CURSOR_SHAPE_CHARS)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Cursor:
        t = str(cls.type)
        shape = _field(body, "shape", str, t, required=False) or "default"
        return cls(
            x=_coordinate(body, "x", t),
            y=_coordinate(body, "y", t),
            visible=_field(body, "visible", bool, t),
            shape=shape[:MAX_CURSOR_SHAPE_CHARS],
        )


@dataclass(frozen=True, slots=True)
class VideoLost(WireMessage):
    """A viewer's video decoder lost its place at frame ``seq`` (a decoding error, or a delta
    frame it cannot follow): the relay sends it the next key frame of its layer."""

    type: ClassVar[MessageType] = MessageType.VIDEO_LOST
    seq: int = wire(int)


@dataclass(frozen=True, slots=True)
class DecoderSupport(WireMessage):
    """A viewer says which video codecs it decodes (``[]``: none, it takes the JPEG path).

    Names other than the protocol's (``vp8``, ``vp9``) are ignored, not refused."""

    type: ClassVar[MessageType] = MessageType.DECODER_SUPPORT
    video: list[str] = wire(list, high=MAX_VIDEO_CODECS)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> DecoderSupport:
        t = str(cls.type)
        names = _field(body, "video", list, t)
        if len(names) > MAX_VIDEO_CODECS:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'video' of {t} must be 0-{MAX_VIDEO_CODECS}", t
            )
        if not all(isinstance(n, str) and len(n) <= MAX_CODEC_NAME_CHARS for n in names):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"'video' of {t} must list codec names of at most {MAX_CODEC_NAME_CHARS} chars",
                t,
            )
        return cls(video=list(names))
