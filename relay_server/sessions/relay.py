"""The relay's domain logic: support sessions, joins, chat, ends.

The HTTP-side actions (new support, join, notes) and the end of a session are here; knocks
and their answers in ``admission.py`` (:class:`Admission`, Relay's base); the files in the
conversation in ``session_files.py`` (:class:`SessionFiles`, its base); customers'
seats and the personal links in ``seats.py`` (:class:`Seats`, the next base); the chat
sockets' hello, seating and messages in ``chat_sockets.py`` (:class:`ChatSockets`, its base).
No sockets and no gevent: the HTTP routes and the websocket adapter call these methods, pass
the current time, and hand in members with ``send``/``close``. ``wait_durable`` is the one
blocking call, injected: the server passes its group committer, tests pass ``store.sync``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from relay_server.accounts.passwords import hash_password
from relay_server.accounts.photos import Photos
from relay_server.accounts.registry import Accounts, Principal, public_profile
from relay_server.calls.calls import Calls
from relay_server.calls.ice_servers import IceConfig
from relay_server.errors import Refused
from relay_server.files.kept import KeptFiles
from relay_server.files.spool import FileSpool
from relay_server.files.transfers import FileRules, FileTransfers
from relay_server.history.archive import Archive, HistoryArchive
from relay_server.history.handover import HistoryHandover
from relay_server.history.history import History
from relay_server.history.usage import SessionUsage
from relay_server.hub import Hub
from relay_server.hub.local import LocalHub
from relay_server.options.catalog import ALL_OPTIONS
from relay_server.options.live import LiveRelayOptions, command_line_values
from relay_server.options.options import Options
from relay_server.screen.fanout import CallLater
from relay_server.screen.router import Screens
from relay_server.sessions.access_codes import CodeError, format_code
from relay_server.sessions.agent_icons import AgentIcons
from relay_server.sessions.chat_log import ChatLog
from relay_server.sessions.chat_sockets import HandshakeRefused
from relay_server.sessions.join_guard import (
    DEFAULT_GUESS_BUDGET,
    DEFAULT_GUESS_WINDOW_S,
    JoinGuard,
)
from relay_server.sessions.knocks import (
    Knocks,
    KnockVia,
    RefusedBecause,
)
from relay_server.sessions.notes import MAX_NOTES_CHARS, SessionNotes
from relay_server.sessions.rooms import Member, Rooms
from relay_server.sessions.seats import JOIN_MESSAGES
from relay_server.sessions.supports import (
    DEFAULT_CUSTOMERS_PER_SESSION,
    ICON_AGENT_FIELDS,
    JoinError,
    SupportDirectory,
    SupportSession,
)
from relay_server.sessions.takeover import LIVE_SESSIONS, SESSION_LEASE_S, Takeover
from relay_server.store import Store
from relay_server.whiteboard.boards import Whiteboards
from relay_server.whiteboard.images import BoardImages
from suite.protocol import (
    MAX_NAME_CHARS,
    CloseCode,
    CustomerRemoved,
    Role,
    SessionEnded,
    SessionReservation,
    SessionUpdated,
)

logger = logging.getLogger(__name__)

SWEEP_EVERY_S = 60.0  # forget addresses past their throttle window this often


@dataclass(slots=True)
class RelayOptions:
    code_lifetime_s: float = 600.0
    handoff_lifetime_s: float = 60.0  # CH9: sign-in links to the system browser
    icons_enabled: bool = True
    public_url: str | None = None
    file_rules: FileRules = field(default_factory=FileRules)  # files both ways (P4)
    # Wrong codes relay-wide per window before a correct code knocks (docs/security.md).
    guess_budget: int = DEFAULT_GUESS_BUDGET
    guess_window_s: float = DEFAULT_GUESS_WINDOW_S
    ice: IceConfig = field(default_factory=IceConfig)  # STUN/TURN for calls (CH9)
    # Customers seated at once in one session (--customers-per-session); one more is refused.
    customers_per_session: int = DEFAULT_CUSTOMERS_PER_SESSION


__all__ = ["HandshakeRefused", "Relay", "RelayOptions", "invitation_text"]


class Relay(Takeover):
    """Support sessions: the HTTP-side actions here, knocks and the agent's answers in
    :class:`Admission`, files in the conversation in :class:`SessionFiles`, customers' seats
    and personal links in :class:`Seats`, the chat sockets' lifecycle and messages in
    :class:`ChatSockets`."""

    def __init__(
        self,
        store: Store,
        options: RelayOptions,
        wait_durable: Callable[[], None] | None = None,
        call_later: CallLater | None = None,
        hasher: Callable[[str], str] = hash_password,
        settings: Options | None = None,
        hub: Hub | None = None,
    ):
        self.store = store
        # What relay nodes share live (--hub): codes, session leases, throttles, delivery.
        self.hub: Hub = hub or LocalHub()
        # The admin's options (AD4) over the command line's: read at each use (live.py).
        self.settings = settings or Options(
            store, ALL_OPTIONS, command_line_values(options, RelayOptions())
        )
        self.options = LiveRelayOptions(options, self.settings.get)
        self.wait_durable: Callable[[], object] = wait_durable or store.sync
        self.accounts = Accounts(
            store, hasher=hasher, idle_timeout_s=lambda: self.options.idle_timeout_s
        )
        self.notes = SessionNotes(store)
        self.photos = Photos(store.folder / "photos", store.shared_files)
        self.directory = SupportDirectory()
        self.directory.codes.claim = lambda code, session_id, ttl_s: self.hub.claim(
            "code", code, session_id, ttl_s
        )
        # A release that fails (Redis away) is left to the claim's expiry, the code's lifetime.
        self.directory.codes.release = lambda code, session_id: self._unless_hub_fails(
            self.hub.release, "code", code, session_id
        )
        self.agent_icons = AgentIcons(store)  # each agent keeps one icon number
        self.rooms = Rooms(agent_of=self._agent_of)
        self.screens = Screens(call_later, end_session=self._end_from_screen)
        self.screens.control.agent_chat = self._agent_chat  # control_state to the chat (P3)
        self.screens.to_chat = self._to_chat  # recording_state to everyone (P9)
        self.join_guard = JoinGuard.create(options.guess_budget, options.guess_window_s)
        if self.hub.kind != "local":  # the throttles span the nodes (join_guard.py)
            self.join_guard.shared = self.hub
        self.knocks = Knocks()
        # The time of socket events (a call's TURN credentials), for the calls of enter/leave.
        self.clock: Callable[[], float] = time.time
        self.calls = Calls(self.call_sockets, options.ice)  # voice and video (CH9)
        # The shared whiteboard (CH3); "new board" keeps the old one as a file (set by the web
        # layer, which owns the file routes).
        self.whiteboards = Whiteboards(store, self.call_sockets)
        self.board_images = BoardImages(store.folder / "whiteboard_images", store.shared_files)
        # Told the secret of every knock that settles (the HTTP layer wakes its long polls).
        self.knock_settled: Callable[[str], None] = lambda secret: None
        # Told every session that ends (a reservation's meeting is done then: A11).
        self.session_ended: Callable[[str, float], None] = lambda session_id, now: None
        # The booked meeting a session was opened for, or None (``session.reservation``, A11).
        self.reservation_of: Callable[[str], SessionReservation | None] = lambda session_id: None
        self._swept_at = 0.0
        self._chats: dict[str, ChatLog] = {}
        self.presentation_asks: dict[str, set[str]] = {}  # several customers asked at once
        self.print_asks: dict[str, set[str]] = {}  # remote print: transfer id -> who answered
        # Files both ways (P4): transfers in memory, bytes in spool files; a restart sweeps.
        self.files = FileTransfers(lambda: self.options.file_rules)
        self.file_spool = FileSpool(store.folder / "file_spool")
        self.file_spool.sweep()
        self.kept_files = KeptFiles(store.shared_files, self.file_spool)  # several nodes
        # Support and usage history (A10, AD2): ended sessions leave the store for the archive.
        self.history = History(_history_archive(store))
        self.usage = SessionUsage()
        self.screens.on_usage = self.usage.count
        self.calls.on_connected = lambda session_id: self.usage.count(session_id, "calls")
        self.handover = HistoryHandover(store, self.notes, self.history, self.usage)
        self.handover.recover(LIVE_SESSIONS)
        self._live_doc_ids: dict[str, int] = {}
        self.take_over_one = self.take_over_alone  # the shell may join them (takeover.py)
        store.on_fenced(self.fenced_out)  # several nodes: a session taken over meanwhile
        live = store.all(LIVE_SESSIONS)
        self._restore_unowned(live)
        # A session that ended while its board's removal was not yet written (a crash).
        live_ids = {doc["id"] for doc in live}
        for session_id in self.whiteboards.session_ids():
            if session_id not in live_ids:
                self.whiteboards.forget(session_id)
        self._load_invitations()  # personal links (seats.py)

    # -- agent HTTP actions ----------------------------------------------------------------

    def new_support(self, principal: Principal, now: float, relay_url: str) -> dict[str, Any]:
        account = self.accounts.get(principal.username)
        if account is None:
            raise Refused("unauthorized", "this account no longer exists")
        try:
            session = self.directory.create(
                principal.username,
                self.profile(account),
                now,
                self.options.code_lifetime_s,
                relay_url=(self.options.public_url or relay_url).rstrip("/"),
                icon=self.agent_icons.number_for(
                    principal.username, self.directory.live_icons(), now
                ),
            )
        except RuntimeError:
            raise Refused("no_codes_left", "no access codes are free; try again soon") from None
        self.hub.take_session(session.id, SESSION_LEASE_S)
        self._persist(session)
        self.wait_durable()
        return self.support_view(session)

    def get_support(self, principal: Principal, session_id: str) -> dict[str, Any]:
        session = self.directory.sessions.get(session_id)
        if session is None or session.agent_username != principal.username:
            raise Refused("session_not_found", "no such live support session")
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
        room = self.rooms.find(session.id)
        view["participants"] = session.participants(room.online() if room else set())
        view["recording"] = self.screens.recording(session.id)  # P9: the customer's mark
        reservation = self.reservation_of(session.id)
        if reservation is not None and not for_agent:
            reservation = reservation.for_customer()
        view["reservation"] = reservation.to_body() if reservation is not None else None
        if for_agent:
            # P9: read live (a relay without the options service records nothing).
            view["recording_policy"] = getattr(self.options, "recording_policy", "off")
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
        if session_id not in self.directory.sessions:
            archived = self.history.notes(session_id)
            if archived is not None:
                return archived
        return self.notes.get(session_id)

    def set_notes(self, principal: Principal, session_id: str, notes: Any, now: float) -> dict:
        """Save the consultation log (CH5) of a live or ended session the agent owns."""
        self._require_owner(principal, session_id)
        if not isinstance(notes, str) or len(notes) > MAX_NOTES_CHARS:
            raise Refused(
                "bad_request", f"'notes' must be text of at most {MAX_NOTES_CHARS} characters"
            )
        if session_id not in self.directory.sessions and session_id in self.history:
            return self.history.set_notes(session_id, notes, principal.username, now)
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
            raise Refused("session_not_found", "no such support session of yours")

    # -- customer HTTP actions -------------------------------------------------------------

    def waiting_agents(self) -> dict[str, Any]:
        if not self.options.icons_enabled:
            return {"icons_enabled": False, "agents": []}
        agents = [
            {"icon": s.icon, **{k: s.agent.get(k, "") for k in ICON_AGENT_FIELDS}}
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
                        "throttled",
                        f"too many wrong codes; try again in {int(wait) + 1} s",
                        wait,
                    )
                session = self._session_by_code(code, now)
                if self.join_guard.admission_required(now, len(self.directory.codes)):
                    return self._knock(session, name, KnockVia.CODE, ip, now)
                customer = self.directory.join_by_code(
                    code, name, now, self.options.customers_per_session
                )
            else:
                if not self.options.icons_enabled:
                    raise Refused("icons_disabled", "joining by icon is turned off here")
                assert icon is not None
                wait = self.join_guard.icon_knock_wait(ip, now)
                if wait > 0:
                    raise Refused(
                        "throttled",
                        f"too many agents picked; try again in {int(wait) + 1} s",
                        wait,
                    )
                session = self.directory.session_by_icon(icon)
                self.join_guard.icon_knocked(ip, now)
                return self._knock(session, name, KnockVia.ICON, ip, now)
        except CodeError as error:
            self.join_guard.wrong_code(ip, now)
            raise Refused(str(error.problem), _CODE_MESSAGES[str(error.problem)]) from None
        except JoinError as error:
            raise Refused(str(error.problem), JOIN_MESSAGES[str(error.problem)]) from None
        return self._joined(session, customer, now)

    def _end_from_screen(self, member: Member, now: float) -> None:
        """The viewer's End button: its session ends as from the chat."""
        session = self.directory.sessions.get(member.session_id)
        if session is not None:
            self.end_for(member, session, now)

    def end(
        self, session: SupportSession, ended_by: str, now: float, admin: str = ""
    ) -> dict[str, Any]:
        """End ``session``: record it, tell everyone, close their sockets.

        Args:
            ended_by: ``agent``, ``customer``, ``relay`` or ``admin`` (the admin site's
                *Online*, AD5: then ``admin`` is the admin's username, kept in the record).
        """
        self.directory.end(session, ended_by, now)
        self.presentation_asks.pop(session.id, None)
        for knock in self.knocks.refuse_all(session.id, RefusedBecause.SESSION_ENDED, now):
            self.knock_settled(knock.secret)
        for invitation in self.invitations.close_session(session.id, now):
            self._store_invitation(invitation)
        self.usage.add_files(session.id, (t.view() for t in self.files.of_session(session.id)))
        # Archived and fsynced here: the end is durable from now on.
        self.handover.archive(session, self._chats.pop(session.id, None), ended_by_admin=admin)
        doc_id = self._live_doc_ids.pop(session.id, None)
        if doc_id is not None:
            self.store.remove(LIVE_SESSIONS, doc_id)
        self.whiteboards.forget(session.id)
        self.board_images.drop(session.id)
        self.wait_durable()
        self._unless_hub_fails(self.hub.hand_over, session.id)
        self.drop_files(session.id)  # before session_ended goes out: nothing left behind
        self.session_ended(session.id, now)
        self.calls.end_session(session.id, now)
        summary = session.end_summary()
        self._to_chat(session.id, SessionEnded(**summary).to_frame())  # every customer's too
        self.rooms.close_room(session.id, CloseCode.SESSION_ENDED, "session ended")
        self.screens.end(session.id, CloseCode.SESSION_ENDED, "session ended")
        logger.info(
            "session %s ended by %s %s", session.id, ended_by, admin,
            extra={"session_id": session.id},
        )  # fmt: skip
        return summary

    def session_record(self, session_id: str) -> dict[str, Any] | None:
        """The history's summary of an ended session (``Summary.view()``), or None."""
        summary = self.history.summary(session_id)
        return summary.view() if summary else None

    def tick(self, now: float) -> None:
        """Periodic upkeep: expire codes and knocks (telling their agents), drop expired
        tokens, forget addresses past their throttle window."""
        self._codes_changed(self.directory.expire_codes(now))
        expired = self.knocks.expire(now)
        for knock in expired:
            self.knock_settled(knock.secret)
        for session_id in {k.session_id for k in expired}:
            self._tell_knocks(session_id)
        # An agent's open session socket counts as activity (the idle sign-out, AD4).
        self.accounts.touch(self.rooms.agents_seated(), now)
        self.accounts.prune_tokens(now)
        self.calls.expire(now)
        if now - self._swept_at >= SWEEP_EVERY_S:
            self._swept_at = now
            self.join_guard.sweep(now)
        self.accounts.sweep_throttles(now)
        if self.whiteboards.flush():  # debounced: a second's changes at a time (CH3)
            self.wait_durable()

    def _agent_of(self, session_id: str) -> str | None:
        session = self.directory.sessions.get(session_id)
        return session.agent_username if session is not None else None

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
            self._tell_agent(session, SessionUpdated)

    def _tell_agent(
        self, session: SupportSession, message: type[SessionUpdated | CustomerRemoved]
    ) -> None:
        room = self.rooms.find(session.id)
        agent = room.get(Role.AGENT) if room else None
        if agent is not None:
            agent.send(message(session=self.session_view(session, True)).to_frame())


_CODE_MESSAGES = {
    "invalid_code": "This access code is not valid. Check the digits and try again.",
    "code_used": "This access code has already been used. Ask your agent for a new one.",
    "code_expired": "This access code has expired. Ask your agent for a new one.",
}


def invitation_text(session: SupportSession, relay_url: str, join_url: str) -> str:
    name = session.agent.get("name", session.agent_username)
    if not session.code:
        return f"{name} is waiting for you at {relay_url}/"
    shown = format_code(session.code)
    # The agent page builds the invitation in its own language (ui/agent/waiting_panel.js);
    # this text, for API clients, has both. The Korean line ends with the code, so no
    # particle (을/를) has to agree with how the last digit is read.
    return (
        f"{name} invites you to a live consultation.\n"
        f"Open {join_url} — or go to {relay_url}/ and enter the access code {shown}.\n"
        f"{name} 상담원이 원격 상담에 초대했습니다. "
        f"{join_url} 링크를 열거나, {relay_url}/ 에 접속해 접속 코드를 입력하세요: {shown}"
    )


def _history_archive(store: Store) -> HistoryArchive:
    """The history's archive on the store's side: PostgreSQL's tables, or the data folder's
    ``history/`` files beside TinyDB."""
    if store.kind == "postgresql":
        from relay_server.history.pg_archive import PostgresArchive
        from relay_server.store.postgres import PostgresStore

        assert isinstance(store, PostgresStore)
        return PostgresArchive(store.pool)
    return Archive(store.folder / "history")
