"""The chat channel's meeting handlers: presentation requests, control, calls, whiteboard.

:class:`MeetingHandlers` is the base of :class:`relay_server.sessions.chat_sockets.ChatSockets`:
the handlers here hand a message to the part of the relay that owns that feature (the screen
router's control grants, ``calls/calls.py``, ``whiteboard/boards.py``) with who may take part;
the conversation itself (hello, seating, chat lines, ends, knocks) is in ``chat_sockets.py``.
Pure like it: members come with ``send``/``close`` and the time is passed in.
"""

from __future__ import annotations

from typing import Any

from relay_server.calls.calls import Calls
from relay_server.screen.router import Screens
from relay_server.sessions.rooms import Member, Rooms
from relay_server.sessions.supports import SupportSession
from relay_server.whiteboard.boards import Whiteboards
from suite.protocol import (
    AnswerCall,
    AnswerPresentation,
    AnswerWhiteboard,
    ErrorCode,
    GrantControl,
    HangUp,
    IceCandidate,
    NewWhiteboard,
    OpenWhiteboard,
    PresentationAnswered,
    PresentationRequested,
    ProtocolError,
    RejoinCall,
    RequestPresentation,
    RevokeControl,
    Role,
    SdpAnswer,
    SdpOffer,
    SetCallMedia,
    StartCall,
    UpdateWhiteboard,
)


class MeetingHandlers:
    """Handlers of the chat channel that drive the meeting's features (a base of the Relay)."""

    rooms: Rooms
    screens: Screens
    calls: Calls
    whiteboards: Whiteboards  # the shared whiteboard (CH3)
    # Per session with a presentation request out: the customers who declined it so far.
    presentation_asks: dict[str, set[str]]

    def handle_request_presentation(
        self, member: Member, session: SupportSession, message: RequestPresentation, now: float
    ) -> None:
        """``request_presentation`` (protocol.md, *Presentation request*): agent only."""
        self._require_agent(member, message)
        customers = self.rooms.room(session.id).customers()
        if not customers:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "no customer is connected", str(message.type)
            )
        self.presentation_asks[session.id] = set()
        for customer in customers:
            customer.send(PresentationRequested(agent_name=member.name).to_frame())

    def handle_answer_presentation(
        self, member: Member, session: SupportSession, message: AnswerPresentation, now: float
    ) -> None:
        """``answer_presentation`` (protocol.md, *Presentation request*): customer only."""
        if member.role is not Role.CUSTOMER:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "only the customer answers", str(message.type)
            )
        # Several customers are asked at once: the first "yes" answers for everyone, a "no"
        # only once every seated customer said no (one customer's answer goes as it always did).
        declined = self.presentation_asks.get(session.id)
        if declined is None and len(session.customers) > 1:
            return  # answered already (a second "yes" would start the presenter again)
        if declined is not None and not message.accept:
            declined.add(member.customer_id)
            if any(c.id not in declined for c in session.customers):
                return
        self.presentation_asks.pop(session.id, None)
        answered = PresentationAnswered(accept=message.accept)
        self.rooms.room(session.id).broadcast(answered.to_frame())

    def handle_grant_control(
        self, member: Member, session: SupportSession, message: GrantControl, now: float
    ) -> None:
        """``grant_control`` (protocol.md, *Screen channel: control handover*): agent only.

        It names one customer (``customer_id``); without it, the only one seated."""
        self._require_agent(member, message)
        self.screens.handle_control(member, message, now, self._named_customer(session, message))

    def handle_revoke_control(
        self, member: Member, session: SupportSession, message: RevokeControl, now: float
    ) -> None:
        """``revoke_control`` (protocol.md, *Screen channel: control handover*): agent only."""
        self._require_agent(member, message)
        self.screens.handle_control(member, message, now)

    def _named_customer(self, session: SupportSession, message: Any) -> str:
        """The seated customer a message names (``customer_id``), or the only one seated.

        Raises:
            ProtocolError: ``not_allowed``: nobody of that id is seated, or several are and
                the message names none.
        """
        named = getattr(message, "customer_id", None)
        if named is None and len(session.customers) == 1:
            return session.customers[0].id
        if named is None:
            problem = "no customer to name" if not session.customers else "name the customer"
            raise ProtocolError(ErrorCode.NOT_ALLOWED, problem, str(message.type))
        if session.customer(named) is None:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "no such customer in this session", str(message.type)
            )
        return named

    def handle_start_call(
        self, member: Member, session: SupportSession, message: StartCall, now: float
    ) -> None:
        """``start_call`` (protocol.md, *Calls*): the agent calls the session's customers."""
        self._call(member, session, message, now)

    def handle_answer_call(
        self, member: Member, session: SupportSession, message: AnswerCall, now: float
    ) -> None:
        """``answer_call`` (protocol.md, *Calls*): a customer accepts or declines."""
        self._call(member, session, message, now)

    def handle_hang_up(
        self, member: Member, session: SupportSession, message: HangUp, now: float
    ) -> None:
        """``hang_up`` (protocol.md, *Calls*): a participant leaves the call."""
        self._call(member, session, message, now)

    def handle_set_call_media(
        self, member: Member, session: SupportSession, message: SetCallMedia, now: float
    ) -> None:
        """``set_call_media`` (protocol.md, *Calls*): muted / camera off, shown to the others."""
        self._call(member, session, message, now)

    def handle_rejoin_call(
        self, member: Member, session: SupportSession, message: RejoinCall, now: float
    ) -> None:
        """``rejoin_call`` (protocol.md, *Calls*): the page that held a place takes it again."""
        self._call(member, session, message, now)

    def handle_sdp_offer(
        self, member: Member, session: SupportSession, message: SdpOffer, now: float
    ) -> None:
        """``sdp_offer`` (protocol.md, *Calls*): to one peer, the relay adds ``sender``."""
        self._call(member, session, message, now)

    def handle_sdp_answer(
        self, member: Member, session: SupportSession, message: SdpAnswer, now: float
    ) -> None:
        """``sdp_answer`` (protocol.md, *Calls*): to one peer, the relay adds ``sender``."""
        self._call(member, session, message, now)

    def handle_ice_candidate(
        self, member: Member, session: SupportSession, message: IceCandidate, now: float
    ) -> None:
        """``ice_candidate`` (protocol.md, *Calls*): to one peer, the relay adds ``sender``."""
        self._call(member, session, message, now)

    def _call(self, member: Member, session: SupportSession, message: Any, now: float) -> None:
        """Hand a call message to ``relay_server/calls/calls.py`` with who may be called."""
        customers = [(c.id, c.name or "Customer") for c in session.customers]
        agent_name = session.agent.get("name") or session.agent_username
        self.calls.handle(member, customers, agent_name, message, now)

    def handle_open_whiteboard(
        self, member: Member, session: SupportSession, message: OpenWhiteboard, now: float
    ) -> None:
        """``open_whiteboard`` (protocol.md, *Whiteboard*): the agent asks the customers."""
        self.whiteboards.handle(member, bool(session.customers), message)

    def handle_answer_whiteboard(
        self, member: Member, session: SupportSession, message: AnswerWhiteboard, now: float
    ) -> None:
        """``answer_whiteboard`` (protocol.md, *Whiteboard*): a customer accepts or declines."""
        self.whiteboards.handle(member, bool(session.customers), message)

    def handle_update_whiteboard(
        self, member: Member, session: SupportSession, message: UpdateWhiteboard, now: float
    ) -> None:
        """``update_whiteboard`` (protocol.md, *Whiteboard*): reconciled, sent to the others."""
        self.whiteboards.handle(member, bool(session.customers), message)

    def handle_new_whiteboard(
        self, member: Member, session: SupportSession, message: NewWhiteboard, now: float
    ) -> None:
        """``new_whiteboard`` (protocol.md, *Whiteboard*): the old board goes to the files."""
        self.whiteboards.handle(member, bool(session.customers), message)

    def call_sockets(self, session_id: str) -> list[Member]:
        """The sockets of a session that take part in calls: its chat sockets and its
        customers' viewer sockets (never the presenter)."""
        room = self.rooms.find(session_id)
        chat = list(room.members.values()) if room else []
        return chat + self.screens.viewers_of(session_id)

    @staticmethod
    def _require_agent(member: Member, message: Any) -> None:
        if member.role is not Role.AGENT:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, f"only the agent may send {message.type}", str(message.type)
            )
