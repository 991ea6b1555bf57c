"""Knocks: customers asking to join a waiting session, admitted by its agent (pure).

A customer knocks by picking the agent's icon (always: an icon number is public), or by typing
a correct code while the relay is in admission mode (``join_guard``). A knock is a small
state machine::

    pending ──admit──► admitted
       ├──refuse─────► refused   (reason: "agent", "session_taken", "session_ended")
       ├──timeout────► expired   (the agent did not answer in KNOCK_TIMEOUT_S)
       └──withdraw───► withdrawn (the customer left, or knocked again from the same place)

Limits: a session holds at most ``MAX_ICON_KNOCKS`` pending icon knocks (a flood cannot bury
the real customer under a list nobody can read; the agent may refuse all) and one pending code
knock (only its code's holder can make it). A second knock on a session from the same address
replaces the first. Settled knocks are remembered ``REMEMBER_SETTLED_S`` so the customer's page
can read the outcome, and at most ``MAX_SETTLED`` of them.

Each knock has a public ``id`` (what the agent's page sees and answers) and a ``secret`` (the
customer's page polls with it; whoever holds it gets the customer token once admitted).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

KNOCK_TIMEOUT_S = 300.0
MAX_ICON_KNOCKS = 5
REMEMBER_SETTLED_S = 600.0
MAX_SETTLED = 10_000


class KnockState(StrEnum):
    PENDING = "pending"
    ADMITTED = "admitted"
    REFUSED = "refused"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class KnockVia(StrEnum):
    CODE = "code"
    ICON = "icon"


class RefusedBecause(StrEnum):
    AGENT = "agent"
    SESSION_TAKEN = "session_taken"
    SESSION_ENDED = "session_ended"


class KnockError(Exception):
    """A knock that cannot be made or answered; ``problem`` is the error code on the wire."""

    def __init__(self, problem: str, message: str):
        super().__init__(message)
        self.problem = problem
        self.message = message


@dataclass(slots=True)
class Knock:
    id: str
    secret: str
    session_id: str
    name: str
    via: KnockVia
    address: str
    knocked_at: float
    expires_at: float
    state: KnockState = KnockState.PENDING
    settled_at: float | None = None
    reason: RefusedBecause | None = None
    customer_token: str | None = None  # set by the relay when admitted

    def for_agent(self) -> dict[str, Any]:
        """One entry of ``knocks_changed``."""
        return {
            "id": self.id,
            "name": self.name,
            "via": str(self.via),
            "knocked_at": self.knocked_at,
            "expires_at": self.expires_at,
        }

    def for_customer(self) -> dict[str, Any]:
        """The ``knock`` object of ``GET /api/knocks/<secret>``."""
        view: dict[str, Any] = {
            "state": str(self.state),
            "via": str(self.via),
            "knocked_at": self.knocked_at,
            "expires_at": self.expires_at,
        }
        if self.reason is not None:
            view["reason"] = str(self.reason)
        return view


class Knocks:
    """Every live knock: pending ones per session, settled ones for a while by secret."""

    def __init__(self) -> None:
        self._by_secret: dict[str, Knock] = {}
        self._pending: dict[str, dict[str, Knock]] = {}  # session id -> knock id -> knock
        self._settled: OrderedDict[str, float] = OrderedDict()  # secret -> settled_at

    def knock(
        self, session_id: str, name: str, via: KnockVia, address: str, now: float
    ) -> tuple[Knock, Knock | None]:
        """Add a pending knock; returns it and the knock it replaced (withdrawn), if any.

        Raises:
            KnockError: ``too_many_knocks`` when the session already holds its icon knocks.
        """
        pending = self._pending.get(session_id, {})
        # The same person again (same address), or the code's holder again (one code knock).
        replaced = next(
            (
                k
                for k in pending.values()
                if k.address == address or (via is KnockVia.CODE and k.via is KnockVia.CODE)
            ),
            None,
        )
        if replaced is None and via is KnockVia.ICON:
            icons = sum(1 for k in pending.values() if k.via is KnockVia.ICON)
            if icons >= MAX_ICON_KNOCKS:
                raise KnockError(
                    "too_many_knocks",
                    "several people are already asking to join this agent; "
                    "try again in a minute, or ask your agent for an access code",
                )
        if replaced is not None:
            self._settle(replaced, KnockState.WITHDRAWN, now)
        knock = Knock(
            id=secrets.token_urlsafe(9),
            secret=secrets.token_urlsafe(24),
            session_id=session_id,
            name=name,
            via=via,
            address=address,
            knocked_at=now,
            expires_at=now + KNOCK_TIMEOUT_S,
        )
        self._by_secret[knock.secret] = knock
        self._pending.setdefault(session_id, {})[knock.id] = knock
        return knock, replaced

    def by_secret(self, secret: str) -> Knock | None:
        return self._by_secret.get(secret)

    def pending(self, session_id: str) -> list[Knock]:
        """The session's pending knocks, oldest first."""
        return list(self._pending.get(session_id, {}).values())

    def find_pending(self, session_id: str, knock_id: str) -> Knock:
        """Raises KnockError ``knock_not_found`` unless the session has that pending knock."""
        knock = self._pending.get(session_id, {}).get(knock_id)
        if knock is None:
            raise KnockError("knock_not_found", "that customer is no longer asking to join")
        return knock

    def admit(
        self, knock: Knock, customer_token: str, now: float, refuse_others: bool = True
    ) -> list[Knock]:
        """Admit ``knock``; with ``refuse_others`` (the session is full now) every other
        pending knock on its session is refused as taken.

        Returns the knocks refused on the way.
        """
        knock.customer_token = customer_token
        self._settle(knock, KnockState.ADMITTED, now)
        if not refuse_others:
            return []
        return self.refuse_all(knock.session_id, RefusedBecause.SESSION_TAKEN, now)

    def refuse(self, knock: Knock, reason: RefusedBecause, now: float) -> None:
        knock.reason = reason
        self._settle(knock, KnockState.REFUSED, now)

    def refuse_all(self, session_id: str, reason: RefusedBecause, now: float) -> list[Knock]:
        refused = self.pending(session_id)
        for knock in refused:
            self.refuse(knock, reason, now)
        return refused

    def withdraw(self, knock: Knock, now: float) -> bool:
        """The customer gave up; False when the knock was already settled."""
        if knock.state is not KnockState.PENDING:
            return False
        self._settle(knock, KnockState.WITHDRAWN, now)
        return True

    def expire(self, now: float) -> list[Knock]:
        """Expire pending knocks past their time and forget old settled ones.

        Returns the knocks expired now. O(pending knocks): at most MAX_ICON_KNOCKS + 1 per
        waiting session.
        """
        expired = [
            k for by_id in self._pending.values() for k in by_id.values() if k.expires_at <= now
        ]
        for knock in expired:
            self._settle(knock, KnockState.EXPIRED, now)
        while self._settled:
            secret, settled_at = next(iter(self._settled.items()))
            if settled_at > now - REMEMBER_SETTLED_S and len(self._settled) <= MAX_SETTLED:
                break
            self._settled.popitem(last=False)
            self._by_secret.pop(secret, None)
        return expired

    def _settle(self, knock: Knock, state: KnockState, now: float) -> None:
        knock.state = state
        knock.settled_at = now
        by_id = self._pending.get(knock.session_id)
        if by_id is not None:
            by_id.pop(knock.id, None)
            if not by_id:
                del self._pending[knock.session_id]
        self._settled[knock.secret] = now

    def __len__(self) -> int:
        return len(self._by_secret)
