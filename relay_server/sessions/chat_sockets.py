"""The chat sockets of support sessions: hello, seating, leaving, one handler per message.

:class:`ChatSockets` is the half of :class:`relay_server.sessions.relay.Relay` that the
websocket adapter (``relay_server/web/ws_endpoint.py``) drives; the HTTP-side actions (new
support, join, notes) and the session's end are in ``relay.py``. Pure like it: members come
with ``send``/``close`` and the time is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relay_server.accounts.registry import Accounts
from relay_server.calls.calls import Calls
from relay_server.errors import Refused
from relay_server.screen.router import Screens
from relay_server.sessions.meeting_handlers import MeetingHandlers
from relay_server.sessions.rooms import AGENT_SEAT, Member, Rooms, participant_id
from relay_server.sessions.sharing import (
    handle_answer_print,
    handle_request_print,
    handle_send_link,
    open_print_requests,
)
from relay_server.sessions.supports import (
    AGENT_COLOR,
    SupportDirectory,
    SupportSession,
    customer_id,
)
from relay_server.whiteboard.boards import Whiteboards
from suite.protocol import (
    PROTOCOL_VERSION,
    AdmitKnock,
    AnswerCall,
    AnswerPresentation,
    AnswerPrint,
    AnswerWhiteboard,
    Channel,
    ChatMessage,
    ClientMessage,
    CloseCode,
    EndSession,
    ErrorCode,
    GrantControl,
    HangUp,
    Hello,
    IceCandidate,
    MarkedRead,
    MarkRead,
    NewWhiteboard,
    OpenWhiteboard,
    ParticipantJoined,
    ParticipantLeft,
    ProtocolError,
    RefuseAllKnocks,
    RefuseKnock,
    RejoinCall,
    RelayedTyping,
    RemoveCustomer,
    RenewCode,
    RequestPresentation,
    RequestPrint,
    RevokeControl,
    Role,
    SdpAnswer,
    SdpOffer,
    SendChat,
    SendLink,
    SessionUpdated,
    SetCallMedia,
    StartCall,
    Typing,
    UpdateWhiteboard,
    Welcome,
    require_channel,
)

REMOVED_REASON = "the agent removed you from the session"


class HandshakeRefused(Exception):
    """``hello`` refused: close the socket with ``code``."""

    def __init__(self, code: CloseCode, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class ChatSockets(MeetingHandlers):
    """The websocket side of :class:`Relay`, its base class; the handlers of presentation
    requests, control, calls and the whiteboard are in :class:`MeetingHandlers`.

    It works on Relay's state (below) and calls Relay's ``session_view``, ``session_record``,
    ``end``, ``_chat``, ``_persist``, ``_tell_agent``, ``_remove_customer``,
    ``_answer_knock`` and ``_knocks_frame``.
    """

    accounts: Accounts
    directory: SupportDirectory
    rooms: Rooms
    screens: Screens
    calls: Calls
    whiteboards: Whiteboards  # the shared whiteboard (CH3)
    options: Any  # RelayOptions
    wait_durable: Callable[[], object]
    clock: Callable[[], float]
    # Per session with a presentation request out: the customers who declined it so far.
    presentation_asks: dict[str, set[str]]
    # Per file asked to print (remote print): the customers who answered so far.
    print_asks: dict[str, set[str]]

    # Relay's own methods this class calls (Relay defines each; listed so the contract is typed).
    def session_view(self, session: SupportSession, for_agent: bool) -> dict[str, Any]:
        raise NotImplementedError

    def session_record(self, session_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def end(
        self, session: SupportSession, ended_by: str, now: float, admin: str = ""
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _chat(self, session_id: str) -> Any:  # a ChatLog
        raise NotImplementedError

    def _persist(self, session: SupportSession) -> None:
        raise NotImplementedError

    def _tell_agent(self, session: SupportSession, message: type[Any]) -> None:
        raise NotImplementedError

    def _remove_customer(self, session: SupportSession, participant: str, now: float) -> None:
        raise NotImplementedError

    def _answer_knock(self, session: SupportSession, message: Any, now: float) -> None:
        raise NotImplementedError

    def _customer_leaves(self, session: SupportSession, participant: str, now: float) -> None:
        raise NotImplementedError

    def _knocks_frame(self, session_id: str) -> str:
        raise NotImplementedError

    def hello(self, hello: Hello, now: float) -> tuple[SupportSession, str]:
        """Check a ``hello``; returns the session and the participant's display name.

        Raises:
            HandshakeRefused: wrong version, unknown session, bad token.
        """
        if hello.protocol_version != PROTOCOL_VERSION:
            raise HandshakeRefused(
                CloseCode.UNSUPPORTED_VERSION,
                f"protocol version {hello.protocol_version} is not supported; "
                f"this relay speaks {PROTOCOL_VERSION}",
            )
        if hello.role is Role.AGENT:
            try:
                principal = self.accounts.authenticate(hello.token, now)
            except Refused as refused:  # too many unknown tokens from this address
                raise HandshakeRefused(
                    CloseCode.GOING_AWAY, f"{refused.code}: {refused.message}"
                ) from None
            if principal is None:
                raise HandshakeRefused(CloseCode.UNAUTHORIZED, "log in again")
            session = self.directory.sessions.get(hello.session_id)
            if session is None:
                raise HandshakeRefused(self._gone_code(hello.session_id), "no such live session")
            if session.agent_username != principal.username:
                raise HandshakeRefused(CloseCode.UNAUTHORIZED, "not your session")
            return session, session.agent.get("name", principal.username)
        session = self.directory.by_customer_token(hello.token)
        if session is None or session.id != hello.session_id:
            live = self.directory.sessions.get(hello.session_id)
            if live is not None and live.was_removed(hello.token):
                raise HandshakeRefused(CloseCode.REMOVED, REMOVED_REASON)
            code = self._gone_code(hello.session_id)
            raise HandshakeRefused(
                code if code is CloseCode.SESSION_ENDED else CloseCode.UNAUTHORIZED,
                "this link to the session is no longer valid",
            )
        customer = session.customer(customer_id(hello.token))
        return session, (customer.name if customer else "") or "Customer"

    def sockets_of(
        self, session_id: str, participant: str, channel: Channel | None = None
    ) -> list[Member]:
        """Every socket of one participant: its chat socket and (customers) its viewers.

        Args:
            participant: ``"agent"`` or a customer's participant id (``customer_id``).
            channel: only this channel's sockets; None: both.
        """
        found: list[Member] = []
        room = self.rooms.find(session_id)
        chat = room.seat(participant) if room else None
        if chat is not None and channel in (None, Channel.CHAT):
            found.append(chat)
        if participant != AGENT_SEAT and channel in (None, Channel.SCREEN):
            found.extend(
                v for v in self.screens.viewers_of(session_id) if v.customer_id == participant
            )
        return found

    def _you(self, member: Member, session: SupportSession) -> dict[str, Any]:
        """``welcome.you``: role, name, participant id and colour."""
        pid = participant_id(member)
        customer = session.customer(pid) if member.role is Role.CUSTOMER else None
        color = customer.color if customer else AGENT_COLOR
        return {
            "role": str(member.role),
            "name": member.name,
            "participant_id": pid,
            "color": color,
        }

    def enter(self, member: Member, session: SupportSession, last_seen_id: int) -> None:
        """Send an accepted member its ``welcome``, then seat it (and tell the others)."""
        chat = self._chat(session.id)
        customer = session.customer(member.customer_id) if member.role is Role.CUSTOMER else None
        if customer is not None:  # a customer sees what was said since it joined
            last_seen_id = max(last_seen_id, customer.since_id)
        if member.channel is Channel.SCREEN:
            # The customer's viewers carry the chat too (the conversation beside the screen):
            # they get the history as a chat socket does; the presenter gets none.
            viewer = member.role is Role.CUSTOMER
            member.send(
                Welcome(
                    protocol_version=PROTOCOL_VERSION,
                    you=self._you(member, session),
                    session=self.session_view(session, member.role is Role.AGENT),
                    missed=chat.after(last_seen_id) if viewer else [],
                    last_id=chat.last_id if viewer else 0,
                    read_up_to=chat.read_up_to if viewer else {},
                ).to_frame()
            )
            self.screens.enter(member)
            if viewer:  # a viewer may take the customer's place in a call (CH9)
                self.calls.entered(member, member.name, self._now())
                self.whiteboards.entered(member)  # and draws on the whiteboard (CH3)
            return
        welcome = Welcome(
            protocol_version=PROTOCOL_VERSION,
            you=self._you(member, session),
            session=self.session_view(session, member.role is Role.AGENT),
            missed=chat.after(last_seen_id),
            last_id=chat.last_id,
            read_up_to=chat.read_up_to,
        )
        member.send(welcome.to_frame())
        for frame in open_print_requests(self, session, member):  # remote print: unanswered
            member.send(frame)
        if member.role is Role.AGENT:  # the chat window shows who holds control (P3)
            member.send(self.screens.control.state_for_agent(session.id))
            member.send(self._knocks_frame(session.id))  # who is asking to join
        replaced = self.rooms.seat(member)
        if replaced is not None:
            replaced.close(CloseCode.REPLACED, "connected from another window")
        else:
            pid = participant_id(member)
            rejoined = pid in session.joined_roles
            if not rejoined:  # stored, so that after a relay restart a reconnect is no join
                session.joined_roles.append(pid)
                self._persist(session)
            color = self._you(member, session)["color"]
            joined = ParticipantJoined(str(member.role), member.name, rejoined, pid, color)
            self._to_chat(session.id, joined.to_frame(), exclude=member)
        self.calls.entered(member, member.name, self._now())
        self.whiteboards.entered(member)

    def leave(self, member: Member) -> None:
        self.calls.left(member, self._now())
        if member.channel is Channel.SCREEN:
            self.screens.leave(member)
            return
        if self.rooms.leave(member):
            left = ParticipantLeft(str(member.role), member.name, participant_id(member))
            self._to_chat(member.session_id, left.to_frame())

    def viewer_chat(self, member: Member, message: ClientMessage, now: float) -> None:
        """Chat from a customer's viewer socket (screen channel), as from its chat socket:
        ``send_chat``, ``typing`` and ``mark_read`` (``VIEWER_CHAT_MESSAGES``).

        Raises:
            ProtocolError: the session ended, the sender is the presenter, an unseated viewer
                or one of a retired customer token.
        """
        session = self.directory.sessions.get(member.session_id)
        client_id = getattr(message, "client_id", None)
        if session is None:
            raise ProtocolError(
                ErrorCode.SESSION_ENDED, "the session has ended", str(message.type), client_id
            )
        if member.role is not Role.CUSTOMER:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED,
                "the agent chats on the chat channel",
                str(message.type),
                client_id,
            )
        seated = any(viewer is member for viewer in self.screens.viewers_of(session.id))
        if session.customer(member.customer_id) is None or not seated:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED,
                "this viewer is not in the session",
                str(message.type),
                client_id,
            )
        CHAT_HANDLERS[type(message)](self, member, session, message, now)

    def _to_chat(self, session_id: str, frame: str, exclude: Member | None = None) -> None:
        """Send a chat frame to the chat sockets and to the customer's viewer sockets."""
        room = self.rooms.find(session_id)
        if room is not None:
            room.broadcast(frame, exclude=exclude)
        for viewer in self.screens.viewers_of(session_id):
            if viewer is not exclude:
                viewer.send(frame)

    def _to_chat_line(self, session_id: str, frame: str) -> None:
        """Send a ``chat_message`` frame as :meth:`_to_chat` does, and a copy to the presenter
        while it records (P9: the recording's subtitles)."""
        self._to_chat(session_id, frame)
        recorder = self.screens.recorder_of(session_id)
        if recorder is not None:
            recorder.send(frame)

    def handle(self, member: Member, message: ClientMessage, now: float) -> None:
        """Act on one parsed message from a seated member of the chat channel.

        Each message type has one ``handle_<type>`` method (:data:`CHAT_HANDLERS`).

        Raises:
            ProtocolError: the message is not allowed now; reply with its ``to_frame()``.
        """
        require_channel(message, Channel.CHAT)
        handler = CHAT_HANDLERS[type(message)]
        session = self.directory.sessions.get(member.session_id)
        if session is None:
            raise ProtocolError(
                ErrorCode.SESSION_ENDED,
                "the session has ended",
                str(message.type),
                client_id=getattr(message, "client_id", None),
            )
        if member.role is Role.CUSTOMER and session.customer(member.customer_id) is None:
            # A socket of a retired token whose frame was read before it was closed.
            raise ProtocolError(ErrorCode.NOT_ALLOWED, REMOVED_REASON, str(message.type))
        handler(self, member, session, message, now)

    def handle_send_chat(
        self, member: Member, session: SupportSession, message: SendChat, now: float
    ) -> None:
        """``send_chat`` (protocol.md, *Client → relay*): store durably, then echo to all."""
        chat = self._chat(session.id)
        pid = participant_id(member)
        stored = chat.find(pid, message.client_id)
        if stored is not None:  # a resend after a lost acknowledgement
            self.wait_durable()  # the original may still be syncing: ack only once durable
            member.send(ChatMessage(**stored).to_frame())
            return
        stored = chat.append(
            str(member.role), member.name, message.client_id, message.text, now, pid
        )
        self.wait_durable()
        self._to_chat_line(session.id, ChatMessage(**stored).to_frame())

    def handle_typing(
        self, member: Member, session: SupportSession, message: Typing, now: float
    ) -> None:
        """``typing`` (protocol.md, *Client → relay*): tell the others."""
        relayed = RelayedTyping(
            str(member.role), member.name, message.active, participant_id(member)
        )
        self._to_chat(session.id, relayed.to_frame(), exclude=member)

    def handle_mark_read(
        self, member: Member, session: SupportSession, message: MarkRead, now: float
    ) -> None:
        """``mark_read`` (protocol.md, *Client → relay*): keep the mark, tell everyone."""
        chat = self._chat(session.id)
        role = str(member.role)
        chat.read_up_to[role] = max(chat.read_up_to.get(role, 0), message.up_to_id)
        self._to_chat(session.id, MarkedRead(role, message.up_to_id).to_frame())

    def handle_end_session(
        self, member: Member, session: SupportSession, message: EndSession, now: float
    ) -> None:
        """``end_session`` (protocol.md, *Client → relay*): either side ends it; a customer
        with other customers still seated only leaves."""
        self.end_for(member, session, now)

    def end_for(self, member: Member, session: SupportSession, now: float) -> None:
        """End for everyone, or (a customer while others are seated) that customer leaves."""
        if member.role is Role.CUSTOMER and len(session.customers) > 1:
            self._customer_leaves(session, member.customer_id, now)
        else:
            self.end(session, str(member.role), now)

    def handle_remove_customer(
        self, member: Member, session: SupportSession, message: RemoveCustomer, now: float
    ) -> None:
        """``remove_customer`` (protocol.md, *Client → relay*): agent only, one customer."""
        self._require_agent(member, message)
        self._remove_customer(session, self._named_customer(session, message), now)

    def handle_renew_code(
        self, member: Member, session: SupportSession, message: RenewCode, now: float
    ) -> None:
        """``renew_code`` (protocol.md, *Client → relay*): agent only; while waiting, or to
        invite another customer ("Invite another": one code, one more seat) while seats are
        free."""
        self._require_agent(member, message)
        if len(session.customers) >= self.options.customers_per_session:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED,
                f"the session is full ({self.options.customers_per_session} customers)",
                str(message.type),
            )
        self.directory.new_code(session, now, self.options.code_lifetime_s)
        self._persist(session)
        self.wait_durable()
        self._tell_agent(session, SessionUpdated)

    def handle_admit_knock(
        self, member: Member, session: SupportSession, message: AdmitKnock, now: float
    ) -> None:
        """``admit_knock`` (protocol.md, *Client → relay*): agent only, lets that customer in."""
        self._require_agent(member, message)
        self._answer_knock(session, message, now)

    def handle_refuse_knock(
        self, member: Member, session: SupportSession, message: RefuseKnock, now: float
    ) -> None:
        """``refuse_knock`` (protocol.md, *Client → relay*): agent only."""
        self._require_agent(member, message)
        self._answer_knock(session, message, now)

    def handle_refuse_all_knocks(
        self, member: Member, session: SupportSession, message: RefuseAllKnocks, now: float
    ) -> None:
        """``refuse_all_knocks`` (protocol.md, *Client → relay*): agent only."""
        self._require_agent(member, message)
        self._answer_knock(session, message, now)

    def _now(self) -> float:
        return self.clock()

    def _agent_chat(self, session_id: str) -> Member | None:
        room = self.rooms.find(session_id)
        return room.get(Role.AGENT) if room else None

    def _gone_code(self, session_id: str) -> CloseCode:
        if self.session_record(session_id) is not None:
            return CloseCode.SESSION_ENDED
        return CloseCode.SESSION_NOT_FOUND


CHAT_HANDLERS: dict[type, Callable[..., None]] = {
    SendChat: ChatSockets.handle_send_chat,
    Typing: ChatSockets.handle_typing,
    MarkRead: ChatSockets.handle_mark_read,
    EndSession: ChatSockets.handle_end_session,
    RemoveCustomer: ChatSockets.handle_remove_customer,
    RenewCode: ChatSockets.handle_renew_code,
    RequestPresentation: ChatSockets.handle_request_presentation,
    AnswerPresentation: ChatSockets.handle_answer_presentation,
    AdmitKnock: ChatSockets.handle_admit_knock,
    RefuseKnock: ChatSockets.handle_refuse_knock,
    RefuseAllKnocks: ChatSockets.handle_refuse_all_knocks,
    GrantControl: ChatSockets.handle_grant_control,
    RevokeControl: ChatSockets.handle_revoke_control,
    StartCall: ChatSockets.handle_start_call,
    AnswerCall: ChatSockets.handle_answer_call,
    HangUp: ChatSockets.handle_hang_up,
    SetCallMedia: ChatSockets.handle_set_call_media,
    RejoinCall: ChatSockets.handle_rejoin_call,
    SdpOffer: ChatSockets.handle_sdp_offer,
    SdpAnswer: ChatSockets.handle_sdp_answer,
    IceCandidate: ChatSockets.handle_ice_candidate,
    OpenWhiteboard: ChatSockets.handle_open_whiteboard,
    AnswerWhiteboard: ChatSockets.handle_answer_whiteboard,
    UpdateWhiteboard: ChatSockets.handle_update_whiteboard,
    NewWhiteboard: ChatSockets.handle_new_whiteboard,
    # favourites in the chat (CH7) and remote print: relay_server/sessions/sharing.py
    SendLink: handle_send_link,
    RequestPrint: handle_request_print,
    AnswerPrint: handle_answer_print,
}
"""One handler per chat-channel message type: its keys are ``suite.protocol.CHAT_MESSAGES``."""
