"""Admission: customers who knock (by icon, or by code in admission mode) and the agent's
answers (pure, like the Relay).

:class:`Admission` sits between :class:`relay_server.sessions.session_files.SessionFiles` and
:class:`relay_server.sessions.relay.Relay`: the knocks' state machine is ``knocks.py``; here a
knock is made from a join, read and withdrawn by the customer's page, answered by the agent's
chat socket, and the agent is told the pending list. The Relay defines what is declared here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from relay_server.errors import Refused
from relay_server.sessions.knocks import (
    Knock,
    KnockError,
    KnockState,
    KnockVia,
    RefusedBecause,
)
from relay_server.sessions.session_files import SessionFiles
from relay_server.sessions.supports import JoinError, SupportSession
from suite.protocol import (
    ErrorCode,
    KnocksChanged,
    ProtocolError,
    RefuseAllKnocks,
    RefuseKnock,
    Role,
    SessionUpdated,
)

logger = logging.getLogger(__name__)


class Admission(SessionFiles):
    """Knocks and the agent's Admit / Refuse / Refuse all; the Relay's base."""

    # Told the secret of every knock that settles (the HTTP layer wakes its long polls).
    knock_settled: Callable[[str], None]

    def _knock(
        self, session: SupportSession, name: str, via: KnockVia, ip: str, now: float
    ) -> dict[str, Any]:
        try:
            knock, replaced = self.knocks.knock(session.id, name, via, ip, now)
        except KnockError as error:
            raise Refused(error.problem, error.message, 60.0) from None
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
            raise Refused("knock_not_found", "this request to join is unknown; join again")
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
            raise Refused("knock_not_found", "this request to join is unknown")
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
            customer = self.directory.admit(
                session, knock.name, now, str(knock.via), self.options.customers_per_session
            )
        except JoinError:  # ended, or full: its knocks should be gone already
            self.knocks.refuse(knock, RefusedBecause.SESSION_TAKEN, now)
            self._settle_knocks([knock], session)
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "the session has no free seat", str(message.type)
            ) from None
        customer.since_id = self._chat(session.id).last_id
        full = len(session.customers) >= self.options.customers_per_session
        refused = self.knocks.admit(knock, customer.token, now, refuse_others=full)
        self._persist(session)
        self.wait_durable()  # the customer token must survive a restart before it is handed out
        for settled in (knock, *refused):
            self.knock_settled(settled.secret)
        self._tell_knocks(session.id)  # without the admitted one
        self._tell_agent(session, SessionUpdated)
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
        return KnocksChanged(
            knocks=[k.for_agent() for k in self.knocks.pending(session_id)]
        ).to_frame()
