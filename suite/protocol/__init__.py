"""The RemoteSales wire protocol: message types, close codes and client-message parsing.

Mirrors ``docs/protocol.md`` (the source of truth) and ``ui/common/protocol.js``;
``tests/unit/test_protocol_agreement.py`` fails when the three disagree.

Only messages that a client sends are parsed into dataclasses, because those are the ones the
relay must distrust. Messages the relay sends are built with :func:`encode`. The vocabulary is
in ``base``; the client messages by channel and feature in ``chat``, ``screen``, ``control``
(P3) and ``drawing`` (P5); this module puts them in one registry and decodes frames.
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
    MessageType,
    ProtocolError,
    Role,
    encode,
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
from suite.protocol.screen import (
    Cursor,
    PaintReport,
    PresentPause,
    PresentResume,
    PresentStart,
    PresentStop,
    ScreenAck,
)

__all__ = [
    "MAX_CHAT_CHARS", "MAX_CLIENT_ID_CHARS", "MAX_FRAME_BYTES", "MAX_NAME_CHARS",
    "MAX_SAFE_INT", "MAX_SCREEN_FRAME_BYTES", "MAX_TOKEN_CHARS", "PROTOCOL_VERSION",
    "Channel", "CloseCode", "ErrorCode", "MessageType", "ProtocolError", "Role", "encode",
    "safe_json",
    "AnswerPresentation", "EndSession", "Hello", "MarkRead", "RemoveCustomer", "RenewCode",
    "RequestPresentation", "SendChat", "Typing", "AdmitKnock", "RefuseKnock", "RefuseAllKnocks",
    "Cursor", "PaintReport", "PresentPause", "PresentResume", "PresentStart", "PresentStop",
    "ScreenAck",
    "GrantControl", "KeyInput", "MouseInput", "RequestControl", "RevokeControl",
    "ClearDrawing", "StrokeBegin", "StrokeEnd", "StrokePoints", "UndoStroke",
    "CLIENT_MESSAGES", "DRAWING_MESSAGES", "SCREEN_MESSAGES", "VIEWER_CHAT_MESSAGES",
    "ClientMessage",
    "client_id_of", "decode_client_message",
]  # fmt: skip

DRAWING_MESSAGES = (StrokeBegin, StrokePoints, StrokeEnd, UndoStroke, ClearDrawing)
# Every message a client may send, and those of them that belong on the screen channel.
_CHAT_CHANNEL = (
    Hello, SendChat, Typing, MarkRead, EndSession, RemoveCustomer, RenewCode,
    RequestPresentation, AnswerPresentation, GrantControl, AdmitKnock, RefuseKnock,
    RefuseAllKnocks,
)  # fmt: skip
SCREEN_MESSAGES = frozenset((
    ScreenAck, PaintReport, PresentStart, PresentPause, PresentResume, PresentStop, Cursor,
    RequestControl, RevokeControl, MouseInput, KeyInput, *DRAWING_MESSAGES,
))  # fmt: skip
# The chat a customer's viewer socket may also carry (issue 12 #3: the chat beside the screen).
VIEWER_CHAT_MESSAGES = frozenset((SendChat, Typing, MarkRead))
CLIENT_MESSAGES: dict[str, type[Any]] = {
    str(cls.type): cls for cls in (*_CHAT_CHANNEL, *SCREEN_MESSAGES)
}
ClientMessage = (
    Hello | SendChat | Typing | MarkRead | EndSession | RemoveCustomer | RenewCode
    | RequestPresentation | AnswerPresentation | GrantControl
    | AdmitKnock | RefuseKnock | RefuseAllKnocks
    | ScreenAck | PaintReport | PresentStart | PresentPause | PresentResume | PresentStop
    | Cursor | RequestControl | RevokeControl | MouseInput | KeyInput
    | StrokeBegin | StrokePoints | StrokeEnd | UndoStroke | ClearDrawing
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
