"""The RemoteSales wire protocol: message types, close codes and client-message parsing.

Mirrors ``docs/protocol.md`` (the source of truth) and ``ui/common/protocol.js``;
``tests/unit/test_protocol_agreement.py`` fails when the three disagree.

Every message is a dataclass with a declarative field spec (:func:`base.wire`): those a client
sends by channel and feature in ``chat``, ``screen``, ``control`` (P3) and ``drawing`` (P5),
parsed strictly because the relay must distrust them; those the relay sends in
``relay_messages``, which is how the relay builds them and the Python clients read them. The
vocabulary is in ``base``. This module names which client messages belong on which channel
(:data:`CHAT_MESSAGES`, :data:`SCREEN_MESSAGES`) and decodes client frames.

Outside this package no code spells a message type as a string:
``tests/unit/test_protocol_agreement.py`` scans the tree for one.
"""

from __future__ import annotations

from typing import Any

from suite.protocol import safe_json
from suite.protocol.base import (
    MAX_CHAT_CHARS,
    MAX_CLIENT_ID_CHARS,
    MAX_FRAME_BYTES,
    MAX_NAME_CHARS,
    MAX_SAFE_INT,
    MAX_SCREEN_FRAME_BYTES,
    MAX_TOKEN_CHARS,
    PROTOCOL_VERSION,
    Channel,
    CloseCode,
    ErrorCode,
    ErrorMessage,
    MessageType,
    ProtocolError,
    Role,
    Spec,
    WireMessage,
    encode,
    field_specs,
)
from suite.protocol.calls import (
    CALL_MESSAGES,
    SIGNAL_MESSAGES,
    AnswerCall,
    HangUp,
    IceCandidate,
    RejoinCall,
    SdpAnswer,
    SdpOffer,
    SetCallMedia,
    StartCall,
)
from suite.protocol.chat import (
    AnswerPresentation,
    EndSession,
    Hello,
    MarkRead,
    RemoveCustomer,
    RenewCode,
    RequestPresentation,
    SendChat,
    Typing,
)
from suite.protocol.control import (
    GrantControl,
    KeyInput,
    MouseInput,
    RequestControl,
    RevokeControl,
)
from suite.protocol.drawing import (
    ClearDrawing,
    StrokeBegin,
    StrokeEnd,
    StrokePoints,
    UndoStroke,
)
from suite.protocol.knocks import AdmitKnock, RefuseAllKnocks, RefuseKnock
from suite.protocol.relay_messages import (
    RELAY_MESSAGES,
    CallState,
    CaptureCredit,
    ChatMessage,
    ControlState,
    CustomerRemoved,
    Drawing,
    DrawingCleared,
    FileCancelled,
    FileFailed,
    FileOffered,
    FileProgress,
    FileReady,
    FileReceived,
    KnocksChanged,
    MarkedRead,
    ParticipantJoined,
    ParticipantLeft,
    PresentationAnswered,
    PresentationRequested,
    PrintAnswered,
    PrintRequested,
    RecordingPolicy,
    RecordingState,
    RelayedIceCandidate,
    RelayedSdpAnswer,
    RelayedSdpOffer,
    RelayedStrokeBegin,
    RelayedStrokeEnd,
    RelayedStrokePoints,
    RelayedTyping,
    RequestKeyFrame,
    ScreenState,
    SessionEnded,
    SessionUpdated,
    StrokeRemoved,
    VideoCodecs,
    Welcome,
    WhiteboardRefused,
    WhiteboardState,
    WhiteboardUpdated,
    decode_relay_message,
)
from suite.protocol.screen import (
    Cursor,
    DecoderSupport,
    PaintReport,
    PresentPause,
    PresentResume,
    PresentStart,
    PresentStop,
    ScreenAck,
    SetRecording,
    VideoLost,
)
from suite.protocol.session_reservation import SessionReservation
from suite.protocol.sharing import AnswerPrint, RequestPrint, SendLink
from suite.protocol.whiteboard import (
    WHITEBOARD_MESSAGES,
    AnswerWhiteboard,
    NewWhiteboard,
    OpenWhiteboard,
    UpdateWhiteboard,
)

__all__ = [
    "MAX_CHAT_CHARS", "MAX_CLIENT_ID_CHARS", "MAX_FRAME_BYTES", "MAX_NAME_CHARS",
    "MAX_SAFE_INT", "MAX_SCREEN_FRAME_BYTES", "MAX_TOKEN_CHARS", "PROTOCOL_VERSION",
    "Channel", "CloseCode", "ErrorCode", "ErrorMessage", "MessageType", "ProtocolError", "Role",
    "Spec", "WireMessage", "encode", "field_specs", "safe_json",
    "AnswerPresentation", "EndSession", "Hello", "MarkRead", "RemoveCustomer", "RenewCode",
    "RequestPresentation", "SendChat", "Typing", "AdmitKnock", "RefuseKnock", "RefuseAllKnocks",
    "Cursor", "PaintReport", "PresentPause", "PresentResume", "PresentStart", "PresentStop",
    "ScreenAck", "DecoderSupport", "VideoCodecs", "RequestKeyFrame", "VideoLost",
    "GrantControl", "KeyInput", "MouseInput", "RequestControl", "RevokeControl",
    "ClearDrawing", "StrokeBegin", "StrokeEnd", "StrokePoints", "UndoStroke",
    "CLIENT_MESSAGES", "CHAT_MESSAGES", "DRAWING_MESSAGES", "SCREEN_MESSAGES",
    "VIEWER_CHAT_MESSAGES", "ClientMessage",
    "client_id_of", "decode_client_message", "require_channel",
    "RELAY_MESSAGES", "CaptureCredit", "ChatMessage", "ControlState", "CustomerRemoved",
    "Drawing", "DrawingCleared", "FileCancelled", "FileFailed", "FileOffered", "FileProgress",
    "FileReady", "FileReceived", "MarkedRead", "ParticipantJoined", "ParticipantLeft",
    "PresentationAnswered", "PresentationRequested", "RelayedStrokeBegin", "RelayedStrokeEnd",
    "RelayedStrokePoints", "RelayedTyping", "ScreenState", "SessionEnded", "SessionUpdated",
    "StrokeRemoved", "Welcome", "KnocksChanged", "decode_relay_message",
    "CALL_MESSAGES", "SIGNAL_MESSAGES", "AnswerCall", "HangUp", "IceCandidate", "SdpAnswer",
    "SdpOffer", "SetCallMedia", "StartCall", "RejoinCall", "CallState", "RelayedIceCandidate",
    "RelayedSdpAnswer", "RelayedSdpOffer",
    "WHITEBOARD_MESSAGES", "AnswerWhiteboard", "NewWhiteboard", "OpenWhiteboard",
    "UpdateWhiteboard", "WhiteboardState", "WhiteboardUpdated", "WhiteboardRefused",
    "SHARING_MESSAGES", "AnswerPrint", "RequestPrint", "SendLink", "PrintAnswered",
    "PrintRequested", "SetRecording", "RecordingState",
    "RecordingPolicy", "SessionReservation",
]  # fmt: skip

DRAWING_MESSAGES = (StrokeBegin, StrokePoints, StrokeEnd, UndoStroke, ClearDrawing)
# Favourites in the chat (CH7) and remote print: on the chat channel and a customer's viewer.
SHARING_MESSAGES = (SendLink, RequestPrint, AnswerPrint)
# What a client may send on each channel after its hello (docs/protocol.md: the chat tables,
# and the screen channel's); the endpoints refuse the rest. ``revoke_control`` is on both.
CHAT_MESSAGES: frozenset[type[Any]] = frozenset((
    SendChat, Typing, MarkRead, EndSession, RemoveCustomer, RenewCode,
    RequestPresentation, AnswerPresentation, GrantControl, RevokeControl,
    AdmitKnock, RefuseKnock, RefuseAllKnocks, *CALL_MESSAGES, *WHITEBOARD_MESSAGES,
    *SHARING_MESSAGES,
))  # fmt: skip
SCREEN_MESSAGES: frozenset[type[Any]] = frozenset((
    ScreenAck, PaintReport, PresentStart, PresentPause, PresentResume, PresentStop, Cursor,
    RequestControl, RevokeControl, MouseInput, KeyInput, *DRAWING_MESSAGES,
    EndSession,  # the viewer's End button: the screen router hands it to Relay.end
    SetRecording,  # P9: the presenter records
    DecoderSupport, VideoLost,
))  # fmt: skip
_ALL_CLIENT_MESSAGES: tuple[type[Any], ...] = (Hello, *CHAT_MESSAGES, *SCREEN_MESSAGES)
# The chat a customer's viewer socket may also carry (the conversation beside the screen):
# the endpoint hands them to the chat handlers, never to the screen router.
# A viewer may also hold its customer's place in a call (CH9): the call messages go the same way.
# And the whiteboard (CH3): a browser viewer draws on it beside the screen.
VIEWER_CHAT_MESSAGES: frozenset[type[Any]] = frozenset(
    (SendChat, Typing, MarkRead, *CALL_MESSAGES, *WHITEBOARD_MESSAGES, AnswerPrint)
)
CLIENT_MESSAGES: dict[str, type[Any]] = {str(cls.type): cls for cls in _ALL_CLIENT_MESSAGES}
_CHANNEL_MESSAGES = {Channel.CHAT: CHAT_MESSAGES, Channel.SCREEN: SCREEN_MESSAGES}

ClientMessage = (
    Hello | SendChat | Typing | MarkRead | EndSession | RemoveCustomer | RenewCode
    | RequestPresentation | AnswerPresentation | GrantControl
    | AdmitKnock | RefuseKnock | RefuseAllKnocks
    | ScreenAck | PaintReport | PresentStart | PresentPause | PresentResume | PresentStop
    | Cursor | SetRecording | RequestControl | RevokeControl | MouseInput | KeyInput
    | DecoderSupport | VideoLost
    | StrokeBegin | StrokePoints | StrokeEnd | UndoStroke | ClearDrawing
    | StartCall | AnswerCall | HangUp | SetCallMedia | RejoinCall | SdpOffer | SdpAnswer
    | IceCandidate
    | OpenWhiteboard | AnswerWhiteboard | UpdateWhiteboard | NewWhiteboard
    | SendLink | RequestPrint | AnswerPrint
)  # fmt: skip


def decode_client_message(frame: str | bytes) -> ClientMessage:
    """Parse one frame a client sent.

    Raises:
        ProtocolError: the frame is binary, not JSON (or nested deeper than
            ``safe_json.MAX_JSON_DEPTH``), not an object, of an unknown type, or misses or
            mistypes a field; its ``to_frame()`` is the ``error`` reply to send back.
    """
    if isinstance(frame, bytes | bytearray):
        raise ProtocolError(
            ErrorCode.BINARY_NOT_EXPECTED, "binary frames are not expected on this channel"
        )
    try:
        body = safe_json.loads(frame)
    except safe_json.JsonRefused as refused:
        raise ProtocolError(ErrorCode.BAD_JSON, f"frame is {refused.message}") from None
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


def require_channel(message: ClientMessage, channel: Channel) -> None:
    """Refuse a message that does not belong on ``channel`` (or a second ``hello``).

    Raises:
        ProtocolError: ``not_allowed``, "X is not sent on the chat channel", in reply to X.
    """
    if type(message) in _CHANNEL_MESSAGES[channel]:
        return
    message_type = str(message.type)
    if isinstance(message, Hello):
        raise ProtocolError(ErrorCode.NOT_ALLOWED, "hello was already accepted", message_type)
    raise ProtocolError(
        ErrorCode.NOT_ALLOWED, f"{message_type} is not sent on the {channel} channel", message_type
    )


def client_id_of(body: Any) -> str | None:
    """The ``client_id`` of a chat frame, so that an ``error`` can name the refused message."""
    if isinstance(body, str | bytes | bytearray):
        try:
            body = safe_json.loads(body)
        except safe_json.JsonRefused:
            return None
    client_id = body.get("client_id") if isinstance(body, dict) else None
    if isinstance(client_id, str) and 0 < len(client_id) <= MAX_CLIENT_ID_CHARS:
        return client_id
    return None
