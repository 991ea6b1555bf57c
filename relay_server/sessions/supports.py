"""Support sessions and the directory that finds them by code, icon or token (pure).

A support session is what an agent opens with "new support": ``waiting`` while its access
code is live, ``active`` once a customer joined, ``ended`` at the end. Nothing here does I/O;
the relay persists what these objects return.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from relay_server.sessions.access_codes import AccessCodes, CodeError, CodeProblem
from relay_server.sessions.shown_icons import ShownIcons

MAX_ICON = 99
MAX_RETIRED_CUSTOMERS = 32  # per session: their tokens are refused with "removed" (4004)
CUSTOMER_ID_CHARS = 12
DEFAULT_CUSTOMERS_PER_SESSION = 10  # seats per session (relay option --customers-per-session)
AGENT_PARTICIPANT_ID = "agent"  # the agent's participant id; customers' are their customer_id
AGENT_COLOR = "#1f4e8c"
# One colour per customer seat, in join order (a removed customer's colour is free again):
# each reads on white and on the dark theme as a name chip's border and dot.
CUSTOMER_COLORS = (
    "#c2410c", "#15803d", "#7c3aed", "#be185d", "#0e7490",
    "#a16207", "#4d7c0f", "#b91c1c", "#4338ca", "#0f766e",
)  # fmt: skip
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
    SESSION_FULL = "session_full"


class JoinError(Exception):
    def __init__(self, problem: JoinProblem | CodeProblem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(slots=True)
class Customer:
    """One customer's seat in a session: its own token, name and colour (several per session)."""

    token: str
    name: str
    color: str
    via: str  # how it joined: "code", "icon", "invitation"
    joined_at: float
    since_id: int = 0  # this customer sees chat after this id (what was said before it joined)

    @property
    def id(self) -> str:
        """The public participant id (``customer_id`` of the token)."""
        return customer_id(self.token)

    def participant(self, online: bool) -> dict[str, Any]:
        """Its entry in the protocol's roster (``session.participants``)."""
        return {
            "participant_id": self.id,
            "role": "customer",
            "name": self.name,
            "color": self.color,
            "online": online,
        }

    def record(self, left_at: float | None, removed: bool) -> dict[str, Any]:
        """Its entry in the session record's ``participants`` (history)."""
        return {
            "participant_id": self.id,
            "role": "customer",
            "name": self.name,
            "color": self.color,
            "via": self.via,
            "joined_at": self.joined_at,
            "left_at": left_at,
            "removed": removed,
        }


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
    customers: list[Customer] = field(default_factory=list)  # seated now, in join order
    # Customers who left their seat (removed), as record entries, for the session record.
    departed: list[dict[str, Any]] = field(default_factory=list)
    started_at: float | None = None
    ended_at: float | None = None
    ended_by: str | None = None
    relay_url: str = ""  # the address the agent used: where invitations point
    # customer_id() of the tokens of removed customers, newest last (refused with 4004)
    retired_customers: list[str] = field(default_factory=list)
    # The participant ids whose chat socket has said hello in this session (seated ones only):
    # a later hello of the same participant is a reconnect ("is back"), after a restart too.
    joined_roles: list[str] = field(default_factory=list)

    @property
    def customer_name(self) -> str:
        """The seated customers' names, in join order ("" while nobody has joined)."""
        return ", ".join(c.name or "Customer" for c in self.customers)

    @property
    def customer_token(self) -> str | None:
        """The first seated customer's token (a one-customer session's only one), or None."""
        return self.customers[0].token if self.customers else None

    def customer(self, participant_id: str) -> Customer | None:
        """The seated customer with this participant id, or None."""
        return next((c for c in self.customers if c.id == participant_id), None)

    def free_color(self) -> str:
        taken = {c.color for c in self.customers}
        return next((c for c in CUSTOMER_COLORS if c not in taken), CUSTOMER_COLORS[0])

    def participants(self, online: set[str] | frozenset[str] = frozenset()) -> list[dict]:
        """The roster (protocol ``session.participants``): agent first, then customers."""
        agent = {
            "participant_id": AGENT_PARTICIPANT_ID,
            "role": "agent",
            "name": self.agent.get("name", self.agent_username),
            "color": AGENT_COLOR,
            "online": AGENT_PARTICIPANT_ID in online,
        }
        return [agent, *(c.participant(c.id in online) for c in self.customers)]

    def participant_records(self) -> list[dict[str, Any]]:
        """Every participant with join and leave times, for the session record (history)."""
        agent = {
            "participant_id": AGENT_PARTICIPANT_ID,
            "role": "agent",
            "name": self.agent.get("name", self.agent_username),
            "color": AGENT_COLOR,
            "via": "agent",
            "joined_at": self.created_at,
            "left_at": self.ended_at,
            "removed": False,
        }
        seated = [c.record(self.ended_at, False) for c in self.customers]
        return sorted([agent, *self.departed, *seated], key=lambda p: p["joined_at"])

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
        fields["customers"] = [Customer(**c) for c in record.get("customers") or []]
        fields["departed"] = list(record.get("departed") or [])
        fields["relay_url"] = record.get("relay_url") or ""
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
            "participants": self.participants(),
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
    _shown: ShownIcons = field(default_factory=ShownIcons)
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
        self._shown.add(session)
        if session.icon is not None:
            self._by_icon[session.icon] = session.id
        self.new_code(session, now, code_lifetime_s)
        return session

    def restore(self, session: SupportSession) -> None:
        """Add a live session loaded from the store after a restart."""
        self.sessions[session.id] = session
        self._shown.add(session)
        if session.icon is not None and session.state is SessionState.WAITING:
            self._by_icon[session.icon] = session.id
        if session.code and session.code_expires_at:
            self.codes.restore(session.code, session.id, session.code_expires_at)
        for customer in session.customers:
            self._by_customer_token[customer.token] = session.id

    def new_code(self, session: SupportSession, now: float, lifetime_s: float) -> None:
        if session.code:
            self.codes.revoke(session.code, now)
        session.code = self.codes.issue(session.id, now, lifetime_s)
        session.code_expires_at = now + lifetime_s

    def session_by_code(self, code: str, now: float) -> SupportSession:
        """The live session of ``code`` (waiting, or active after "Invite another"), without
        using the code (O(1)).

        Raises:
            CodeError: wrong, used or expired.
        """
        session = self.sessions.get(self.codes.check(code, now))
        if session is None or session.state is SessionState.ENDED:
            raise CodeError(CodeProblem.USED)
        return session

    def join_by_code(
        self, code: str, customer_name: str, now: float, seats: int = DEFAULT_CUSTOMERS_PER_SESSION
    ) -> Customer:
        """Raises CodeError (wrong / used / expired), JoinError (``session_full``)."""
        session = self.session_by_code(code, now)
        self._require_seat(session, seats)
        self.codes.redeem(code, now)
        return self._join(session, customer_name, now, "code")

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

    def admit(
        self,
        session: SupportSession,
        customer_name: str,
        now: float,
        via: str = "icon",
        seats: int = DEFAULT_CUSTOMERS_PER_SESSION,
    ) -> Customer:
        """Let a knocking customer in (the agent clicked Admit): its code is used up.

        Raises:
            JoinError: ``session_taken`` when the session ended, ``session_full`` at the cap.
        """
        if session.state is SessionState.ENDED or session.id not in self.sessions:
            raise JoinError(JoinProblem.SESSION_TAKEN)
        self._require_seat(session, seats)
        return self._join(session, customer_name, now, via)

    def join_by_icon(self, icon: int, customer_name: str, now: float) -> Customer:
        """Join by icon at once: only after the agent admitted (see :meth:`admit`)."""
        return self.admit(self.session_by_icon(icon), customer_name, now)

    def join_invited(
        self,
        session: SupportSession,
        customer_name: str,
        now: float,
        seats: int = DEFAULT_CUSTOMERS_PER_SESSION,
    ) -> Customer:
        """Seat the holder of a personal invitation (the caller has used the invitation up).

        Raises:
            JoinError: ``session_taken`` when the session ended, ``session_full`` at the cap.
        """
        if session.state is SessionState.ENDED or session.id not in self.sessions:
            raise JoinError(JoinProblem.SESSION_TAKEN)
        self._require_seat(session, seats)
        return self._join(session, customer_name, now, "invitation", keep_code=True)

    @staticmethod
    def _require_seat(session: SupportSession, seats: int) -> None:
        if len(session.customers) >= seats:
            raise JoinError(JoinProblem.SESSION_FULL)

    def _join(
        self,
        session: SupportSession,
        customer_name: str,
        now: float,
        via: str,
        keep_code: bool = False,
    ) -> Customer:
        """Seat one customer with a fresh token. The code it came with is used up (an
        invitation leaves the session's code alone), and the icon leaves the list."""
        if session.code and not keep_code:
            self.codes.revoke(session.code, now, CodeProblem.USED)
            session.code = None
            session.code_expires_at = None
        customer = Customer(
            token=secrets.token_urlsafe(24),
            name=customer_name,
            color=session.free_color(),
            via=via,
            joined_at=now,
        )
        session.customers.append(customer)
        session.state = SessionState.ACTIVE
        session.started_at = session.started_at or now
        self._release_icon(session)
        self._by_customer_token[customer.token] = session.id
        return customer

    def remove_customer(
        self, session: SupportSession, participant_id: str, now: float, code_lifetime_s: float
    ) -> Customer | None:
        """Unseat one customer: its token stops working for good. The last one leaving puts
        the session back to waiting with a fresh code and its icon. Returns who left (None
        when nobody of that id was seated)."""
        customer = session.customer(participant_id)
        if customer is None:
            return None
        session.customers.remove(customer)
        self._by_customer_token.pop(customer.token, None)
        retired = [*session.retired_customers, customer.id]
        session.retired_customers = retired[-MAX_RETIRED_CUSTOMERS:]
        session.departed.append(customer.record(now, True))
        if participant_id in session.joined_roles:  # a later seat of the same id joins anew
            session.joined_roles.remove(participant_id)
        if session.customers:
            return customer
        session.state = SessionState.WAITING
        shown_by = self.sessions.get(self._by_icon.get(session.icon or 0, ""))
        if session.icon is None or (
            shown_by is not None and shown_by.agent_username != session.agent_username
        ):
            self._shown.remove(session)
            session.icon = self._free_icon()
            self._shown.add(session)
        if session.icon is not None:
            self._by_icon[session.icon] = session.id
        self.new_code(session, now, code_lifetime_s)
        return customer

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
        self._shown.remove(session)
        for customer in session.customers:
            self._by_customer_token.pop(customer.token, None)
        self.sessions.pop(session.id, None)

    def forget(self, session_id: str) -> SupportSession | None:
        """Drop a live session from this node without ending it: another node took it over
        (this one stalled past its lease). Its code stays claimed in the hub for the new
        owner: a join by it here is sent there."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return None
        self._shown.remove(session)
        if session.icon is not None and self._by_icon.get(session.icon) == session.id:
            self._by_icon.pop(session.icon)
        for customer in session.customers:
            self._by_customer_token.pop(customer.token, None)
        return session

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

    def live_icons(self) -> Mapping[int, Counter[str]]:
        """icon -> the agents whose live sessions show it (``icon_numbers.py`` keeps them
        unique among agents); a read-only view kept as sessions come and go."""
        return self._shown.agents()

    def _release_icon(self, session: SupportSession) -> None:
        """``session`` stops showing its icon: another waiting session of the same agent
        with that number shows it instead, if there is one."""
        if session.icon is None or self._by_icon.get(session.icon) != session.id:
            return
        del self._by_icon[session.icon]
        for other in self._shown.sessions_showing(session.icon):
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
