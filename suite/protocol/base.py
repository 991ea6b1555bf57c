"""The protocol's vocabulary: version, limits, message types, close and error codes, roles and
channels, :class:`ProtocolError`, :func:`encode`, and the declarative field specs
(:func:`wire`, :class:`WireMessage`) every message dataclass is built from."""

from __future__ import annotations

import dataclasses
import json
import math
from enum import IntEnum, StrEnum
from typing import Any, ClassVar

PROTOCOL_VERSION = 1

MAX_FRAME_BYTES = 256 * 1024
MAX_SCREEN_FRAME_BYTES = 4 * 1024 * 1024
MAX_CHAT_CHARS = 4000
MAX_CLIENT_ID_CHARS = 64
MAX_NAME_CHARS = 80
MAX_TOKEN_CHARS = 512  # hello's token and session_id: far longer than any the relay issues
# Integers in every field: what JavaScript represents exactly (a larger one is no id or count).
MAX_SAFE_INT = 2**53 - 1
MAX_COORDINATE = 2**31  # a position in pixels, before it is checked against the screen


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
    # agent -> relay: answers to customers knocking (admission); relay -> agent: the list
    ADMIT_KNOCK = "admit_knock"
    REFUSE_KNOCK = "refuse_knock"
    REFUSE_ALL_KNOCKS = "refuse_all_knocks"
    KNOCKS_CHANGED = "knocks_changed"
    # client -> relay, screen channel
    SCREEN_ACK = "screen_ack"
    PAINT_REPORT = "paint_report"
    PRESENT_START = "present_start"
    PRESENT_PAUSE = "present_pause"
    PRESENT_RESUME = "present_resume"
    PRESENT_STOP = "present_stop"
    CURSOR = "cursor"  # also relay -> viewers
    # recording (P9): presenter -> relay; relay -> chat sockets and viewers
    SET_RECORDING = "set_recording"
    RECORDING_STATE = "recording_state"
    RECORDING_POLICY = "recording_policy"  # relay -> presenter: the admin changed the policy
    # motion as video: viewer -> relay, relay -> presenter
    DECODER_SUPPORT = "decoder_support"
    VIDEO_CODECS = "video_codecs"
    REQUEST_KEY_FRAME = "request_key_frame"
    VIDEO_LOST = "video_lost"  # viewer -> relay: its decoder lost its place
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
    # calls (CH9): client -> relay on the chat channel (and a customer's viewer socket);
    # the three signals also relay -> the peer they name; call_state relay -> participants
    START_CALL = "start_call"
    ANSWER_CALL = "answer_call"
    HANG_UP = "hang_up"
    SET_CALL_MEDIA = "set_call_media"
    REJOIN_CALL = "rejoin_call"
    SDP_OFFER = "sdp_offer"
    SDP_ANSWER = "sdp_answer"
    ICE_CANDIDATE = "ice_candidate"
    CALL_STATE = "call_state"
    # the shared whiteboard (CH3): client -> relay on the chat channel, then relay -> all
    OPEN_WHITEBOARD = "open_whiteboard"
    ANSWER_WHITEBOARD = "answer_whiteboard"
    UPDATE_WHITEBOARD = "update_whiteboard"
    NEW_WHITEBOARD = "new_whiteboard"
    WHITEBOARD_STATE = "whiteboard_state"
    WHITEBOARD_UPDATED = "whiteboard_updated"
    WHITEBOARD_REFUSED = "whiteboard_refused"
    # favourites in the chat (CH7) and remote print: client -> relay on the chat channel
    SEND_LINK = "send_link"
    REQUEST_PRINT = "request_print"
    ANSWER_PRINT = "answer_print"
    # relay -> participants
    PRINT_REQUESTED = "print_requested"
    PRINT_ANSWERED = "print_answered"
    ERROR = "error"


class CloseCode(IntEnum):
    """WebSocket close codes; 4000-4999 are ours and tell the client whether to reconnect."""

    NORMAL = 1000
    GOING_AWAY = 1001  # relay shutting down: reconnect with backoff
    PROTOCOL_ERROR = 1002  # the client broke RFC 6455 (unmasked frame, invalid close code)
    INVALID_PAYLOAD = 1007  # text that is not UTF-8
    MESSAGE_TOO_BIG = 1009
    SESSION_ENDED = 4000  # show the end screen; do not reconnect
    UNAUTHORIZED = 4001  # token unknown, expired or not this session's
    UNSUPPORTED_VERSION = 4002
    SESSION_NOT_FOUND = 4003
    REMOVED = 4004  # the agent removed this customer
    REPLACED = 4005  # another socket took this role's place
    HANDSHAKE_FAILED = 4006  # first frame was not a valid hello, or none in time
    ACCOUNT_DISABLED = 4007  # an admin disabled the agent's account: say so, do not reconnect


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
    WHITEBOARD_FULL = "whiteboard_full"  # CH3: too many elements on the board
    ELEMENT_TOO_LARGE = "element_too_large"  # CH3: too many points, too long a text


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
        """The ``error`` reply that names this refusal."""
        return ErrorMessage(
            str(self.code), self.message, self.in_reply_to or None, self.client_id or None
        ).to_frame()


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
    if isinstance(value, int) and not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"'{name}' of {message_type} is out of range", message_type
        )
    return value


def _coordinate(body: dict[str, Any], name: str, message_type: str) -> int:
    """An integer position in pixels, within ±2^31 (the caller checks it against the screen)."""
    value = _field(body, name, int, message_type)
    if not -MAX_COORDINATE <= value <= MAX_COORDINATE:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"'{name}' of {message_type} is out of range", message_type
        )
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class Spec:
    """How one field travels: its JSON type, whether it may be left out, and its bounds.

    ``kind`` is ``str``, ``int``, ``bool``, ``float`` (any JSON number), ``list`` or ``dict``;
    ``low``/``high`` bound a number's value or a text's length (in characters); ``choices``
    lists the values a text may take. An optional field is left out when it is None, unless it
    is ``nullable``: then None goes out as ``null`` and only :data:`UNSENT` leaves it out.
    """

    kind: type
    optional: bool = False
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False


UNSENT: Any = type("Unsent", (), {"__repr__": lambda self: "UNSENT"})()
"""The value of a ``nullable`` optional field that is not sent at all."""


def wire(
    kind: type,
    *,
    optional: bool = False,
    low: int | None = None,
    high: int | None = None,
    choices: tuple[str, ...] | None = None,
    nullable: bool = False,
    default: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field that travels on the wire, with its :class:`Spec`."""
    spec = Spec(kind, optional, low, high, choices, nullable)
    return dataclasses.field(default=default, metadata={"wire": spec})


_FIELD_SPECS: dict[type, dict[str, Spec]] = {}


def field_specs(cls: type) -> dict[str, Spec]:
    """The wire fields of a message dataclass, in order, with their specs (do not change it:
    one dict per class, cached, since every frame is built from it)."""
    specs = _FIELD_SPECS.get(cls)
    if specs is None:
        specs = _FIELD_SPECS[cls] = {
            f.name: f.metadata["wire"] for f in dataclasses.fields(cls) if "wire" in f.metadata
        }
    return specs


def parse_fields(cls: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Read and check every declared field of ``cls`` from ``body`` (unknown ones are ignored).

    Raises:
        ProtocolError: ``bad_message`` naming the missing, mistyped or out-of-bounds field.
    """
    message_type = str(cls.type)
    values: dict[str, Any] = {}
    for name, spec in field_specs(cls).items():
        if spec.kind is float:
            value = body.get(name)
            if value is None and spec.optional:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE,
                    f"{message_type} requires a number '{name}'",
                    message_type,
                )
            # A huge integer cannot become a float (OverflowError): compare before converting.
            if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT or not math.isfinite(value):
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE,
                    f"'{name}' of {message_type} is out of range",
                    message_type,
                )
            values[name] = float(value)
            continue
        if spec.nullable and body.get(name, UNSENT) is None:
            values[name] = None
            continue
        value = _field(body, name, spec.kind, message_type, required=not spec.optional)
        if value is None:
            continue
        if spec.choices is not None and value not in spec.choices:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"'{name}' of {message_type} must be one of {', '.join(sorted(spec.choices))}",
                message_type,
            )
        size = len(value) if isinstance(value, str | list) else value
        if (spec.low is not None and size < spec.low) or (
            spec.high is not None and size > spec.high
        ):
            unit = " chars" if isinstance(value, str) else ""
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"'{name}' of {message_type} must be {spec.low}-{spec.high}{unit}",
                message_type,
            )
        values[name] = value
    return values


class WireMessage:
    """Base of every message dataclass: ``parse()`` and ``to_frame()`` from the field specs.

    A message with no wire fields carries nothing but its type; any other field is ignored.
    Classes whose rules go beyond the specs (one field needing another) override ``parse``.
    """

    __slots__ = ()
    type: ClassVar[MessageType]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Any:
        return cls(**parse_fields(cls, body))

    def to_body(self) -> dict[str, Any]:
        """The JSON object, ``type`` first; optional fields that are None are left out."""
        body: dict[str, Any] = {"type": self.type}
        for name, spec in field_specs(type(self)).items():
            value = getattr(self, name)
            if value is UNSENT or (value is None and spec.optional and not spec.nullable):
                continue
            body[name] = value
        return body

    def to_frame(self) -> str:
        """The JSON text frame (see :meth:`to_body`)."""
        return json.dumps(self.to_body(), ensure_ascii=False, separators=(",", ":"))


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorMessage(WireMessage):
    """``error``: a frame was refused; the connection stays up."""

    type: ClassVar[MessageType] = MessageType.ERROR
    code: str = wire(str, choices=tuple(ErrorCode))
    message: str = wire(str)
    in_reply_to: str | None = wire(str, optional=True, default=None)
    client_id: str | None = wire(str, optional=True, default=None)
