"""Messages the relay sends, one dataclass each: the relay builds every frame through them.

Their fields are the rows of ``docs/protocol.md`` (*Relay → client* and the per-feature tables);
``tests/unit/test_protocol_agreement.py`` compares the two. Types that travel both ways
(``typing``, the three ``stroke_*``) have a ``Relayed…`` class here: the relay adds who sent
it. ``cursor``, ``mouse_input`` and ``key_input`` are forwarded as they came (their client
dataclasses), and ``error`` is :class:`suite.protocol.base.ErrorMessage`.

Clients read these loosely (unknown fields ignored): :func:`decode_relay_message` checks the
fields a client relies on and raises :class:`ProtocolError` otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import (
    UNSENT,
    ErrorCode,
    ErrorMessage,
    MessageType,
    ProtocolError,
    WireMessage,
    wire,
)
from suite.protocol.control import KeyInput, MouseInput
from suite.protocol.screen import Cursor

# -- chat channel -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Welcome(WireMessage):
    type: ClassVar[MessageType] = MessageType.WELCOME
    protocol_version: int = wire(int)
    you: dict[str, Any] = wire(dict)
    session: dict[str, Any] = wire(dict)
    missed: list[dict[str, Any]] = wire(list)
    last_id: int = wire(int)
    read_up_to: dict[str, int] = wire(dict)


@dataclass(frozen=True, slots=True)
class ChatMessage(WireMessage):
    type: ClassVar[MessageType] = MessageType.CHAT_MESSAGE
    id: int = wire(int)
    client_id: str = wire(str)
    role: str = wire(str)
    name: str = wire(str)
    text: str = wire(str)
    sent_at: float = wire(float)
    participant_id: str = wire(str, optional=True, default="")  # the sender's, by the relay
    # A file transfer's entry in the conversation: {id, name, size, type} of the transfer.
    file: dict[str, Any] | None = wire(dict, optional=True, default=None)
    # A favourite link sent as a card (CH7): {title, url}; ``text`` is then the URL.
    link: dict[str, Any] | None = wire(dict, optional=True, default=None)


@dataclass(frozen=True, slots=True)
class RelayedTyping(WireMessage):
    type: ClassVar[MessageType] = MessageType.TYPING
    role: str = wire(str)
    name: str = wire(str)
    active: bool = wire(bool)
    participant_id: str = wire(str, optional=True, default="")


@dataclass(frozen=True, slots=True)
class MarkedRead(WireMessage):
    type: ClassVar[MessageType] = MessageType.MARKED_READ
    role: str = wire(str)
    up_to_id: int = wire(int)


@dataclass(frozen=True, slots=True)
class ParticipantJoined(WireMessage):
    type: ClassVar[MessageType] = MessageType.PARTICIPANT_JOINED
    role: str = wire(str)
    name: str = wire(str)
    rejoined: bool = wire(bool)
    participant_id: str = wire(str, optional=True, default="")
    color: str = wire(str, optional=True, default="")


@dataclass(frozen=True, slots=True)
class ParticipantLeft(WireMessage):
    type: ClassVar[MessageType] = MessageType.PARTICIPANT_LEFT
    role: str = wire(str)
    name: str = wire(str)
    participant_id: str = wire(str, optional=True, default="")
    removed: bool = wire(bool, optional=True, default=False)  # gone for good, not away


@dataclass(frozen=True, slots=True)
class SessionUpdated(WireMessage):
    type: ClassVar[MessageType] = MessageType.SESSION_UPDATED
    session: dict[str, Any] = wire(dict)


@dataclass(frozen=True, slots=True)
class CustomerRemoved(WireMessage):
    type: ClassVar[MessageType] = MessageType.CUSTOMER_REMOVED
    session: dict[str, Any] = wire(dict)
    participant_id: str = wire(str, optional=True, default="")


@dataclass(frozen=True, slots=True)
class SessionEnded(WireMessage):
    type: ClassVar[MessageType] = MessageType.SESSION_ENDED
    session_id: str = wire(str)
    agent_name: str = wire(str)
    customer_name: str = wire(str)
    started_at: float = wire(float)
    ended_at: float = wire(float)
    duration_s: float = wire(float)
    ended_by: str = wire(str, choices=("agent", "customer", "relay", "admin"))


@dataclass(frozen=True, slots=True)
class KnocksChanged(WireMessage):
    """To the agent: the session's pending knocks, whole (``[{id, name, via, knocked_at,
    expires_at}]``, oldest first)."""

    type: ClassVar[MessageType] = MessageType.KNOCKS_CHANGED
    knocks: list[dict[str, Any]] = wire(list)


@dataclass(frozen=True, slots=True)
class PresentationRequested(WireMessage):
    type: ClassVar[MessageType] = MessageType.PRESENTATION_REQUESTED
    agent_name: str = wire(str)


@dataclass(frozen=True, slots=True)
class PresentationAnswered(WireMessage):
    type: ClassVar[MessageType] = MessageType.PRESENTATION_ANSWERED
    accept: bool = wire(bool)


# -- files both ways (P4), on the chat channel and the viewers' screen sockets -------------------


@dataclass(frozen=True, slots=True)
class FileOffered(WireMessage):
    type: ClassVar[MessageType] = MessageType.FILE_OFFERED
    transfer: dict[str, Any] = wire(dict)


@dataclass(frozen=True, slots=True)
class FileProgress(WireMessage):
    type: ClassVar[MessageType] = MessageType.FILE_PROGRESS
    id: str = wire(str)
    uploaded: int = wire(int)
    downloaded: int = wire(int)
    size: int = wire(int)


@dataclass(frozen=True, slots=True)
class FileReady(WireMessage):
    type: ClassVar[MessageType] = MessageType.FILE_READY
    transfer: dict[str, Any] = wire(dict)


@dataclass(frozen=True, slots=True)
class FileReceived(WireMessage):
    type: ClassVar[MessageType] = MessageType.FILE_RECEIVED
    transfer: dict[str, Any] = wire(dict)


@dataclass(frozen=True, slots=True)
class FileCancelled(WireMessage):
    type: ClassVar[MessageType] = MessageType.FILE_CANCELLED
    transfer: dict[str, Any] = wire(dict)


@dataclass(frozen=True, slots=True)
class FileFailed(WireMessage):
    type: ClassVar[MessageType] = MessageType.FILE_FAILED
    transfer: dict[str, Any] = wire(dict)


# -- screen channel -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptureCredit(WireMessage):
    type: ClassVar[MessageType] = MessageType.CAPTURE_CREDIT
    frames: int = wire(int, low=1)


@dataclass(frozen=True, slots=True)
class VideoCodecs(WireMessage):
    """Relay → presenter: the video codecs every viewer decodes (``[]``: send no video)."""

    type: ClassVar[MessageType] = MessageType.VIDEO_CODECS
    codecs: list[str] = wire(list)


@dataclass(frozen=True, slots=True)
class RequestKeyFrame(WireMessage):
    """Relay → presenter: make the next frame of this video layer a key frame."""

    type: ClassVar[MessageType] = MessageType.REQUEST_KEY_FRAME
    layer: str = wire(str, choices=("high", "low"))


@dataclass(frozen=True, slots=True)
class ScreenState(WireMessage):
    type: ClassVar[MessageType] = MessageType.SCREEN_STATE
    state: str = wire(str, choices=("waiting", "live", "paused", "stopped"))
    screen_w: int = wire(int)
    screen_h: int = wire(int)
    control: bool = wire(bool)  # the presenter can take input: "Request control" makes sense


@dataclass(frozen=True, slots=True)
class ControlState(WireMessage):
    """What a viewer holds; the presenter's and the agent's copy also say who (``{customer_id,
    name}`` or ``null``): a viewer's leaves those three out (UNSENT)."""

    type: ClassVar[MessageType] = MessageType.CONTROL_STATE
    mouse: bool = wire(bool)
    keyboard: bool = wire(bool)
    requested: bool = wire(bool)
    requested_by: dict[str, str] | None = wire(dict, optional=True, nullable=True, default=UNSENT)
    mouse_holder: dict[str, str] | None = wire(dict, optional=True, nullable=True, default=UNSENT)
    keyboard_holder: dict[str, str] | None = wire(
        dict, optional=True, nullable=True, default=UNSENT
    )


@dataclass(frozen=True, slots=True)
class RelayedStrokeBegin(WireMessage):
    type: ClassVar[MessageType] = MessageType.STROKE_BEGIN
    author: str = wire(str)
    id: str = wire(str)
    tool: str = wire(str)
    color: str = wire(str)
    width: int = wire(int)
    points: list[list[int]] = wire(list)


@dataclass(frozen=True, slots=True)
class RelayedStrokePoints(WireMessage):
    type: ClassVar[MessageType] = MessageType.STROKE_POINTS
    author: str = wire(str)
    id: str = wire(str)
    points: list[list[int]] = wire(list)


@dataclass(frozen=True, slots=True)
class RelayedStrokeEnd(WireMessage):
    type: ClassVar[MessageType] = MessageType.STROKE_END
    author: str = wire(str)
    id: str = wire(str)
    points: list[list[int]] = wire(list)


@dataclass(frozen=True, slots=True)
class StrokeRemoved(WireMessage):
    type: ClassVar[MessageType] = MessageType.STROKE_REMOVED
    author: str = wire(str)
    id: str = wire(str)


@dataclass(frozen=True, slots=True)
class DrawingCleared(WireMessage):
    type: ClassVar[MessageType] = MessageType.DRAWING_CLEARED
    by: str = wire(str, choices=("agent", "customer", "relay"))


@dataclass(frozen=True, slots=True)
class Drawing(WireMessage):
    type: ClassVar[MessageType] = MessageType.DRAWING
    strokes: list[dict[str, Any]] = wire(list)


# -- calls (CH9), on the chat channel and the customers' viewer sockets ------------------------


@dataclass(frozen=True, slots=True)
class CallState(WireMessage):
    """The session's call, whole, to every socket of every participant: ``you`` is the
    receiver's participant id, ``here`` whether this socket holds the receiver's place in the
    call; ``ice_servers`` carries the receiver's own TURN credentials (empty once ended)."""

    type: ClassVar[MessageType] = MessageType.CALL_STATE
    call_id: str = wire(str)
    media: str = wire(str, choices=("audio", "video"))
    state: str = wire(str, choices=("ringing", "active", "ended"))
    you: str = wire(str)
    here: bool = wire(bool)
    participants: list[dict[str, Any]] = wire(list)
    ice_servers: list[dict[str, Any]] = wire(list)
    reason: str | None = wire(str, optional=True, default=None)


@dataclass(frozen=True, slots=True)
class RelayedSdpOffer(WireMessage):
    type: ClassVar[MessageType] = MessageType.SDP_OFFER
    call_id: str = wire(str)
    to: str = wire(str)
    sdp: str = wire(str)
    sender: str = wire(str)


@dataclass(frozen=True, slots=True)
class RelayedSdpAnswer(WireMessage):
    type: ClassVar[MessageType] = MessageType.SDP_ANSWER
    call_id: str = wire(str)
    to: str = wire(str)
    sdp: str = wire(str)
    sender: str = wire(str)


@dataclass(frozen=True, slots=True)
class RelayedIceCandidate(WireMessage):
    type: ClassVar[MessageType] = MessageType.ICE_CANDIDATE
    call_id: str = wire(str)
    to: str = wire(str)
    candidate: str = wire(str)
    sdp_mid: str | None = wire(str, optional=True, default=None)
    sdp_m_line_index: int | None = wire(int, optional=True, default=None)
    sender: str = wire(str, default="")


# -- the shared whiteboard (CH3) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhiteboardState(WireMessage):
    """The session's whiteboard, whole: to everyone when it is asked for, opened, declined or
    replaced by a new board, and to a socket that says ``hello`` while it is asked or open."""

    type: ClassVar[MessageType] = MessageType.WHITEBOARD_STATE
    state: str = wire(str, choices=("asked", "open", "declined"))
    board: int = wire(int)
    elements: list[dict[str, Any]] = wire(list)
    by: str | None = wire(str, optional=True, default=None)


@dataclass(frozen=True, slots=True)
class WhiteboardUpdated(WireMessage):
    """Elements that won the relay's reconcile, to every other socket of the session."""

    type: ClassVar[MessageType] = MessageType.WHITEBOARD_UPDATED
    board: int = wire(int)
    elements: list[dict[str, Any]] = wire(list)
    sender: str = wire(str)


@dataclass(frozen=True, slots=True)
class WhiteboardRefused(WireMessage):
    """To the sender of a refused ``update_whiteboard`` (before its ``error``): which copies
    were refused and the relay's copies of those it has, so that the sender rolls them back."""

    type: ClassVar[MessageType] = MessageType.WHITEBOARD_REFUSED
    board: int = wire(int)
    refused: list[list[Any]] = wire(list)
    elements: list[dict[str, Any]] = wire(list)


# -- remote print, on the chat channel and the customers' viewer sockets -----------------------


@dataclass(frozen=True, slots=True)
class PrintRequested(WireMessage):
    """The agent asks to print a file of the session: ``transfer`` is its file object; ``type``
    is the MIME type a browser prints it as (from its name: PDF or an image)."""

    type: ClassVar[MessageType] = MessageType.PRINT_REQUESTED
    transfer_id: str = wire(str)
    name: str = wire(str)
    size: int = wire(int)
    mime: str = wire(str)
    agent_name: str = wire(str)


@dataclass(frozen=True, slots=True)
class PrintAnswered(WireMessage):
    type: ClassVar[MessageType] = MessageType.PRINT_ANSWERED
    transfer_id: str = wire(str)
    accept: bool = wire(bool)
    participant_id: str = wire(str)
    name: str = wire(str)


@dataclass(frozen=True, slots=True)
class RecordingState(WireMessage):
    """Whether the agent's app records the session now (P9): every chat socket and viewer."""

    type: ClassVar[MessageType] = MessageType.RECORDING_STATE
    recording: bool = wire(bool)


@dataclass(frozen=True, slots=True)
class RecordingPolicy(WireMessage):
    """The admin changed ``recording.policy`` (P9): every presenter's socket is told at once,
    and a running recording follows (``off``/``always``/``agent_choice``)."""

    type: ClassVar[MessageType] = MessageType.RECORDING_POLICY
    policy: str = wire(str)


RELAY_MESSAGES: dict[str, type[Any]] = {
    str(cls.type): cls
    for cls in (
        Welcome, ChatMessage, RelayedTyping, MarkedRead, ParticipantJoined, ParticipantLeft,
        SessionUpdated, CustomerRemoved, SessionEnded, KnocksChanged, PresentationRequested,
        PresentationAnswered, FileOffered, FileProgress, FileReady, FileReceived,
        FileCancelled, FileFailed, CaptureCredit, ScreenState, ControlState, Cursor,
        MouseInput, KeyInput, VideoCodecs, RequestKeyFrame,
        RelayedStrokeBegin, RelayedStrokePoints, RelayedStrokeEnd, StrokeRemoved,
        DrawingCleared, Drawing, ErrorMessage,
        CallState, RelayedSdpOffer, RelayedSdpAnswer, RelayedIceCandidate,
        WhiteboardState, WhiteboardUpdated, WhiteboardRefused,
        PrintRequested, PrintAnswered, RecordingState, RecordingPolicy,
    )
}  # fmt: skip
"""Every message the relay sends, by type."""


def decode_relay_message(frame: str | bytes | dict[str, Any]) -> Any:
    """Parse one frame from the relay into its dataclass (a client's side of the contract).

    Raises:
        ProtocolError: not a JSON object, an unknown ``type``, or a field the client relies on
            is missing or mistyped.
    """
    body: Any = frame
    if not isinstance(body, dict):
        try:
            body = json.loads(body)
        except ValueError:
            raise ProtocolError(ErrorCode.BAD_JSON, "frame is not valid JSON") from None
    if not isinstance(body, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "frame must be a JSON object")
    cls = RELAY_MESSAGES.get(body.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {body.get('type')!r}")
    return cls.parse(body)
