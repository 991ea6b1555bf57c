"""The relay's domain logic: support sessions, joins, chat, ends.

No sockets and no gevent: the HTTP routes and the websocket adapter call these methods, pass
the current time, and hand in members with ``send``/``close``. ``wait_durable`` is the one
blocking call, injected: the server passes its group committer, tests pass ``store.sync``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tinydb import Query

from relay_server.accounts.passwords import hash_password
from relay_server.accounts.photos import Photos
from relay_server.accounts.registry import Accounts, Principal, public_profile
from relay_server.errors import Refused
from relay_server.files.spool import FileSpool
from relay_server.files.transfers import FINISHED, FileRules, FileTransfers
from relay_server.screen.fanout import CallLater
from relay_server.screen.router import Screens
from relay_server.sessions.access_codes import CodeError, CodeProblem, format_code
from relay_server.sessions.chat_log import ChatLog
from relay_server.sessions.join_guard import (
    DEFAULT_GUESS_BUDGET,
    DEFAULT_GUESS_WINDOW_S,
    JoinGuard,
)
from relay_server.sessions.knocks import (
    Knock,
    KnockError,
    Knocks,
    KnockState,
    KnockVia,
    RefusedBecause,
)
from relay_server.sessions.notes import MAX_NOTES_CHARS, SessionNotes
from relay_server.sessions.rooms import Member, Rooms
from relay_server.sessions.supports import (
    SHOWN_AGENT_FIELDS,
    JoinError,
    SessionState,
    SupportDirectory,
    SupportSession,
)
from relay_server.store import Store
from suite.protocol import (
    MAX_NAME_CHARS,
    PROTOCOL_VERSION,
    AdmitKnock,
    AnswerPresentation,
    Channel,
    CloseCode,
    EndSession,
    ErrorCode,
    GrantControl,
    Hello,
    MarkRead,
    MessageType,
    ProtocolError,
    RefuseAllKnocks,
    RefuseKnock,
    RemoveCustomer,
    RenewCode,
    RequestPresentation,
    RevokeControl,
    Role,
    SendChat,
    Typing,
    encode,
)

logger = logging.getLogger(__name__)

LIVE_SESSIONS = "live_sessions"
SESSION_RECORDS = "session_records"
SWEEP_EVERY_S = 60.0  # forget addresses past their throttle window this often
REMOVED_REASON = "the agent removed you from the session"


@dataclass(slots=True)
class RelayOptions:
    code_lifetime_s: float = 600.0
    icons_enabled: bool = True
    public_url: str | None = None
    file_rules: FileRules = field(default_factory=FileRules)  # files both ways (P4)
    # Wrong codes relay-wide per window before a correct code knocks (docs/security.md).
    guess_budget: int = DEFAULT_GUESS_BUDGET
    guess_window_s: float = DEFAULT_GUESS_WINDOW_S


class HandshakeRefused(Exception):
    """``hello`` refused: close the socket with ``code``."""

    def __init__(self, code: CloseCode, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Relay:
    def __init__(
        self,
        store: Store,
        options: RelayOptions,
        wait_durable: Callable[[], None] | None = None,
        call_later: CallLater | None = None,
        hasher: Callable[[str], str] = hash_password,
    ):
        self.store = store
        self.options = options
        self.wait_durable = wait_durable or store.sync
        self.accounts = Accounts(store, hasher=hasher)
        self.notes = SessionNotes(store)
        self.photos = Photos(store.folder / "photos")
        self.directory = SupportDirectory()
        self.rooms = Rooms()
        self.screens = Screens(call_later)
        self.screens.control.agent_chat = self._agent_chat  # control_state to the chat (P3)
        self.join_guard = JoinGuard.create(options.guess_budget, options.guess_window_s)
        self.knocks = Knocks()
        # Told the secret of every knock that settles (the HTTP layer wakes its long polls).
        self.knock_settled: Callable[[str], None] = lambda secret: None
        self._swept_at = 0.0
        self._chats: dict[str, ChatLog] = {}
        # Files both ways (P4): transfers in memory, bytes in spool files; a restart sweeps.
        self.files = FileTransfers(options.file_rules)
        self.file_spool = FileSpool(store.folder / "file_spool")
        self.file_spool.sweep()
        self._live_doc_ids: dict[str, int] = {}
        for doc in store.table(LIVE_SESSIONS).all():
            session = SupportSession.from_record(doc)
            self.directory.restore(session)
            self._live_doc_ids[session.id] = doc.doc_id
        if self._live_doc_ids:
            logger.info("restored %d live sessions", len(self._live_doc_ids))

    # -- agent HTTP actions ----------------------------------------------------------------

    def new_support(self, principal: Principal, now: float, relay_url: str) -> dict[str, Any]:
        account = self.accounts.get(principal.username)
        if account is None:
            raise Refused(401, "unauthorized", "this account no longer exists")
        try:
            session = self.directory.create(
                principal.username,
                self.profile(account),
                now,
                self.options.code_lifetime_s,
                relay_url=(self.options.public_url or relay_url).rstrip("/"),
            )
        except RuntimeError:
            raise Refused(
                503, "no_codes_left", "no access codes are free; try again soon"
            ) from None
        self._persist(session)
        self.wait_durable()
        return self.support_view(session)

    def get_support(self, principal: Principal, session_id: str) -> dict[str, Any]:
        session = self.directory.sessions.get(session_id)
        if session is None or session.agent_username != principal.username:
            raise Refused(404, "session_not_found", "no such live support session")
        return self.support_view(session)

    def support_view(self, session: SupportSession) -> dict[str, Any]:
        """The ``support`` object of the HTTP API."""
        view = self.session_view(session, for_agent=True)
        return {
            "session_id": session.id,
            **{k: view[k] for k in ("state", "code", "code_expires_at", "icon", "created_at")},
            **{k: view[k] for k in ("relay_url", "join_url", "invitation_text")},
        }

    def session_view(self, session: SupportSession, for_agent: bool) -> dict[str, Any]:
        """The protocol's ``session`` object; the agent's has the code and the invitation."""
        view = session.public(for_agent)
        if for_agent:
            relay_url = session.relay_url or (self.options.public_url or "").rstrip("/")
            join_url = f"{relay_url}/?code={session.code}" if session.code else f"{relay_url}/"
            view.update(
                icon=session.icon if self.options.icons_enabled else None,
                relay_url=relay_url,
                join_url=join_url,
                invitation_text=invitation_text(session, relay_url, join_url),
            )
        return view

    def profile(self, account: dict[str, Any]) -> dict[str, Any]:
        """The agent's public profile (A2), with the URL of the photo if there is one."""
        return {**public_profile(account), "photo_url": self.photos.url(account["username"])}

    def get_notes(self, principal: Principal, session_id: str) -> dict[str, Any]:
        self._require_owner(principal, session_id)
        return self.notes.get(session_id)

    def set_notes(self, principal: Principal, session_id: str, notes: Any, now: float) -> dict:
        """Save the consultation log (CH5) of a live or ended session the agent owns."""
        self._require_owner(principal, session_id)
        if not isinstance(notes, str) or len(notes) > MAX_NOTES_CHARS:
            raise Refused(
                400, "bad_request", f"'notes' must be text of at most {MAX_NOTES_CHARS} characters"
            )
        saved = self.notes.put(session_id, principal.username, notes, now)
        self.wait_durable()
        return saved

    def _require_owner(self, principal: Principal, session_id: str) -> None:
        session = self.directory.sessions.get(session_id)
        owner = session.agent_username if session else None
        if owner is None:
            record = self.session_record(session_id)
            owner = record["agent_username"] if record else None
        if owner != principal.username:
            raise Refused(404, "session_not_found", "no such support session of yours")

    # -- customer HTTP actions -------------------------------------------------------------

    def waiting_agents(self) -> dict[str, Any]:
        if not self.options.icons_enabled:
            return {"icons_enabled": False, "agents": []}
        agents = [
            {"icon": s.icon, **{k: s.agent.get(k, "") for k in SHOWN_AGENT_FIELDS}}
            for s in self.directory.waiting_with_icons()
        ]
        return {"icons_enabled": True, "agents": agents}

    def join(
        self, code: str | None, icon: int | None, name: str, ip: str, now: float
    ) -> dict[str, Any]:
        """A customer joins by code, or knocks (by icon, or by code in admission mode).

        A wrong code costs O(1): one dict lookup and two counters; nothing is stored.

        Returns:
            ``{status: "joined", session_id, customer_token, agent}``, or
            ``{status: "knocking", knock_secret, knock: {...}, agent}`` (HTTP 202).

        Raises:
            Refused: wrong/used/expired code, unknown icon, taken session, throttled.
        """
        name = " ".join(name.split())[:MAX_NAME_CHARS]
        try:
            if code is not None:
                wait = self.join_guard.retry_after(ip, now)
                if wait > 0:
                    raise Refused(
                        429,
                        "throttled",
                        f"too many wrong codes; try again in {int(wait) + 1} s",
                        wait,
                    )
                session = self.directory.session_by_code(code, now)
                if self.join_guard.admission_required(now, len(self.directory.codes)):
                    return self._knock(session, name, KnockVia.CODE, ip, now)
                self.directory.join_by_code(code, name, now)
            else:
                if not self.options.icons_enabled:
                    raise Refused(403, "icons_disabled", "joining by icon is turned off here")
                assert icon is not None
                wait = self.join_guard.icon_knock_wait(ip, now)
                if wait > 0:
                    raise Refused(
                        429,
                        "throttled",
                        f"too many agents picked; try again in {int(wait) + 1} s",
                        wait,
                    )
                session = self.directory.session_by_icon(icon)
                self.join_guard.icon_knocked(ip, now)
                return self._knock(session, name, KnockVia.ICON, ip, now)
        except CodeError as error:
            self.join_guard.wrong_code(ip, now)
            status = 404 if error.problem is CodeProblem.INVALID else 410
            raise Refused(status, str(error.problem), _CODE_MESSAGES[str(error.problem)]) from None
        except JoinError as error:
            status = 404 if error.problem == "icon_not_found" else 409
            raise Refused(status, str(error.problem), _JOIN_MESSAGES[str(error.problem)]) from None
        return self._joined(session, now)

    def _joined(self, session: SupportSession, now: float) -> dict[str, Any]:
        """A customer is in: store, tell the agent, refuse whoever else knocked."""
        self._persist(session)
        self.wait_durable()
        self._settle_knocks(
            self.knocks.refuse_all(session.id, RefusedBecause.SESSION_TAKEN, now), session
        )
        self._tell_agent(session, MessageType.SESSION_UPDATED)
        logger.info("customer joined session %s", session.id, extra={"session_id": session.id})
        return {
            "status": "joined",
            "session_id": session.id,
            "customer_token": session.customer_token,
            "agent": session.public(False)["agent"],
        }

    # -- knocks (admission) ----------------------------------------------------------------

    def _knock(
        self, session: SupportSession, name: str, via: KnockVia, ip: str, now: float
    ) -> dict[str, Any]:
        try:
            knock, replaced = self.knocks.knock(session.id, name, via, ip, now)
        except KnockError as error:
            raise Refused(429, error.problem, error.message, 60.0) from None
        if replaced is not None:
            self.knock_settled(replaced.secret)
        self._tell_knocks(session.id)
        logger.info("customer knocking (%s)", via, extra={"session_id": session.id})
        return {
            "status": "knocking",
            "knock_secret": knock.secret,
            "knock": knock.for_customer(),
            "agent": session.public(False)["agent"],
        }

    def knock_status(self, secret: str) -> dict[str, Any]:
        """What ``GET /api/knocks/<secret>`` answers; with the customer token once admitted.

        Raises:
            Refused: ``404 knock_not_found`` (unknown, or forgotten after a restart).
        """
        knock = self.knocks.by_secret(secret)
        if knock is None:
            raise Refused(404, "knock_not_found", "this request to join is unknown; join again")
        answer: dict[str, Any] = {"knock": knock.for_customer()}
        if knock.state is KnockState.ADMITTED:
            session = self.directory.sessions.get(knock.session_id)
            answer.update(
                session_id=knock.session_id,
                customer_token=knock.customer_token,
                agent=session.public(False)["agent"] if session else {},
            )
        return answer

    def knock_pending(self, secret: str) -> bool:
        knock = self.knocks.by_secret(secret)
        return knock is not None and knock.state is KnockState.PENDING

    def withdraw_knock(self, secret: str, now: float) -> dict[str, Any]:
        """The customer stops knocking (``DELETE /api/knocks/<secret>``)."""
        knock = self.knocks.by_secret(secret)
        if knock is None:
            raise Refused(404, "knock_not_found", "this request to join is unknown")
        if self.knocks.withdraw(knock, now):
            self.knock_settled(knock.secret)
            self._tell_knocks(knock.session_id)
        return {"knock": knock.for_customer()}

    def _answer_knock(self, session: SupportSession, message: Any, now: float) -> None:
        """The agent's Admit / Refuse / Refuse all."""
        if isinstance(message, RefuseAllKnocks):
            refused = self.knocks.refuse_all(session.id, RefusedBecause.AGENT, now)
            self._settle_knocks(refused, session)
            return
        try:
            knock = self.knocks.find_pending(session.id, message.knock_id)
        except KnockError as error:
            self._tell_knocks(session.id)  # the agent's list is stale: send the current one
            raise ProtocolError(ErrorCode.NOT_ALLOWED, error.message, str(message.type)) from None
        if isinstance(message, RefuseKnock):
            self.knocks.refuse(knock, RefusedBecause.AGENT, now)
            self._settle_knocks([knock], session)
            return
        try:
            self.directory.admit(session, knock.name, now)
        except JoinError:  # not waiting any more; its knocks should be gone already
            self.knocks.refuse(knock, RefusedBecause.SESSION_TAKEN, now)
            self._settle_knocks([knock], session)
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "a customer has joined already", str(message.type)
            ) from None
        refused = self.knocks.admit(knock, session.customer_token or "", now)
        self._persist(session)
        self.wait_durable()  # the customer token must survive a restart before it is handed out
        for settled in (knock, *refused):
            self.knock_settled(settled.secret)
        self._tell_knocks(session.id)  # empty now
        self._tell_agent(session, MessageType.SESSION_UPDATED)
        logger.info("agent admitted a customer", extra={"session_id": session.id})

    def _settle_knocks(self, settled: list[Knock], session: SupportSession) -> None:
        for knock in settled:
            self.knock_settled(knock.secret)
        if settled:
            self._tell_knocks(session.id)

    def _tell_knocks(self, session_id: str) -> None:
        """Send the agent the session's pending knocks (the whole list: small, idempotent)."""
        room = self.rooms.find(session_id)
        agent = room.get(Role.AGENT) if room else None
        if agent is not None:
            agent.send(self._knocks_frame(session_id))

    def _knocks_frame(self, session_id: str) -> str:
        return encode(
            MessageType.KNOCKS_CHANGED,
            knocks=[k.for_agent() for k in self.knocks.pending(session_id)],
        )

    # -- websocket -------------------------------------------------------------------------

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
            principal = self.accounts.authenticate(hello.token, now)
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
        return session, session.customer_name or "Customer"

    def enter(self, member: Member, session: SupportSession, last_seen_id: int) -> None:
        """Send an accepted member its ``welcome``, then seat it (and tell the others)."""
        chat = self._chat(session.id)
        if member.role is Role.CUSTOMER:
            last_seen_id = max(last_seen_id, session.customer_since_id)
        if member.channel is Channel.SCREEN:
            # The customer's viewers carry the chat too (the conversation beside the screen):
            # they get the history like a chat socket; the presenter gets none.
            viewer = member.role is Role.CUSTOMER
            member.send(
                encode(
                    MessageType.WELCOME,
                    protocol_version=PROTOCOL_VERSION,
                    you={"role": str(member.role), "name": member.name},
                    session=self.session_view(session, member.role is Role.AGENT),
                    missed=chat.after(last_seen_id) if viewer else [],
                    last_id=chat.last_id if viewer else 0,
                    read_up_to=chat.read_up_to if viewer else {},
                )
            )
            self.screens.enter(member)
            return
        room = self.rooms.room(session.id)
        welcome = encode(
            MessageType.WELCOME,
            protocol_version=PROTOCOL_VERSION,
            you={"role": str(member.role), "name": member.name},
            session=self.session_view(session, member.role is Role.AGENT),
            missed=chat.after(last_seen_id),
            last_id=chat.last_id,
            read_up_to=chat.read_up_to,
        )
        member.send(welcome)
        if member.role is Role.AGENT:  # the chat window shows who holds control (P3)
            member.send(self.screens.control.state_for_agent(session.id))
            member.send(self._knocks_frame(session.id))  # who is asking to join
        replaced = room.add(member)
        if replaced is not None:
            replaced.close(CloseCode.REPLACED, "connected from another window")
        else:
            rejoined = member.role in chat.joined_roles
            chat.joined_roles.add(member.role)
            self._to_chat(
                session.id,
                encode(
                    MessageType.PARTICIPANT_JOINED,
                    role=str(member.role),
                    name=member.name,
                    rejoined=rejoined,
                ),
                exclude=member,
            )

    def leave(self, member: Member) -> None:
        if member.channel is Channel.SCREEN:
            self.screens.leave(member)
            return
        if self.rooms.leave(member):
            self._to_chat(
                member.session_id,
                encode(MessageType.PARTICIPANT_LEFT, role=str(member.role), name=member.name),
            )

    def handle(self, member: Member, message: Any, now: float) -> None:
        """Act on one parsed message from a seated member.

        Raises:
            ProtocolError: the message is not allowed now; reply with its ``to_frame()``.
        """
        session = self.directory.sessions.get(member.session_id)
        if session is None:
            raise ProtocolError(
                ErrorCode.SESSION_ENDED,
                "the session has ended",
                str(message.type),
                client_id=getattr(message, "client_id", None),
            )
        if member.role is Role.CUSTOMER and member.customer_id != session.customer_id:
            # A socket of a retired token whose frame was read before it was closed.
            raise ProtocolError(ErrorCode.NOT_ALLOWED, REMOVED_REASON, str(message.type))
        room = self.rooms.room(member.session_id)
        if isinstance(message, SendChat | Typing | MarkRead):
            self._chat_from(session, member, message, now)
        elif isinstance(message, EndSession):
            self.end(session, str(member.role), now)
        elif isinstance(message, RemoveCustomer):
            self._require_agent(member, message)
            self._remove_customer(session, now)
        elif isinstance(message, RequestPresentation):
            self._require_agent(member, message)
            customer = room.get(Role.CUSTOMER)
            if customer is None:
                raise ProtocolError(
                    ErrorCode.NOT_ALLOWED, "no customer is connected", str(message.type)
                )
            customer.send(encode(MessageType.PRESENTATION_REQUESTED, agent_name=member.name))
        elif isinstance(message, AnswerPresentation):
            if member.role is not Role.CUSTOMER:
                raise ProtocolError(
                    ErrorCode.NOT_ALLOWED, "only the customer answers", str(message.type)
                )
            room.broadcast(encode(MessageType.PRESENTATION_ANSWERED, accept=message.accept))
        elif isinstance(message, RenewCode):
            self._require_agent(member, message)
            if session.state is not SessionState.WAITING:
                raise ProtocolError(
                    ErrorCode.NOT_ALLOWED, "a code is only needed while waiting", "renew_code"
                )
            self.directory.new_code(session, now, self.options.code_lifetime_s)
            self._persist(session)
            self.wait_durable()
            self._tell_agent(session, MessageType.SESSION_UPDATED)
        elif isinstance(message, AdmitKnock | RefuseKnock | RefuseAllKnocks):
            self._require_agent(member, message)
            self._answer_knock(session, message, now)
        elif isinstance(message, GrantControl | RevokeControl):  # control handover (P3)
            self._require_agent(member, message)
            self.screens.handle_control(member, message, session.customer_id)
        else:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "hello was already accepted", "hello")

    def viewer_chat(
        self, member: Member, message: SendChat | Typing | MarkRead, now: float
    ) -> None:
        """Chat from a customer's viewer socket (screen channel): as from its chat socket.

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
        if member.customer_id != session.customer_id or not seated:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED,
                "this viewer is not in the session",
                str(message.type),
                client_id,
            )
        self._chat_from(session, member, message, now)

    def _chat_from(self, session: SupportSession, member: Member, message: Any, now: float) -> None:
        """``send_chat``, ``typing`` or ``mark_read`` from any socket of a participant."""
        if isinstance(message, SendChat):
            chat = self._chat(session.id)
            stored = chat.find(str(member.role), message.client_id)
            if stored is not None:  # a resend after a lost acknowledgement
                self.wait_durable()  # the original may still be syncing: ack only once durable
                member.send(encode(MessageType.CHAT_MESSAGE, **stored))
                return
            stored = chat.append(
                str(member.role), member.name, message.client_id, message.text, now
            )
            self.wait_durable()
            self._to_chat(session.id, encode(MessageType.CHAT_MESSAGE, **stored))
        elif isinstance(message, Typing):
            self._to_chat(
                session.id,
                encode(
                    MessageType.TYPING,
                    role=str(member.role),
                    name=member.name,
                    active=message.active,
                ),
                exclude=member,
            )
        else:
            chat = self._chat(session.id)
            role = str(member.role)
            chat.read_up_to[role] = max(chat.read_up_to.get(role, 0), message.up_to_id)
            self._to_chat(
                session.id,
                encode(MessageType.MARKED_READ, role=str(member.role), up_to_id=message.up_to_id),
            )

    def _to_chat(self, session_id: str, frame: str, exclude: Member | None = None) -> None:
        """Send a chat frame to both chat sockets and to the customer's viewer sockets."""
        room = self.rooms.find(session_id)
        if room is not None:
            room.broadcast(frame, exclude=exclude)
        for viewer in self.screens.viewers_of(session_id):
            if viewer is not exclude:
                viewer.send(frame)

    def end(self, session: SupportSession, ended_by: str, now: float) -> dict[str, Any]:
        """End ``session``: record it, tell everyone, close their sockets."""
        self.directory.end(session, ended_by, now)
        for knock in self.knocks.refuse_all(session.id, RefusedBecause.SESSION_ENDED, now):
            self.knock_settled(knock.secret)
        record = session.to_record()
        record.pop("customer_token", None)
        chat = self._chats.pop(session.id, None)
        record["message_count"] = chat.last_id if chat else 0
        record["duration_s"] = session.end_summary()["duration_s"]  # for history (C4, P11)
        self.store.insert(SESSION_RECORDS, record)
        doc_id = self._live_doc_ids.pop(session.id, None)
        if doc_id is not None:
            self.store.remove(LIVE_SESSIONS, doc_id)
        self.wait_durable()
        self.drop_files(session.id)  # before session_ended goes out: nothing left behind
        summary = session.end_summary()
        room = self.rooms.find(session.id)
        if room is not None:
            room.broadcast(encode(MessageType.SESSION_ENDED, **summary))
        self.rooms.close_room(session.id, CloseCode.SESSION_ENDED, "session ended")
        self.screens.end(session.id, CloseCode.SESSION_ENDED, "session ended")
        logger.info(
            "session %s ended by %s", session.id, ended_by, extra={"session_id": session.id}
        )
        return summary

    def session_record(self, session_id: str) -> dict[str, Any] | None:
        doc = self.store.table(SESSION_RECORDS).get(Query().id == session_id)
        return dict(doc) if doc else None

    def tick(self, now: float) -> None:
        """Periodic upkeep: expire codes and knocks (telling their agents), drop expired
        tokens, forget addresses past their throttle window."""
        self._codes_changed(self.directory.expire_codes(now))
        expired = self.knocks.expire(now)
        for knock in expired:
            self.knock_settled(knock.secret)
        for session_id in {k.session_id for k in expired}:
            self._tell_knocks(session_id)
        self.accounts.prune_tokens(now)
        if now - self._swept_at >= SWEEP_EVERY_S:
            self._swept_at = now
            self.join_guard.sweep(now)
        self.accounts.sweep_throttles(now)

    def drop_files(self, session_id: str) -> None:
        """Forget a session's file transfers and delete their spool files (P4).

        Unfinished ones are cancelled ``by`` the relay, and the room is told.
        """
        room = self.rooms.find(session_id)
        for transfer in self.files.forget_session(session_id):
            self.file_spool.delete(transfer.id)
            if transfer.state not in FINISHED:
                transfer.cancel("relay")
                if room is not None:
                    room.broadcast(encode(MessageType.FILE_CANCELLED, transfer=transfer.view()))

    # -- helpers ---------------------------------------------------------------------------

    def _chat(self, session_id: str) -> ChatLog:
        chat = self._chats.get(session_id)
        if chat is None:
            chat = self._chats[session_id] = ChatLog(self.store, session_id)
        return chat

    def _persist(self, session: SupportSession) -> None:
        record = session.to_record()
        doc_id = self._live_doc_ids.get(session.id)
        if doc_id is None:
            self._live_doc_ids[session.id] = self.store.insert(LIVE_SESSIONS, record)
        else:
            self.store.update(LIVE_SESSIONS, doc_id, record)

    def _codes_changed(self, sessions: list[SupportSession]) -> None:
        """Store, then tell the agents of ``sessions`` their new code (or that it is gone)."""
        for session in sessions:
            self._persist(session)
        if sessions:
            self.wait_durable()
        for session in sessions:
            self._tell_agent(session, MessageType.SESSION_UPDATED)

    def _tell_agent(self, session: SupportSession, message_type: MessageType) -> None:
        room = self.rooms.find(session.id)
        agent = room.get(Role.AGENT) if room else None
        if agent is not None:
            agent.send(encode(message_type, session=self.session_view(session, True)))

    def _remove_customer(self, session: SupportSession, now: float) -> None:
        """Retire the customer's token: every socket of it closes (4004) before this yields.

        Everything in memory happens first and at once, so no frame of the old customer is
        handled, and nothing is sent to it, while the store syncs.
        """
        if session.state is not SessionState.ACTIVE:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "no customer to remove", "remove_customer")
        retired = session.customer_id
        self.directory.remove_customer(session, now, self.options.code_lifetime_s)
        self._close_customer(session.id, retired, CloseCode.REMOVED, REMOVED_REASON)
        self.screens.clear_control(session.id)  # a removed customer controls nothing (P3)
        self.drop_files(session.id)  # the next customer must not get this one's files
        chat = self._chat(session.id)
        session.customer_since_id = chat.last_id  # the next customer does not see this chat
        chat.joined_roles.discard(Role.CUSTOMER)
        chat.read_up_to[str(Role.CUSTOMER)] = 0
        self._persist(session)
        self.wait_durable()
        self._tell_agent(session, MessageType.CUSTOMER_REMOVED)

    def _close_customer(self, session_id: str, customer_id: str, code: int, reason: str) -> None:
        """Close every socket of one customer token: its chat socket and all its viewers.

        Each is unseated first (its viewer slot, grant and request freed), then closed.
        """
        room = self.rooms.find(session_id)
        chat = room.get(Role.CUSTOMER) if room else None
        if chat is not None and chat.customer_id == customer_id:
            self.rooms.leave(chat)
            chat.close(code, reason)
        closed = self.screens.retire_customer(session_id, customer_id, code, reason)
        logger.info(
            "customer token retired: %d viewer sockets closed",
            closed,
            extra={"session_id": session_id},
        )

    def _agent_chat(self, session_id: str) -> Member | None:
        room = self.rooms.find(session_id)
        return room.get(Role.AGENT) if room else None

    def _gone_code(self, session_id: str) -> CloseCode:
        if self.session_record(session_id) is not None:
            return CloseCode.SESSION_ENDED
        return CloseCode.SESSION_NOT_FOUND

    @staticmethod
    def _require_agent(member: Member, message: Any) -> None:
        if member.role is not Role.AGENT:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, f"only the agent may send {message.type}", str(message.type)
            )


_CODE_MESSAGES = {
    "invalid_code": "This access code is not valid. Check the digits and try again.",
    "code_used": "This access code has already been used. Ask your agent for a new one.",
    "code_expired": "This access code has expired. Ask your agent for a new one.",
}
_JOIN_MESSAGES = {
    "icon_not_found": "That agent is no longer waiting.",
    "session_taken": "Another customer has just joined that agent.",
}


def invitation_text(session: SupportSession, relay_url: str, join_url: str) -> str:
    name = session.agent.get("name", session.agent_username)
    if not session.code:
        return f"{name} is waiting for you at {relay_url}/"
    shown = format_code(session.code)
    return (
        f"{name} invites you to a live consultation.\n"
        f"Open {join_url} — or go to {relay_url}/ and enter the access code {shown}.\n"
        f"{name} 상담원이 원격 상담에 초대합니다. "
        f"{relay_url}/ 에서 접속 코드 {shown} 를 입력하세요."
    )
