"""The RemoteSales wire protocol: message types, close codes and client-message parsing.

Mirrors ``docs/protocol.md`` (the source of truth) and ``ui/common/protocol.js``;
``tests/unit/test_protocol_agreement.py`` fails when the three disagree.

Only messages that a client sends are parsed into dataclasses here, because those are the
ones the relay must distrust. Messages the relay sends are built with :func:`encode`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, ClassVar

from suite.drawing import DrawingError, Tool, check_stroke_id, check_style, parse_points

PROTOCOL_VERSION = 1

MAX_FRAME_BYTES = 256 * 1024
MAX_SCREEN_FRAME_BYTES = 4 * 1024 * 1024
MAX_CHAT_CHARS = 4000
MAX_CLIENT_ID_CHARS = 64
MAX_NAME_CHARS = 80


class MessageType(StrEnum):
    # client -> relay
    HELLO = "hello"
    SEND_CHAT = "send_chat"
    TYPING = "typing"
    MARK_READ = "mark_read"
    END_SESSION = "end_session"
    REMOVE_CUSTOMER = "remove_customer"
    RENEW_CODE = "renew_code"
    REQUEST_PRESENTATION = "request_presentation"
    ANSWER_PRESENTATION = "answer_presentation"
    # client -> relay, screen channel
    SCREEN_ACK = "screen_ack"
    PAINT_REPORT = "paint_report"
    PRESENT_START = "present_start"
    PRESENT_PAUSE = "present_pause"
    PRESENT_RESUME = "present_resume"
    PRESENT_STOP = "present_stop"
    CURSOR = "cursor"  # also relay -> viewers
    # control handover (P3): viewer -> relay, agent -> relay, relay -> presenter
    REQUEST_CONTROL = "request_control"
    GRANT_CONTROL = "grant_control"
    REVOKE_CONTROL = "revoke_control"
    MOUSE_INPUT = "mouse_input"
    KEY_INPUT = "key_input"
    CONTROL_STATE = "control_state"
    # screen channel: drawing over the shared screen (P5); the three stroke_* go both ways
    STROKE_BEGIN = "stroke_begin"
    STROKE_POINTS = "stroke_points"
    STROKE_END = "stroke_end"
    UNDO_STROKE = "undo_stroke"
    CLEAR_DRAWING = "clear_drawing"
    STROKE_REMOVED = "stroke_removed"
    DRAWING_CLEARED = "drawing_cleared"
    DRAWING = "drawing"
    # relay -> client
    WELCOME = "welcome"
    CHAT_MESSAGE = "chat_message"
    MARKED_READ = "marked_read"
    PARTICIPANT_JOINED = "participant_joined"
    PARTICIPANT_LEFT = "participant_left"
    SESSION_UPDATED = "session_updated"
    CUSTOMER_REMOVED = "customer_removed"
    SESSION_ENDED = "session_ended"
    PRESENTATION_REQUESTED = "presentation_requested"
    PRESENTATION_ANSWERED = "presentation_answered"
    CAPTURE_CREDIT = "capture_credit"
    SCREEN_STATE = "screen_state"
    # relay -> client, chat channel: files both ways (P4; the HTTP side is in docs)
    FILE_OFFERED = "file_offered"
    FILE_PROGRESS = "file_progress"
    FILE_READY = "file_ready"
    FILE_RECEIVED = "file_received"
    FILE_CANCELLED = "file_cancelled"
    FILE_FAILED = "file_failed"
    ERROR = "error"


class CloseCode(IntEnum):
    """WebSocket close codes; 4000-4999 are ours and tell the client whether to reconnect."""

    NORMAL = 1000
    GOING_AWAY = 1001  # relay shutting down: reconnect with backoff
    MESSAGE_TOO_BIG = 1009
    SESSION_ENDED = 4000  # show the end screen; do not reconnect
    UNAUTHORIZED = 4001  # token unknown, expired or not this session's
    UNSUPPORTED_VERSION = 4002
    SESSION_NOT_FOUND = 4003
    REMOVED = 4004  # the agent removed this customer
    REPLACED = 4005  # another socket took this role's place
    HANDSHAKE_FAILED = 4006  # first frame was not a valid hello, or none in time


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    BINARY_NOT_EXPECTED = "binary_not_expected"
    NOT_ALLOWED = "not_allowed"
    TEXT_TOO_LONG = "text_too_long"
    SESSION_ENDED = "session_ended"
    RATE_LIMITED = "rate_limited"
    DRAWING_FULL = "drawing_full"  # P5: too many strokes, or points in one stroke


class Role(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"


class Channel(StrEnum):
    CHAT = "chat"
    SCREEN = "screen"


class ProtocolError(ValueError):
    """A frame that breaks the protocol; ``code`` is an :class:`ErrorCode`."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        in_reply_to: str | None = None,
        client_id: str | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.in_reply_to = in_reply_to
        self.client_id = client_id

    def to_frame(self) -> str:
        fields: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.in_reply_to:
            fields["in_reply_to"] = self.in_reply_to
        if self.client_id:
            fields["client_id"] = self.client_id
        return encode(MessageType.ERROR, **fields)


def encode(message_type: MessageType, **fields: Any) -> str:
    """Return the JSON text frame for a message of ``message_type`` with ``fields``."""
    return json.dumps(
        {"type": str(message_type), **fields}, ensure_ascii=False, separators=(",", ":")
    )


def _field(body: dict[str, Any], name: str, kind: type, message_type: str, required: bool = True):
    value = body.get(name)
    if value is None:
        if required:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"{message_type} requires '{name}'", message_type
            )
        return None
    # bool is an int subclass: refuse True where a number is meant, and 1 where a bool is.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"'{name}' of {message_type} must be {kind.__name__}",
            message_type,
        )
    return value


class _NoFields:
    """A message with nothing but its type: any other field is ignored."""

    __slots__ = ()

    @classmethod
    def parse(cls, body: dict[str, Any]):
        return cls()


@dataclass(frozen=True, slots=True)
class Hello:
    type: ClassVar[MessageType] = MessageType.HELLO
    protocol_version: int
    role: Role
    session_id: str
    token: str
    last_seen_id: int
    channel: Channel = Channel.CHAT

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Hello:
        t = str(cls.type)
        role = _field(body, "role", str, t)
        if role not in (Role.AGENT, Role.CUSTOMER):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'role' must be 'agent' or 'customer'", t)
        channel = _field(body, "channel", str, t, required=False) or Channel.CHAT
        if channel not in (Channel.CHAT, Channel.SCREEN):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'channel' must be 'chat' or 'screen'", t)
        return cls(
            channel=Channel(channel),
            protocol_version=_field(body, "protocol_version", int, t),
            role=Role(role),
            session_id=_field(body, "session_id", str, t),
            token=_field(body, "token", str, t),
            last_seen_id=_field(body, "last_seen_id", int, t, required=False) or 0,
        )


@dataclass(frozen=True, slots=True)
class SendChat:
    type: ClassVar[MessageType] = MessageType.SEND_CHAT
    client_id: str
    text: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> SendChat:
        t = str(cls.type)
        client_id = _field(body, "client_id", str, t)
        text = _field(body, "text", str, t)
        if not 1 <= len(client_id) <= MAX_CLIENT_ID_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'client_id' must be 1-{MAX_CLIENT_ID_CHARS} chars", t
            )
        if not text.strip():
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'text' must not be empty", t)
        if len(text) > MAX_CHAT_CHARS:
            raise ProtocolError(
                ErrorCode.TEXT_TOO_LONG, f"chat text is limited to {MAX_CHAT_CHARS} characters", t
            )
        return cls(client_id=client_id, text=text)


@dataclass(frozen=True, slots=True)
class Typing:
    type: ClassVar[MessageType] = MessageType.TYPING
    active: bool

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Typing:
        return cls(active=_field(body, "active", bool, str(cls.type)))


@dataclass(frozen=True, slots=True)
class MarkRead:
    type: ClassVar[MessageType] = MessageType.MARK_READ
    up_to_id: int

    @classmethod
    def parse(cls, body: dict[str, Any]) -> MarkRead:
        return cls(up_to_id=_field(body, "up_to_id", int, str(cls.type)))


@dataclass(frozen=True, slots=True)
class EndSession(_NoFields):
    type: ClassVar[MessageType] = MessageType.END_SESSION


@dataclass(frozen=True, slots=True)
class RemoveCustomer(_NoFields):
    type: ClassVar[MessageType] = MessageType.REMOVE_CUSTOMER


@dataclass(frozen=True, slots=True)
class RenewCode(_NoFields):
    type: ClassVar[MessageType] = MessageType.RENEW_CODE


@dataclass(frozen=True, slots=True)
class RequestPresentation(_NoFields):
    type: ClassVar[MessageType] = MessageType.REQUEST_PRESENTATION


@dataclass(frozen=True, slots=True)
class AnswerPresentation:
    type: ClassVar[MessageType] = MessageType.ANSWER_PRESENTATION
    accept: bool

    @classmethod
    def parse(cls, body: dict[str, Any]) -> AnswerPresentation:
        return cls(accept=_field(body, "accept", bool, str(cls.type)))


# -- screen channel ------------------------------------------------------------------------

MAX_SCREEN_SIDE = 16384


def _number(body: dict[str, Any], name: str, message_type: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{message_type} requires a number '{name}'", message_type
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
            x=_field(body, "x", int, t),
            y=_field(body, "y", int, t),
            visible=_field(body, "visible", bool, t),
            shape=shape[:32],
        )

    def to_frame(self) -> str:
        return encode(
            MessageType.CURSOR, x=self.x, y=self.y, visible=self.visible, shape=self.shape
        )


# -- control handover (P3) -------------------------------------------------------------------

MOUSE_ACTIONS = frozenset({"move", "down", "up", "wheel"})
MOUSE_BUTTONS = frozenset({"left", "middle", "right"})
KEY_ACTIONS = frozenset({"down", "up", "text"})
KEY_MODIFIERS = ("shift", "ctrl", "alt", "meta")
MAX_INPUT_TEXT_CHARS = 256
MAX_KEY_NAME_CHARS = 32
MAX_WHEEL_STEPS = 20


@dataclass(frozen=True, slots=True)
class RequestControl(_NoFields):
    type: ClassVar[MessageType] = MessageType.REQUEST_CONTROL


def _control_kinds(body: dict[str, Any], message_type: str, default: bool) -> tuple[bool, bool]:
    mouse = _field(body, "mouse", bool, message_type, required=False)
    keyboard = _field(body, "keyboard", bool, message_type, required=False)
    return (default if mouse is None else mouse, default if keyboard is None else keyboard)


@dataclass(frozen=True, slots=True)
class GrantControl:
    """The agent hands over the mouse and/or the keyboard (what is false stays as it is)."""

    type: ClassVar[MessageType] = MessageType.GRANT_CONTROL
    mouse: bool
    keyboard: bool

    @classmethod
    def parse(cls, body: dict[str, Any]) -> GrantControl:
        t = str(cls.type)
        mouse, keyboard = _control_kinds(body, t, default=False)
        if not (mouse or keyboard):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "grant_control grants nothing", t)
        return cls(mouse=mouse, keyboard=keyboard)


@dataclass(frozen=True, slots=True)
class RevokeControl:
    """The agent takes back the mouse and/or the keyboard (both when neither is named)."""

    type: ClassVar[MessageType] = MessageType.REVOKE_CONTROL
    mouse: bool
    keyboard: bool

    @classmethod
    def parse(cls, body: dict[str, Any]) -> RevokeControl:
        mouse, keyboard = _control_kinds(body, str(cls.type), default=True)
        return cls(mouse=mouse, keyboard=keyboard)


def _choice(body: dict[str, Any], name: str, choices: frozenset[str], message_type: str) -> str:
    value = _field(body, name, str, message_type)
    if value not in choices:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"'{name}' of {message_type} must be one of {', '.join(sorted(choices))}",
            message_type,
        )
    return value


@dataclass(frozen=True, slots=True)
class MouseInput:
    """A pointer event in pixels of the shared picture (the presenter adds the monitor origin)."""

    type: ClassVar[MessageType] = MessageType.MOUSE_INPUT
    action: str
    x: int
    y: int
    button: str = "left"
    dx: int = 0
    dy: int = 0

    @classmethod
    def parse(cls, body: dict[str, Any]) -> MouseInput:
        t = str(cls.type)
        action = _choice(body, "action", MOUSE_ACTIONS, t)
        x, y = _field(body, "x", int, t), _field(body, "y", int, t)
        if not (0 <= x < MAX_SCREEN_SIDE and 0 <= y < MAX_SCREEN_SIDE):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "x and y must be on the screen", t)
        button = "left"
        if action in ("down", "up"):
            button = _choice(body, "button", MOUSE_BUTTONS, t)
        dx = dy = 0
        if action == "wheel":
            dx = _field(body, "dx", int, t, required=False) or 0
            dy = _field(body, "dy", int, t, required=False) or 0
            if max(abs(dx), abs(dy)) > MAX_WHEEL_STEPS:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"wheel steps are limited to {MAX_WHEEL_STEPS}", t
                )
        return cls(action=action, x=x, y=y, button=button, dx=dx, dy=dy)

    def to_frame(self) -> str:
        fields: dict[str, Any] = {"action": self.action, "x": self.x, "y": self.y}
        if self.action in ("down", "up"):
            fields["button"] = self.button
        elif self.action == "wheel":
            fields.update(dx=self.dx, dy=self.dy)
        return encode(MessageType.MOUSE_INPUT, **fields)


@dataclass(frozen=True, slots=True)
class KeyInput:
    """A key pressed or released (DOM ``key``/``code`` names), or text to type (IME, Korean)."""

    type: ClassVar[MessageType] = MessageType.KEY_INPUT
    action: str
    key: str = ""
    code: str = ""
    modifiers: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def parse(cls, body: dict[str, Any]) -> KeyInput:
        t = str(cls.type)
        action = _choice(body, "action", KEY_ACTIONS, t)
        if action == "text":
            text = _field(body, "text", str, t)
            if not 0 < len(text) <= MAX_INPUT_TEXT_CHARS:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"'text' must be 1-{MAX_INPUT_TEXT_CHARS} chars", t
                )
            if any(ord(c) < 0x20 and c not in "\t\n" or ord(c) == 0x7F for c in text):
                raise ProtocolError(ErrorCode.BAD_MESSAGE, "'text' holds control characters", t)
            return cls(action=action, text=text)
        key = _field(body, "key", str, t)
        code = _field(body, "code", str, t, required=False) or ""
        if not 0 < len(key) <= MAX_KEY_NAME_CHARS or len(code) > MAX_KEY_NAME_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'key' must be 1-{MAX_KEY_NAME_CHARS} chars", t
            )
        modifiers = _field(body, "modifiers", list, t, required=False) or []
        if not all(isinstance(m, str) and m in KEY_MODIFIERS for m in modifiers):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'modifiers' may hold {', '.join(KEY_MODIFIERS)}", t
            )
        ordered = tuple(m for m in KEY_MODIFIERS if m in modifiers)
        return cls(action=action, key=key, code=code, modifiers=ordered)

    def to_frame(self) -> str:
        if self.action == "text":
            return encode(MessageType.KEY_INPUT, action=self.action, text=self.text)
        return encode(
            MessageType.KEY_INPUT,
            action=self.action,
            key=self.key,
            code=self.code,
            modifiers=list(self.modifiers),
        )


ClientMessage = (
    Hello
    | SendChat
    | Typing
    | MarkRead
    | EndSession
    | RemoveCustomer
    | RenewCode
    | RequestPresentation
    | AnswerPresentation
    | ScreenAck
    | PaintReport
    | PresentStart
    | PresentPause
    | PresentResume
    | PresentStop
    | Cursor
    | RequestControl
    | GrantControl
    | RevokeControl
    | MouseInput
    | KeyInput
)

CLIENT_MESSAGES: dict[str, type[ClientMessage]] = {
    str(cls.type): cls
    for cls in (
        Hello,
        SendChat,
        Typing,
        MarkRead,
        EndSession,
        RemoveCustomer,
        RenewCode,
        RequestPresentation,
        AnswerPresentation,
        ScreenAck,
        PaintReport,
        PresentStart,
        PresentPause,
        PresentResume,
        PresentStop,
        Cursor,
        RequestControl,
        GrantControl,
        RevokeControl,
        MouseInput,
        KeyInput,
    )
}
SCREEN_MESSAGES = frozenset(
    (ScreenAck, PaintReport, PresentStart, PresentPause, PresentResume, PresentStop, Cursor)
) | frozenset((RequestControl, RevokeControl, MouseInput, KeyInput))  # control handover (P3)


# -- screen channel: drawing over the shared screen (P5) -----------------------------------
# Rules and limits live in suite/drawing.py; these classes only turn its DrawingError into a
# ProtocolError that names the message.


def _drawing_field(parse: Any, message_type: MessageType) -> Any:
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


DRAWING_MESSAGES = (StrokeBegin, StrokePoints, StrokeEnd, UndoStroke, ClearDrawing)
CLIENT_MESSAGES.update({str(cls.type): cls for cls in DRAWING_MESSAGES})
SCREEN_MESSAGES = SCREEN_MESSAGES | frozenset(DRAWING_MESSAGES)


def decode_client_message(frame: str | bytes) -> ClientMessage:
    """Parse one frame a client sent.

    Raises:
        ProtocolError: the frame is binary, not JSON, not an object, of an unknown type, or
            misses a field; its ``to_frame()`` is the ``error`` reply to send back.
    """
    if isinstance(frame, bytes | bytearray):
        raise ProtocolError(
            ErrorCode.BINARY_NOT_EXPECTED, "binary frames are not expected on this channel"
        )
    try:
        body = json.loads(frame)
    except ValueError:
        raise ProtocolError(ErrorCode.BAD_JSON, "frame is not valid JSON") from None
    if not isinstance(body, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "frame must be a JSON object")
    message_type = body.get("type")
    if not isinstance(message_type, str):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "frame requires a string 'type'")
    cls = CLIENT_MESSAGES.get(message_type)
    if cls is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown message type '{message_type[:40]}'", message_type[:40]
        )
    try:
        return cls.parse(body)
    except ProtocolError as error:
        error.client_id = client_id_of(body)
        raise


def client_id_of(body: Any) -> str | None:
    """The ``client_id`` of a chat frame, so that an ``error`` can name the refused message."""
    if isinstance(body, str | bytes | bytearray):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    client_id = body.get("client_id") if isinstance(body, dict) else None
    if isinstance(client_id, str) and 0 < len(client_id) <= MAX_CLIENT_ID_CHARS:
        return client_id
    return None
