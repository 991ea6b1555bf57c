"""The call a support session may hold (CH9), and the routes of its signalling (pure).

A call is a mesh: every pair of joined participants has one WebRTC peer connection, set up by
``sdp_offer`` / ``sdp_answer`` / ``ice_candidate`` that the relay passes from one participant
to another **of the same session only**, with the sender (``sender``) filled in from the
socket, never from the frame. Media never goes through the relay.

Participants are named by a participant id: ``agent`` for the agent, the customer's public id
(``customer_id``, from its token) for a customer. A participant may have several sockets (the
chat page, a browser viewer, the one-time viewer); the one that started or accepted the call
holds the participant's place in it (``here``), and only that socket may signal and is
signalled. Every change sends ``call_state`` to every socket of the session, each copy naming
its receiver (``you``) and carrying that receiver's own short-lived TURN credentials.

A call outlives its sockets for a while: when the socket holding a participant's place closes
(a reload, a network drop, a relay restart) the participant is ``away`` for up to
``REJOIN_GRACE_S``, and the page that held the place takes it again on its new socket with
``rejoin_call``; its ``seat`` number grows, which tells every peer to open a fresh peer
connection to it. After a relay restart the relay knows no call: the agent's ``rejoin_call``
sets it up again (its customers away until they rejoin too).

Pure: sockets are members with ``send``; the caller passes the time; ``sockets_of`` (given by
the relay) lists a session's chat and viewer sockets.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from relay_server.calls.ice_servers import IceConfig
from relay_server.sessions.rooms import Member
from relay_server.throttle import TokenBucket
from suite.protocol import (
    AnswerCall,
    CallState,
    ErrorCode,
    HangUp,
    IceCandidate,
    ProtocolError,
    RejoinCall,
    RelayedIceCandidate,
    RelayedSdpAnswer,
    RelayedSdpOffer,
    Role,
    SdpAnswer,
    SdpOffer,
    SetCallMedia,
    StartCall,
)

logger = logging.getLogger(__name__)

AGENT_PARTICIPANT_ID = "agent"
RING_TIMEOUT_S = 45.0  # nobody answered: the call ends as "no_answer"
# A participant whose call socket closed may come back this long (a reload takes 1-3 s, a
# relay restart's reconnect up to ~10 s with the clients' backoff); then they have left.
REJOIN_GRACE_S = 30.0
SIGNALS_PER_S = 20.0  # offers, answers, candidates and media changes per socket
SIGNAL_BURST = 60.0  # a negotiation's candidates arrive in one burst


class CallPhase(StrEnum):
    RINGING = "ringing"
    ACTIVE = "active"
    ENDED = "ended"


class Presence(StrEnum):
    """Where one participant stands in the call."""

    INVITED = "invited"  # ringing on every socket of theirs
    JOINED = "joined"  # in the call, on the socket ``Participant.socket``
    AWAY = "away"  # joined, but the socket closed: may rejoin within REJOIN_GRACE_S
    DECLINED = "declined"
    MISSED = "missed"  # did not answer in RING_TIMEOUT_S
    LEFT = "left"  # hung up, or their call socket closed


class EndReason(StrEnum):
    HUNG_UP = "hung_up"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    SESSION_ENDED = "session_ended"


@dataclass(slots=True)
class Participant:
    id: str
    role: Role
    name: str
    presence: Presence = Presence.INVITED
    muted: bool = False
    camera_off: bool = False
    socket: Member | None = None
    seat: int = 0  # grows on every (re)join: peers open a fresh peer connection to a new seat
    away_since: float | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": str(self.role),
            "name": self.name,
            "state": str(self.presence),
            "muted": self.muted,
            "camera_off": self.camera_off,
            "seat": self.seat,
        }

    def take_seat(self, socket: Member) -> None:
        """Joined (again) on ``socket``."""
        self.presence, self.socket, self.away_since = Presence.JOINED, socket, None
        self.seat += 1


@dataclass(slots=True)
class Call:
    id: str
    session_id: str
    media: str
    started_at: float
    phase: CallPhase = CallPhase.RINGING
    participants: dict[str, Participant] = field(default_factory=dict)
    reason: EndReason | None = None

    def joined(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.presence is Presence.JOINED]

    def in_call(self) -> list[Participant]:
        """Joined, or away for a moment (they may rejoin)."""
        live = (Presence.JOINED, Presence.AWAY)
        return [p for p in self.participants.values() if p.presence in live]


def participant_id(member: Member) -> str:
    """The participant id of a socket: ``agent``, or the customer's public id."""
    return AGENT_PARTICIPANT_ID if member.role is Role.AGENT else member.customer_id


class Calls:
    """Every live call, at most one per session, and their signalling.

    Args:
        sockets_of: a session's sockets that take part in calls (its chat sockets and its
            customers' viewer sockets; never the presenter).
        ice: the STUN/TURN servers and the TURN secret.
    """

    def __init__(self, sockets_of: Callable[[str], Iterable[Member]], ice: IceConfig):
        self.sockets_of = sockets_of
        self.ice = ice
        self._calls: dict[str, Call] = {}
        self._buckets: dict[int, TokenBucket] = {}
        # Told the session id when a call connects (its first answer): the history's usage.
        self.on_connected: Callable[[str], None] = lambda session_id: None

    def call_of(self, session_id: str) -> Call | None:
        return self._calls.get(session_id)

    # -- messages ----------------------------------------------------------------------------

    def handle(
        self,
        member: Member,
        customers: list[tuple[str, str]],
        agent_name: str,
        message: Any,
        now: float,
    ) -> None:
        """Act on one call message from a socket of the session.

        Args:
            customers: ``(customer_id, name)`` of the session's customers that may be called.

        Raises:
            ProtocolError: ``not_allowed`` (not the agent, no such call, not in it, a peer not
                in it), ``rate_limited`` (signalling too fast).
        """
        if isinstance(message, StartCall):
            self._start(member, customers, agent_name, message, now)
            return
        call = self._calls.get(member.session_id)
        if isinstance(message, RejoinCall):
            self._rejoin(call, member, customers, agent_name, message, now)
            return
        if call is None or call.id != message.call_id:
            # Late frames of a call that ended are expected: the client drops the reply.
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "no such call", str(message.type))
        if isinstance(message, AnswerCall):
            self._answer(call, member, message, now)
        elif isinstance(message, HangUp):
            self._hang_up(call, member, now)
        elif isinstance(message, SetCallMedia):
            sender = self._seat_of(call, member, message)
            self._rate(member, message, now)
            sender.muted, sender.camera_off = message.muted, message.camera_off
            self._broadcast(call, now)
        else:
            self._signal(call, member, message, now)

    def _start(
        self,
        member: Member,
        customers: list[tuple[str, str]],
        agent_name: str,
        message: StartCall,
        now: float,
    ) -> None:
        if member.role is not Role.AGENT:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "only the agent starts a call", str(message.type)
            )
        current = self._calls.get(member.session_id)
        if current is not None:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "a call is already on", str(message.type))
        connected = {participant_id(s) for s in self.sockets_of(member.session_id)}
        invited = [(cid, name) for cid, name in customers if cid in connected]
        if not invited:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "no customer is connected", str(message.type)
            )
        call = Call(secrets.token_urlsafe(12), member.session_id, message.media, now)
        agent = Participant(AGENT_PARTICIPANT_ID, Role.AGENT, agent_name)
        agent.take_seat(member)
        call.participants[AGENT_PARTICIPANT_ID] = agent
        for customer_id, name in invited:
            call.participants[customer_id] = Participant(customer_id, Role.CUSTOMER, name)
        self._calls[member.session_id] = call
        logger.info("call started (%s)", call.media, extra={"session_id": call.session_id})
        self._broadcast(call, now)

    def _answer(self, call: Call, member: Member, message: AnswerCall, now: float) -> None:
        participant = call.participants.get(participant_id(member))
        if participant is None or participant.presence is Presence.JOINED:
            reason = "you are not invited" if participant is None else "you are in the call"
            raise ProtocolError(ErrorCode.NOT_ALLOWED, reason, str(message.type))
        if message.accept:
            participant.take_seat(member)
            participant.muted = participant.camera_off = False
            if call.phase is CallPhase.RINGING:
                self.on_connected(call.session_id)
            call.phase = CallPhase.ACTIVE
        elif participant.presence is Presence.INVITED:
            participant.presence = Presence.DECLINED
        self._settle(call, now)

    def _hang_up(self, call: Call, member: Member, now: float) -> None:
        participant = call.participants.get(participant_id(member))
        if participant is None:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "you are not in this call", str(HangUp.type))
        if participant.presence is Presence.JOINED and participant.socket is not member:
            # Another page of theirs holds the call: this one only stops ringing there.
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "the call is on another page of yours", str(HangUp.type)
            )
        if participant.presence is Presence.INVITED:
            participant.presence = Presence.DECLINED
        elif participant.presence in (Presence.JOINED, Presence.AWAY):
            participant.presence, participant.socket = Presence.LEFT, None
        self._settle(call, now)

    def _rejoin(
        self,
        call: Call | None,
        member: Member,
        customers: list[tuple[str, str]],
        agent_name: str,
        message: RejoinCall,
        now: float,
    ) -> None:
        """The page that held a place in the call is back on ``member`` (see the module's doc).

        Raises:
            ProtocolError: ``not_allowed``: no such call (a customer waits for the agent's
                rejoin after a relay restart), another call is on, or the sender has left it.
        """
        pid = participant_id(member)
        if call is None and member.role is Role.AGENT:
            # A relay restart forgot the call: the agent's page sets it up again, as it was.
            call = Call(message.call_id, member.session_id, message.media, now, CallPhase.ACTIVE)
            call.participants[pid] = Participant(pid, Role.AGENT, agent_name, Presence.AWAY)
            for customer_id, name in customers:
                away = Participant(customer_id, Role.CUSTOMER, name, Presence.AWAY, seat=1)
                away.away_since = now
                call.participants[customer_id] = away
            self._calls[member.session_id] = call
            logger.info("call set up again after a restart", extra={"session_id": call.session_id})
        if call is None or call.id != message.call_id:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "no such call", str(message.type))
        participant = call.participants.get(pid)
        if participant is None or participant.presence not in (Presence.JOINED, Presence.AWAY):
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "you are not in this call", str(message.type)
            )
        if participant.socket is member:
            return  # this socket holds the place already (a second rejoin of the same page)
        self._rate(member, message, now)
        participant.take_seat(member)
        participant.muted, participant.camera_off = message.muted, message.camera_off
        logger.info("call rejoined", extra={"session_id": call.session_id})
        self._broadcast(call, now)

    def _signal(
        self, call: Call, member: Member, message: SdpOffer | SdpAnswer | IceCandidate, now: float
    ) -> None:
        sender = self._seat_of(call, member, message)
        target = call.participants.get(message.to)
        if target is None or target is sender or target.presence is not Presence.JOINED:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "that participant is not in this call", str(message.type)
            )
        self._rate(member, message, now)
        assert target.socket is not None
        relayed: RelayedSdpOffer | RelayedSdpAnswer | RelayedIceCandidate
        if isinstance(message, SdpOffer):
            relayed = RelayedSdpOffer(call.id, target.id, message.sdp, sender.id)
        elif isinstance(message, SdpAnswer):
            relayed = RelayedSdpAnswer(call.id, target.id, message.sdp, sender.id)
        else:
            relayed = RelayedIceCandidate(
                call.id,
                target.id,
                message.candidate,
                message.sdp_mid,
                message.sdp_m_line_index,
                sender.id,
            )
        target.socket.send(relayed.to_frame())

    def _seat_of(self, call: Call, member: Member, message: Any) -> Participant:
        """The sender's place in ``call``; it must be joined on this very socket."""
        participant = call.participants.get(participant_id(member))
        if (
            participant is None
            or participant.presence is not Presence.JOINED
            or participant.socket is not member
        ):
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "this page is not in the call", str(message.type)
            )
        return participant

    def _rate(self, member: Member, message: Any, now: float) -> None:
        bucket = self._buckets.get(id(member))
        if bucket is None:
            bucket = self._buckets[id(member)] = TokenBucket(SIGNALS_PER_S, SIGNAL_BURST)
        if not bucket.take(now):
            raise ProtocolError(
                ErrorCode.RATE_LIMITED, "slow down: too many call messages", str(message.type)
            )

    # -- sockets and the session ---------------------------------------------------------------

    def entered(self, member: Member, customer_name: str, now: float) -> None:
        """A socket joined the session: show it the call; a customer who is not in the call
        yet (a new customer, when sessions hold several) is invited to it."""
        call = self._calls.get(member.session_id)
        if call is None:
            return
        pid = participant_id(member)
        participant = call.participants.get(pid)
        if participant is None and member.role is Role.CUSTOMER:
            call.participants[pid] = Participant(pid, Role.CUSTOMER, customer_name)
            self._broadcast(call, now)
            return
        member.send(self._frame(call, member, now))

    def left(self, member: Member, now: float) -> None:
        """A socket closed: if it held its participant's place, they are away from the call
        (a reload or a reconnect brings them back with ``rejoin_call``)."""
        self._buckets.pop(id(member), None)
        call = self._calls.get(member.session_id)
        if call is None:
            return
        participant = call.participants.get(participant_id(member))
        if participant is not None and participant.socket is member:
            participant.presence, participant.socket = Presence.AWAY, None
            participant.away_since = now
            self._settle(call, now)

    def remove_participant(self, session_id: str, pid: str, now: float) -> None:
        """A customer was removed from the session: out of the call, before anything else."""
        call = self._calls.get(session_id)
        participant = call.participants.pop(pid, None) if call else None
        if call is not None and participant is not None:
            self._settle(call, now)

    def end_session(self, session_id: str, now: float) -> None:
        """The session ends: so does its call (everyone hears it before the sockets close)."""
        call = self._calls.get(session_id)
        if call is not None:
            self._end(call, EndReason.SESSION_ENDED, now)

    def expire(self, now: float) -> None:
        """Calls ringing for RING_TIMEOUT_S: whoever did not answer missed it; whoever was
        away for REJOIN_GRACE_S has left."""
        for call in list(self._calls.values()):
            changed = False
            if now - call.started_at >= RING_TIMEOUT_S:
                for participant in call.participants.values():
                    if participant.presence is Presence.INVITED:
                        participant.presence, changed = Presence.MISSED, True
            for participant in call.participants.values():
                since = participant.away_since
                if participant.presence is Presence.AWAY and since is not None:
                    if now - since >= REJOIN_GRACE_S:
                        participant.presence, participant.away_since = Presence.LEFT, None
                        changed = True
            if changed:
                self._settle(call, now)

    # -- state ---------------------------------------------------------------------------------

    def _settle(self, call: Call, now: float) -> None:
        """After a change: end the call when nobody is left to talk to, else tell everyone."""
        joined = call.in_call()  # away ones may come back
        ringing = any(p.presence is Presence.INVITED for p in call.participants.values())
        agent = call.participants.get(AGENT_PARTICIPANT_ID)
        if agent is None or agent.presence not in (Presence.JOINED, Presence.AWAY):
            self._end(call, EndReason.HUNG_UP, now)
        elif len(joined) < 2 and not ringing:
            customers = [p for p in call.participants.values() if p.role is Role.CUSTOMER]
            if call.phase is CallPhase.ACTIVE:
                reason = EndReason.HUNG_UP
            elif any(p.presence is Presence.DECLINED for p in customers):
                reason = EndReason.DECLINED
            else:
                reason = EndReason.NO_ANSWER
            self._end(call, reason, now)
        else:
            self._broadcast(call, now)

    def _end(self, call: Call, reason: EndReason, now: float) -> None:
        call.phase, call.reason = CallPhase.ENDED, reason
        self._calls.pop(call.session_id, None)
        logger.info("call ended (%s)", reason, extra={"session_id": call.session_id})
        self._broadcast(call, now)

    def _broadcast(self, call: Call, now: float) -> None:
        for socket in self.sockets_of(call.session_id):
            socket.send(self._frame(call, socket, now))

    def _frame(self, call: Call, socket: Member, now: float) -> str:
        pid = participant_id(socket)
        participant = call.participants.get(pid)
        live = call.phase is not CallPhase.ENDED
        # The TURN username names the session and participant (coturn logs it).
        label = f"{call.session_id[:8]}.{pid}"
        return CallState(
            call_id=call.id,
            media=call.media,
            state=str(call.phase),
            you=pid,
            here=participant is not None and participant.socket is socket,
            participants=[p.view() for p in call.participants.values()],
            ice_servers=self.ice.servers_for(label, now) if live and participant else [],
            reason=str(call.reason) if call.reason else None,
        ).to_frame()
