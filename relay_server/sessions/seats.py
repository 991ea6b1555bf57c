"""Seats and links: who sits in a session besides the agent (pure, like the Relay).

:class:`Seats` is the half of :class:`relay_server.sessions.relay.Relay` that seats customers
(several per session), removes one alone or lets one leave while the others stay, and wires the
personal invitation links (issue, list, revoke, use: ``relay_server.sessions.invitations``).
The Relay inherits it; the chat sockets (``chat_sockets.py``) are its own base.
"""

from __future__ import annotations

import logging
from typing import Any

from relay_server.accounts.registry import Principal
from relay_server.errors import Refused
from relay_server.sessions.chat_sockets import REMOVED_REASON, ChatSockets
from relay_server.sessions.invitations import Invitation, InvitationError, Invitations
from relay_server.sessions.knocks import Knocks, RefusedBecause
from relay_server.sessions.supports import Customer, JoinError, SupportSession
from relay_server.store import Store
from suite.protocol import (
    MAX_NAME_CHARS,
    CloseCode,
    CustomerRemoved,
    ErrorCode,
    ParticipantLeft,
    ProtocolError,
    RemoveCustomer,
    Role,
    SessionEnded,
    SessionUpdated,
)

logger = logging.getLogger(__name__)

INVITATIONS = "invitations"

JOIN_MESSAGES = {
    "icon_not_found": "That agent is no longer waiting.",
    "session_taken": "Another customer has just joined that agent.",
    "session_full": "This session is full. Ask your agent to make room.",
}


class Seats(ChatSockets):
    """Customers' seats and personal links; Relay's base (it defines what is declared here)."""

    store: Store
    knocks: Knocks
    invitations: Invitations
    _invitation_doc_ids: dict[str, int]

    # Relay's own methods this class calls (listed so the contract is typed).
    def _settle_knocks(self, settled: list[Any], session: SupportSession) -> None:
        raise NotImplementedError

    def drop_files(self, session_id: str) -> None:
        raise NotImplementedError

    def ensure_owned(self, session_id: str) -> bool:
        raise NotImplementedError

    def _load_invitations(self) -> None:
        """Personal invitation links: kept in the store (a link mailed ahead outlives a
        restart)."""
        self.invitations = Invitations()
        self._invitation_doc_ids = {}
        for doc in self.store.all(INVITATIONS):
            invitation = Invitation.from_record(doc)
            self.invitations.restore(invitation)
            self._invitation_doc_ids[invitation.id] = doc.doc_id

    def invitations_changed(self, doc_ids: list[int] | None) -> None:
        """Several nodes: another node issued, used, revoked or closed these links (the store
        has read the rows again; all for ``None``): this node's index follows, so a link
        issued there opens here, and a session taken over here keeps its links' states."""
        if doc_ids is None:
            self._load_invitations()
            return
        for doc_id in doc_ids:
            doc = self.store.get(INVITATIONS, doc_id)
            if doc is not None:
                invitation = Invitation.from_record(doc)
                self.invitations.restore(invitation)
                self._invitation_doc_ids[invitation.id] = doc_id

    # -- personal invitation links -----------------------------------------------------------

    def invite(
        self, principal: Principal, session_id: str, label: Any, now: float, wait: bool = True
    ) -> dict[str, Any]:
        """A personal invitation link for one invitee (one seat in this session, once).

        Args:
            wait: False when the caller makes the link durable itself before it hands it out
                (the invitation mails: one commit for a request's links and mails).

        Returns:
            ``{invitation: {...}, url}``: the link is shown once; the secret is not kept in
            any answer after this one.
        """
        session = self._owned_live(principal, session_id)
        if label is not None and not isinstance(label, str):
            raise Refused("bad_request", "'label' must be text")
        try:
            invitation = self.invitations.issue(session.id, label or "", now)
        except InvitationError as error:
            raise Refused(str(error.problem), error.message) from None
        self._store_invitation(invitation)
        if wait:
            self.wait_durable()  # the link must survive a restart before it is handed out
        relay_url = session.relay_url or (self.options.public_url or "").rstrip("/")
        return {"invitation": invitation.view(), "url": f"{relay_url}/?invite={invitation.secret}"}

    def list_invitations(self, principal: Principal, session_id: str) -> dict[str, Any]:
        session = self._owned_live(principal, session_id)
        return {"invitations": [i.view() for i in self.invitations.of_session(session.id)]}

    def revoke_invitation(
        self, principal: Principal, session_id: str, invitation_id: str, now: float
    ) -> dict[str, Any]:
        session = self._owned_live(principal, session_id)
        try:
            invitation = self.invitations.revoke(session.id, invitation_id, now)
        except InvitationError as error:
            raise Refused(str(error.problem), error.message) from None
        self._store_invitation(invitation)
        self.wait_durable()
        return {"invitation": invitation.view()}

    def close_undelivered_link(self, session_id: str, invitation_id: str, now: float) -> bool:
        """The mail carrying this personal link will never arrive: the link, if still open, is
        revoked (nobody should hold a seat nobody was told about). True when it was closed;
        the agent sees it in the mail's state (``link.state``: ``revoked``)."""
        try:
            invitation = self.invitations.revoke(session_id, invitation_id, now)
        except InvitationError:
            return False  # used, revoked or closed already, or its session is gone
        self._store_invitation(invitation)
        return True

    def _owned_live(self, principal: Principal, session_id: str) -> SupportSession:
        session = self.directory.sessions.get(session_id)
        if session is None or session.agent_username != principal.username:
            raise Refused("session_not_found", "no such live support session")
        return session

    def _store_invitation(self, invitation: Invitation) -> None:
        doc_id = self._invitation_doc_ids.get(invitation.id)
        if doc_id is None:
            self._invitation_doc_ids[invitation.id] = self.store.insert(
                INVITATIONS, invitation.to_record()
            )
        else:
            self.store.update(INVITATIONS, doc_id, invitation.to_record())

    def join_invited(self, secret: str, name: str, now: float) -> dict[str, Any]:
        """The holder of a personal link takes its seat: once; no knock (the secret is the
        proof, 192 bits).

        Raises:
            Refused: ``invitation_not_found|used|revoked|closed``, ``session_full``.
        """
        name = " ".join(name.split())[:MAX_NAME_CHARS]
        try:
            invitation = self.invitations.check(secret)
        except InvitationError as error:
            raise Refused(str(error.problem), error.message) from None
        session = self.directory.sessions.get(invitation.session_id)
        if session is None and self.ensure_owned(invitation.session_id):
            session = self.directory.sessions.get(invitation.session_id)  # its node died
        if session is None:
            raise Refused("invitation_closed", "The meeting of this invitation has ended.")
        try:
            customer = self.directory.join_invited(
                session, name, now, self.options.customers_per_session
            )
        except JoinError as error:
            raise Refused(str(error.problem), JOIN_MESSAGES[str(error.problem)]) from None
        self.invitations.use(invitation, customer.id, now)
        self._store_invitation(invitation)
        return self._joined(session, customer, now)

    def _joined(
        self, session: SupportSession, customer: Customer, now: float, since_id: int | None = None
    ) -> dict[str, Any]:
        """A customer is in: store, tell the agent; at the cap, refuse whoever else knocked.

        The customer sees the chat after ``since_id`` (default: from now on; a reservation's
        invitee from the meeting's start, where its materials are).
        """
        customer.since_id = self._chat(session.id).last_id if since_id is None else since_id
        self._persist(session)
        self.wait_durable()
        if len(session.customers) >= self.options.customers_per_session:
            refused = self.knocks.refuse_all(session.id, RefusedBecause.SESSION_TAKEN, now)
            self._settle_knocks(refused, session)
        self._tell_agent(session, SessionUpdated)
        logger.info("customer joined session %s", session.id, extra={"session_id": session.id})
        return {
            "status": "joined",
            "session_id": session.id,
            "customer_token": customer.token,
            "participant_id": customer.id,
            "agent": session.public(False)["agent"],
        }

    def _remove_customer(self, session: SupportSession, participant: str, now: float) -> None:
        """Retire one customer's token: every socket of it closes (4004) before this yields;
        the other customers go on.

        Everything in memory happens first and at once, so no frame of the old customer is
        handled, and nothing is sent to it, while the store syncs.
        """
        removed = self.directory.remove_customer(
            session, participant, now, self.options.code_lifetime_s
        )
        if removed is None:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "no customer to remove", str(RemoveCustomer.type)
            )
        self._close_customer(
            session.id, removed.id, CloseCode.REMOVED, REMOVED_REASON, removed.name, False
        )
        self.calls.remove_participant(session.id, removed.id, now)  # after: it hears nothing
        if not session.customers:
            self.screens.clear_control(session.id)  # a removed customer controls nothing (P3)
            self.drop_files(session.id)  # the next customer must not get this one's files
            self._chat(session.id).read_up_to[str(Role.CUSTOMER)] = 0
        self._persist(session)
        self.wait_durable()
        room = self.rooms.find(session.id)
        agent = room.get(Role.AGENT) if room else None
        if agent is not None:
            view = self.session_view(session, True)
            agent.send(CustomerRemoved(session=view, participant_id=removed.id).to_frame())

    def _customer_leaves(self, session: SupportSession, participant: str, now: float) -> None:
        """A customer ends while others stay: that customer alone gets the end screen
        (``session_ended``, then its sockets close with 4000); the others see it leave."""
        customer = session.customer(participant)
        if customer is None:
            return
        summary = {**session.end_summary(), "ended_at": now, "ended_by": "customer"}
        summary["customer_name"] = customer.name
        summary["duration_s"] = round(max(0.0, now - summary["started_at"]), 3)
        for socket in self.sockets_of(session.id, participant):
            socket.send(SessionEnded(**summary).to_frame())
        self.directory.remove_customer(session, participant, now, self.options.code_lifetime_s)
        session.departed[-1]["removed"] = False  # left by itself
        self._close_customer(
            session.id, participant, CloseCode.SESSION_ENDED, "you left the session", customer.name
        )
        self.calls.remove_participant(session.id, participant, now)  # out of the call (CH9)
        self._persist(session)
        self.wait_durable()
        self._tell_agent(session, SessionUpdated)
        logger.info("a customer left the session", extra={"session_id": session.id})

    def _close_customer(
        self,
        session_id: str,
        customer_id: str,
        code: int,
        reason: str,
        name: str = "",
        tell_agent: bool = True,
    ) -> None:
        """Close every socket of one customer token: its chat socket and all its viewers,
        then tell everyone else that this customer is gone for good.

        Each is unseated first (its viewer slot, grant and request freed), then closed.
        """
        room = self.rooms.find(session_id)
        chat = room.seat(customer_id) if room else None
        if chat is not None:
            self.rooms.leave(chat)
            chat.close(code, reason)
        closed = self.screens.retire_customer(session_id, customer_id, code, reason)
        left = ParticipantLeft(str(Role.CUSTOMER), name, customer_id, removed=True)
        # The agent who removed the customer is told by customer_removed instead.
        self._to_chat(
            session_id, left.to_frame(), None if tell_agent else self._agent_chat(session_id)
        )
        logger.info(
            "customer token retired: %d viewer sockets closed",
            closed,
            extra={"session_id": session_id},
        )
