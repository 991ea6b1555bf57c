"""Messages a participant sends to set up and run a voice or video call (CH9).

The call is a mesh of WebRTC peer connections, one per pair of participants; the relay routes
its signalling between the participants of one session and never carries media. A call is
started by the agent (``start_call``), answered by each customer (``answer_call``), left with
``hang_up``; ``set_call_media`` says whether the sender's microphone is muted or camera off.
``sdp_offer``, ``sdp_answer`` and ``ice_candidate`` go to one peer, named by its participant id
(``to``); the relay adds who sent them (``sender``). They travel on the chat channel, and on a
customer's viewer socket (the viewer may hold the call instead of the chat page).
The relay's side: :class:`suite.protocol.relay_messages.CallState` and the ``Relayed…`` classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from suite.protocol.base import MessageType, WireMessage, wire

MAX_CALL_ID_CHARS = 64
MAX_PARTICIPANT_ID_CHARS = 64
MAX_SDP_CHARS = 32768  # Chromium's audio+video offer is 6-9 KB; four times that is plenty
MAX_CANDIDATE_CHARS = 1024  # an ICE candidate line is ~100-250 characters
MAX_SDP_MID_CHARS = 64
MAX_M_LINE_INDEX = 255

CALL_MEDIA = ("audio", "video")


@dataclass(frozen=True, slots=True)
class StartCall(WireMessage):
    type: ClassVar[MessageType] = MessageType.START_CALL
    media: str = wire(str, choices=CALL_MEDIA)


@dataclass(frozen=True, slots=True)
class AnswerCall(WireMessage):
    type: ClassVar[MessageType] = MessageType.ANSWER_CALL
    call_id: str = wire(str, low=1, high=MAX_CALL_ID_CHARS)
    accept: bool = wire(bool)


@dataclass(frozen=True, slots=True)
class HangUp(WireMessage):
    type: ClassVar[MessageType] = MessageType.HANG_UP
    call_id: str = wire(str, low=1, high=MAX_CALL_ID_CHARS)


@dataclass(frozen=True, slots=True)
class SetCallMedia(WireMessage):
    type: ClassVar[MessageType] = MessageType.SET_CALL_MEDIA
    call_id: str = wire(str, low=1, high=MAX_CALL_ID_CHARS)
    muted: bool = wire(bool)
    camera_off: bool = wire(bool)


@dataclass(frozen=True, slots=True)
class RejoinCall(WireMessage):
    """The page that held its participant's place in a call is back on a new socket (a reload,
    a reconnect, a relay restart): it takes the place again, with its media as they were."""

    type: ClassVar[MessageType] = MessageType.REJOIN_CALL
    call_id: str = wire(str, low=1, high=MAX_CALL_ID_CHARS)
    media: str = wire(str, choices=CALL_MEDIA)
    muted: bool = wire(bool)
    camera_off: bool = wire(bool)


@dataclass(frozen=True, slots=True)
class SdpOffer(WireMessage):
    type: ClassVar[MessageType] = MessageType.SDP_OFFER
    call_id: str = wire(str, low=1, high=MAX_CALL_ID_CHARS)
    to: str = wire(str, low=1, high=MAX_PARTICIPANT_ID_CHARS)
    sdp: str = wire(str, low=1, high=MAX_SDP_CHARS)


@dataclass(frozen=True, slots=True)
class SdpAnswer(WireMessage):
    type: ClassVar[MessageType] = MessageType.SDP_ANSWER
    call_id: str = wire(str, low=1, high=MAX_CALL_ID_CHARS)
    to: str = wire(str, low=1, high=MAX_PARTICIPANT_ID_CHARS)
    sdp: str = wire(str, low=1, high=MAX_SDP_CHARS)


@dataclass(frozen=True, slots=True)
class IceCandidate(WireMessage):
    type: ClassVar[MessageType] = MessageType.ICE_CANDIDATE
    call_id: str = wire(str, low=1, high=MAX_CALL_ID_CHARS)
    to: str = wire(str, low=1, high=MAX_PARTICIPANT_ID_CHARS)
    candidate: str = wire(str, low=1, high=MAX_CANDIDATE_CHARS)
    sdp_mid: str | None = wire(str, optional=True, high=MAX_SDP_MID_CHARS, default=None)
    sdp_m_line_index: int | None = wire(
        int, optional=True, low=0, high=MAX_M_LINE_INDEX, default=None
    )


CALL_MESSAGES = (
    StartCall,
    AnswerCall,
    HangUp,
    SetCallMedia,
    RejoinCall,
    SdpOffer,
    SdpAnswer,
    IceCandidate,
)
SIGNAL_MESSAGES = (SdpOffer, SdpAnswer, IceCandidate)
