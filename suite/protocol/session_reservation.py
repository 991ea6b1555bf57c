"""``session.reservation``: the booked meeting (A11) a support session was opened for.

The relay puts it in the ``session`` object of ``welcome``, ``session_updated`` and
``customer_removed`` (null for a support made with "New support"), so the chat windows name
the meeting and its agenda without listing reservations. The agent's copy adds ``invited``
(how many invitees' links still lead in) and ``invitees`` (each one's name, address and
whether they came in: the waiting panel leads with them, since they enter by their own
links). ``ui/common/protocol.js`` mirrors the field names (``SessionReservationField``,
``InviteeState``); docs/protocol.md describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from suite.protocol.base import ErrorCode, ProtocolError

# As a booking's (relay_server/reservations/rules.py; a unit test keeps them equal).
MAX_TITLE_CHARS = 120
MAX_AGENDA_TOPICS = 20
MAX_TOPIC_CHARS = 200
MAX_INVITEES = 200  # as rules.MAX_INVITEES (a unit test keeps them equal)
MAX_INVITEE_NAME_CHARS = 80
MAX_EMAIL_CHARS = 254


class InviteeState(StrEnum):
    """Where an invitee of the opened meeting stands, as the agent's waiting panel shows it."""

    WAITING = "waiting"  # the link leads in; they have not come yet
    JOINED = "joined"  # the link took its seat
    UNDELIVERED = "undelivered"  # the invitation mail failed: they need the code


@dataclass(frozen=True, slots=True)
class SessionInvitee:
    name: str
    email: str
    state: InviteeState

    def to_body(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "state": str(self.state)}

    @classmethod
    def parse(cls, body: Any) -> SessionInvitee:
        """Read one entry of ``session.reservation.invitees``.

        Raises:
            ProtocolError: ``bad_message`` naming the field that is missing or mistyped.
        """
        if not isinstance(body, dict):
            raise _bad("each of session.reservation's 'invitees' must be an object")
        name, email, state = body.get("name"), body.get("email"), body.get("state")
        if not isinstance(name, str) or len(name) > MAX_INVITEE_NAME_CHARS:
            raise _bad(f"'name' of an invitee must be 0-{MAX_INVITEE_NAME_CHARS} chars")
        if not isinstance(email, str) or len(email) > MAX_EMAIL_CHARS:
            raise _bad(f"'email' of an invitee must be 0-{MAX_EMAIL_CHARS} chars")
        if state not in tuple(InviteeState):
            raise _bad("'state' of an invitee must be waiting, joined or undelivered")
        return cls(name, email, InviteeState(state))


@dataclass(frozen=True, slots=True)
class SessionReservation:
    id: str
    title: str
    agenda: tuple[str, ...]
    start_utc: str  # ISO 8601 with its offset ("2026-12-06T09:00:00+00:00")
    invited: int | None = None  # the agent's copy only
    invitees: tuple[SessionInvitee, ...] | None = None  # the agent's copy only

    def to_body(self) -> dict[str, Any]:
        """The JSON object; ``invited`` and ``invitees`` only when set (the agent's copy)."""
        body: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "agenda": list(self.agenda),
            "start_utc": self.start_utc,
        }
        if self.invited is not None:
            body["invited"] = self.invited
        if self.invitees is not None:
            body["invitees"] = [invitee.to_body() for invitee in self.invitees]
        return body

    def for_customer(self) -> SessionReservation:
        """The customer's copy: without ``invited`` and ``invitees``."""
        return SessionReservation(self.id, self.title, self.agenda, self.start_utc)

    @classmethod
    def parse(cls, body: Any) -> SessionReservation:
        """Read ``session.reservation`` (a client's side).

        Raises:
            ProtocolError: ``bad_message`` naming the field that is missing or mistyped.
        """
        if not isinstance(body, dict):
            raise _bad("'reservation' of session must be an object")
        for name in ("id", "title", "start_utc"):
            if not isinstance(body.get(name), str):
                raise _bad(f"session.reservation requires a text '{name}'")
        if len(body["title"]) > MAX_TITLE_CHARS:
            raise _bad(f"'title' of session.reservation must be 0-{MAX_TITLE_CHARS} chars")
        agenda = body.get("agenda")
        if (
            not isinstance(agenda, list)
            or len(agenda) > MAX_AGENDA_TOPICS
            or not all(isinstance(t, str) and len(t) <= MAX_TOPIC_CHARS for t in agenda)
        ):
            raise _bad(
                f"'agenda' of session.reservation must be at most {MAX_AGENDA_TOPICS} texts"
                f" of at most {MAX_TOPIC_CHARS} chars"
            )
        invited = body.get("invited")
        if invited is not None and (isinstance(invited, bool) or not isinstance(invited, int)):
            raise _bad("'invited' of session.reservation must be a whole number")
        invitees = body.get("invitees")
        if invitees is not None and (
            not isinstance(invitees, list) or len(invitees) > MAX_INVITEES
        ):
            raise _bad(f"'invitees' of session.reservation must be at most {MAX_INVITEES} objects")
        listed = None if invitees is None else tuple(SessionInvitee.parse(i) for i in invitees)
        return cls(body["id"], body["title"], tuple(agenda), body["start_utc"], invited, listed)


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SessionReservation))


def _bad(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_MESSAGE, message)
