"""Personal invitation links: one secret per invitee, one seat in one session (pure).

A link is ``<relay>/?invite=<secret>``: the secret is 192 random bits (``secrets``), made for
one invitee, and grants exactly one seat in the one session it was made for, once. The agent
can revoke it while it is open; the session's end closes it. A used, revoked or closed link
says which, so the customer is told what happened instead of "wrong".

Reservations mailed ahead reuse this module: they issue an invitation per invitee and hand
the link to the mailer. Nothing here does I/O; the relay stores what :meth:`to_record`
returns and restores it with :meth:`Invitations.restore`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SECRET_BYTES = 24  # 192 bits, as customer tokens (the issue asks for at least 128)
MAX_LABEL_CHARS = 80  # whom the agent made it for ("Ms Kim"): shown to the agent only
MAX_OPEN_PER_SESSION = 50  # open links per session; more is `429 too_many_invitations`


class InvitationState(StrEnum):
    OPEN = "open"
    USED = "used"
    REVOKED = "revoked"
    CLOSED = "closed"  # its session ended


class InvitationProblem(StrEnum):
    NOT_FOUND = "invitation_not_found"
    USED = "invitation_used"
    REVOKED = "invitation_revoked"
    CLOSED = "invitation_closed"
    TOO_MANY = "too_many_invitations"


_PROBLEM_OF_STATE = {
    InvitationState.USED: InvitationProblem.USED,
    InvitationState.REVOKED: InvitationProblem.REVOKED,
    InvitationState.CLOSED: InvitationProblem.CLOSED,
}

MESSAGES = {
    InvitationProblem.NOT_FOUND: "This invitation link is not valid. Check the link you got.",
    InvitationProblem.USED: "This invitation link has already been used. "
    "Ask your agent for a new one.",
    InvitationProblem.REVOKED: "This invitation link was withdrawn. Ask your agent for a new one.",
    InvitationProblem.CLOSED: "The meeting of this invitation has ended.",
    InvitationProblem.TOO_MANY: "This session has too many open invitation links; "
    "revoke some first.",
}


class InvitationError(Exception):
    def __init__(self, problem: InvitationProblem):
        super().__init__(MESSAGES[problem])
        self.problem = problem
        self.message = MESSAGES[problem]


@dataclass(slots=True)
class Invitation:
    id: str  # public handle (the agent revokes by it); opens nothing
    secret: str  # the link's secret: whoever holds it may take the seat
    session_id: str
    label: str
    created_at: float
    state: InvitationState = InvitationState.OPEN
    settled_at: float | None = None
    customer_id: str = ""  # who took the seat (used)

    def view(self) -> dict[str, Any]:
        """What the agent sees (without the secret: the link is given out once, at issue)."""
        return {
            "id": self.id,
            "label": self.label,
            "state": str(self.state),
            "created_at": self.created_at,
            "settled_at": self.settled_at,
            "customer_id": self.customer_id,
        }

    def to_record(self) -> dict[str, Any]:
        # By hand: ``dataclasses.asdict`` deep-copies each field (~0.4 ms a link in the
        # relay's loop, 50 of them in one invitation request: docs/performance.md, *Mail*).
        return {
            "id": self.id,
            "secret": self.secret,
            "session_id": self.session_id,
            "label": self.label,
            "created_at": self.created_at,
            "state": str(self.state),
            "settled_at": self.settled_at,
            "customer_id": self.customer_id,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Invitation:
        fields: dict[str, Any] = {k: record.get(k) for k in cls.__dataclass_fields__}
        fields["state"] = InvitationState(record["state"])
        fields["label"] = record.get("label") or ""
        fields["customer_id"] = record.get("customer_id") or ""
        return cls(**fields)


class Invitations:
    """Every invitation the relay knows, by secret and by session."""

    def __init__(self) -> None:
        self._by_secret: dict[str, Invitation] = {}
        self._by_session: dict[str, dict[str, Invitation]] = {}

    def issue(self, session_id: str, label: str, now: float) -> Invitation:
        """A fresh open link for one invitee of ``session_id``.

        Raises:
            InvitationError: ``too_many_invitations`` past the open links a session may hold.
        """
        mine = self._by_session.get(session_id, {})
        if sum(1 for i in mine.values() if i.state is InvitationState.OPEN) >= (
            MAX_OPEN_PER_SESSION
        ):
            raise InvitationError(InvitationProblem.TOO_MANY)
        invitation = Invitation(
            id=secrets.token_urlsafe(9),
            secret=secrets.token_urlsafe(SECRET_BYTES),
            session_id=session_id,
            label=" ".join(label.split())[:MAX_LABEL_CHARS],
            created_at=now,
        )
        self.restore(invitation)
        return invitation

    def restore(self, invitation: Invitation) -> None:
        """Add one loaded from the store (or just issued)."""
        self._by_secret[invitation.secret] = invitation
        self._by_session.setdefault(invitation.session_id, {})[invitation.id] = invitation

    def check(self, secret: str) -> Invitation:
        """The open invitation of ``secret``, without using it (O(1)).

        Raises:
            InvitationError: unknown, used, revoked or closed.
        """
        invitation = self._by_secret.get(secret)
        if invitation is None:
            raise InvitationError(InvitationProblem.NOT_FOUND)
        if invitation.state is not InvitationState.OPEN:
            raise InvitationError(_PROBLEM_OF_STATE[invitation.state])
        return invitation

    def use(self, invitation: Invitation, customer_id: str, now: float) -> None:
        """The invitee took its seat: the link opens nothing more."""
        invitation.state = InvitationState.USED
        invitation.settled_at = now
        invitation.customer_id = customer_id

    def revoke(self, session_id: str, invitation_id: str, now: float) -> Invitation:
        """The agent withdraws an open link of its session.

        Raises:
            InvitationError: ``invitation_not_found`` (not of this session), or its state.
        """
        invitation = self._by_session.get(session_id, {}).get(invitation_id)
        if invitation is None:
            raise InvitationError(InvitationProblem.NOT_FOUND)
        if invitation.state is not InvitationState.OPEN:
            raise InvitationError(_PROBLEM_OF_STATE[invitation.state])
        invitation.state = InvitationState.REVOKED
        invitation.settled_at = now
        return invitation

    def of_session(self, session_id: str) -> list[Invitation]:
        """A session's invitations, oldest first."""
        return sorted(self._by_session.get(session_id, {}).values(), key=lambda i: i.created_at)

    def close_session(self, session_id: str, now: float) -> list[Invitation]:
        """The session ended: its open links are closed. Returns those changed."""
        closed = []
        for invitation in self._by_session.get(session_id, {}).values():
            if invitation.state is InvitationState.OPEN:
                invitation.state = InvitationState.CLOSED
                invitation.settled_at = now
                closed.append(invitation)
        return closed

    def __len__(self) -> int:
        return len(self._by_secret)
