"""Support sessions and the directory that finds them by code, icon or token (pure).

A support session is what an agent opens with "new support": ``waiting`` while its access
code is live, ``active`` once a customer joined, ``ended`` at the end. Nothing here does I/O;
the relay persists what these objects return.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from relay_server.sessions.access_codes import AccessCodes, CodeError, CodeProblem

MAX_ICON = 99
MAX_RETIRED_CUSTOMERS = 32  # per session: their tokens are refused with "removed" (4004)
CUSTOMER_ID_CHARS = 12
# What customers see: the chat shows phone and e-mail as the agent's contact (the help says so).
SHOWN_AGENT_FIELDS = ("name", "title", "company", "phone", "email", "photo_url")
# What anyone on the relay page sees of a waiting agent (the icon list): no contact details.
ICON_AGENT_FIELDS = ("name", "title", "company", "photo_url")


def customer_id(token: str) -> str:
    """The public id of a customer token: the agent sees it, it opens nothing (a hash)."""
    return hashlib.sha256(token.encode()).hexdigest()[:CUSTOMER_ID_CHARS]


class SessionState(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    ENDED = "ended"


class JoinProblem(StrEnum):
    ICON_NOT_FOUND = "icon_not_found"
    SESSION_TAKEN = "session_taken"


class JoinError(Exception):
    def __init__(self, problem: JoinProblem | CodeProblem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(slots=True)
class SupportSession:
    id: str
    agent_username: str
    agent: dict[str, Any]  # public profile at creation: name, title, company, ...
    state: SessionState
    created_at: float
    code: str | None = None
    code_expires_at: float | None = None
    icon: int | None = None
    customer_token: str | None = None
    customer_name: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    ended_by: str | None = None
    relay_url: str = ""  # the address the agent used: where invitations point
    customer_since_id: int = 0  # a customer sees chat after this id (earlier ones were removed)
    # customer_id() of the tokens of removed customers, newest last (refused with 4004)
    retired_customers: list[str] = field(default_factory=list)
    # The roles whose chat socket has said hello in this session (the current customer only):
    # a later hello of the same role is a reconnect ("is back"), after a relay restart too.
    joined_roles: list[str] = field(default_factory=list)

    @property
    def customer_id(self) -> str:
        """The current customer's public id; "" while nobody has joined."""
        return customer_id(self.customer_token) if self.customer_token else ""

    def was_removed(self, token: str) -> bool:
        """True for the token of a customer the agent removed from this session."""
        return customer_id(token) in self.retired_customers

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["state"] = str(self.state)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> SupportSession:
        fields: dict[str, Any] = {k: record.get(k) for k in cls.__dataclass_fields__}
        fields["state"] = SessionState(record["state"])
        fields["customer_name"] = record.get("customer_name") or ""
        fields["relay_url"] = record.get("relay_url") or ""
        fields["customer_since_id"] = record.get("customer_since_id") or 0
        fields["retired_customers"] = list(record.get("retired_customers") or [])
        fields["joined_roles"] = list(record.get("joined_roles") or [])
        return cls(**fields)

    def public(self, for_agent: bool) -> dict[str, Any]:
        """The ``session`` object of the protocol; code and icon only for the agent."""
        view = {
            "id": self.id,
            "state": str(self.state),
            "agent": {k: self.agent.get(k, "") for k in SHOWN_AGENT_FIELDS},
            "customer_name": self.customer_name,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }
        if for_agent:
            view.update(code=self.code, code_expires_at=self.code_expires_at, icon=self.icon)
        return view

    def end_summary(self) -> dict[str, Any]:
        """Fields of ``session_ended`` (C4: start, end, the agent's name)."""
        started = self.started_at or self.created_at
        ended = self.ended_at or started
        return {
            "session_id": self.id,
            "agent_name": self.agent.get("name", self.agent_username),
            "customer_name": self.customer_name,
            "started_at": started,
            "ended_at": ended,
            "duration_s": round(max(0.0, ended - started), 3),
            "ended_by": self.ended_by,
        }


@dataclass(slots=True)
class SupportDirectory:
    """Every live (not ended) session, with its code, icon and customer token."""

    codes: AccessCodes = field(default_factory=AccessCodes)
    sessions: dict[str, SupportSession] = field(default_factory=dict)
    _by_icon: dict[int, str] = field(default_factory=dict)
    _by_customer_token: dict[str, str] = field(default_factory=dict)

    def create(
        self,
        agent_username: str,
        agent: dict[str, Any],
        now: float,
        code_lifetime_s: float,
        relay_url: str = "",
        icon: int | None = None,
    ) -> SupportSession:
        """A new waiting session with a fresh code. ``icon``: the agent's own number
        (``icon_numbers.py``); None takes the smallest number no waiting session shows."""
        session = SupportSession(
            id=secrets.token_urlsafe(16),
            agent_username=agent_username,
            agent=agent,
            state=SessionState.WAITING,
            created_at=now,
            icon=icon if icon is not None else self._free_icon(),
            relay_url=relay_url,
        )
        self.sessions[session.id] = session
        if session.icon is not None:
            self._by_icon[session.icon] = session.id
        self.new_code(session, now, code_lifetime_s)
        return session

    def restore(self, session: SupportSession) -> None:
        """Add a live session loaded from the store after a restart."""
        self.sessions[session.id] = session
        if session.icon is not None and session.state is SessionState.WAITING:
            self._by_icon[session.icon] = session.id
        if session.code and session.code_expires_at:
            self.codes.restore(session.code, session.id, session.code_expires_at)
        if session.customer_token:
            self._by_customer_token[session.customer_token] = session.id

    def new_code(self, session: SupportSession, now: float, lifetime_s: float) -> None:
        if session.code:
            self.codes.revoke(session.code, now)
        session.code = self.codes.issue(session.id, now, lifetime_s)
        session.code_expires_at = now + lifetime_s

    def session_by_code(self, code: str, now: float) -> SupportSession:
        """The waiting session of live ``code``, without using the code (O(1)).

        Raises:
            CodeError: wrong, used or expired.
        """
        session = self.sessions.get(self.codes.check(code, now))
        if session is None or session.state is not SessionState.WAITING:
            raise CodeError(CodeProblem.USED)
        return session

    def join_by_code(self, code: str, customer_name: str, now: float) -> SupportSession:
        """Raises CodeError (wrong / used / expired)."""
        session = self.session_by_code(code, now)
        self.codes.redeem(code, now)
        return self._join(session, customer_name, now)

    def session_by_icon(self, icon: int) -> SupportSession:
        """The waiting session showing ``icon``.

        Raises:
            JoinError: no such icon, or its session has a customer already.
        """
        session = self.sessions.get(self._by_icon.get(icon, ""))
        if session is None:
            raise JoinError(JoinProblem.ICON_NOT_FOUND)
        if session.state is not SessionState.WAITING:
            raise JoinError(JoinProblem.SESSION_TAKEN)
        return session

    def admit(self, session: SupportSession, customer_name: str, now: float) -> SupportSession:
        """Let a knocking customer in (the agent clicked Admit): its code is used up.

        Raises:
            JoinError: ``session_taken`` when the session is no longer waiting.
        """
        if session.state is not SessionState.WAITING or session.id not in self.sessions:
            raise JoinError(JoinProblem.SESSION_TAKEN)
        return self._join(session, customer_name, now)

    def join_by_icon(self, icon: int, customer_name: str, now: float) -> SupportSession:
        """Join by icon at once: only after the agent admitted (see :meth:`admit`)."""
        return self.admit(self.session_by_icon(icon), customer_name, now)

    def _join(self, session: SupportSession, customer_name: str, now: float) -> SupportSession:
        if session.code:
            self.codes.revoke(session.code, now, CodeProblem.USED)
        session.state = SessionState.ACTIVE
        session.code = None
        session.code_expires_at = None
        session.customer_name = customer_name
        session.customer_token = secrets.token_urlsafe(24)
        session.started_at = session.started_at or now
        self._release_icon(session)
        self._by_customer_token[session.customer_token] = session.id
        return session

    def remove_customer(self, session: SupportSession, now: float, code_lifetime_s: float) -> None:
        """Back to waiting with a fresh code; the old customer token stops working for good."""
        if session.customer_token:
            self._by_customer_token.pop(session.customer_token, None)
            retired = [*session.retired_customers, session.customer_id]
            session.retired_customers = retired[-MAX_RETIRED_CUSTOMERS:]
        session.customer_token = None
        session.customer_name = ""
        session.state = SessionState.WAITING
        shown_by = self.sessions.get(self._by_icon.get(session.icon or 0, ""))
        if session.icon is None or (
            shown_by is not None and shown_by.agent_username != session.agent_username
        ):
            session.icon = self._free_icon()
        if session.icon is not None:
            self._by_icon[session.icon] = session.id
        self.new_code(session, now, code_lifetime_s)

    def end(self, session: SupportSession, ended_by: str, now: float) -> None:
        session.state = SessionState.ENDED
        session.ended_at = now
        session.ended_by = ended_by
        session.started_at = session.started_at or session.created_at
        if session.code:
            self.codes.revoke(session.code, now)
        session.code = None
        session.code_expires_at = None
        self._release_icon(session)
        if session.customer_token:
            self._by_customer_token.pop(session.customer_token, None)
        self.sessions.pop(session.id, None)

    def expire_codes(self, now: float) -> list[SupportSession]:
        """Retire codes past their lifetime; returns the sessions left without one (the agent
        renews). Wrong codes typed anywhere never retire a code."""
        touched = []
        for session_id, code in self.codes.expire(now):
            session = self.sessions.get(session_id)
            if session is None or session.code != code:
                continue  # ended, joined or renewed meanwhile
            session.code = None
            session.code_expires_at = None
            touched.append(session)
        return touched

    def by_customer_token(self, token: str) -> SupportSession | None:
        return self.sessions.get(self._by_customer_token.get(token, ""))

    def waiting_with_icons(self) -> list[SupportSession]:
        found = (self.sessions.get(sid) for sid in self._by_icon.values())
        return sorted(
            (s for s in found if s and s.state is SessionState.WAITING), key=lambda s: s.icon or 0
        )

    def live_icons(self) -> dict[int, set[str]]:
        """icon -> the agents whose live sessions show it (``icon_numbers.py`` keeps them
        unique among agents)."""
        live: dict[int, set[str]] = {}
        for session in self.sessions.values():
            if session.icon is not None:
                live.setdefault(session.icon, set()).add(session.agent_username)
        return live

    def _release_icon(self, session: SupportSession) -> None:
        """``session`` stops showing its icon: another waiting session of the same agent
        with that number shows it instead, if there is one."""
        if session.icon is None or self._by_icon.get(session.icon) != session.id:
            return
        del self._by_icon[session.icon]
        for other in self.sessions.values():
            if (
                other is not session
                and other.icon == session.icon
                and other.agent_username == session.agent_username
                and other.state is SessionState.WAITING
            ):
                self._by_icon[session.icon] = other.id
                return

    def _free_icon(self) -> int | None:
        for icon in range(1, MAX_ICON + 1):
            if icon not in self._by_icon:
                return icon
        return None
