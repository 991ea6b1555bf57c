"""``session.reservation``: the booked meeting (A11) a support session was opened for.

The relay puts it in the ``session`` object of ``welcome``, ``session_updated`` and
``customer_removed`` (null for a support made with "New support"), so the chat windows name
the meeting and its agenda without listing reservations. The agent's copy adds ``invited``
(how many invitees' links still lead in). ``ui/common/protocol.js`` mirrors the field names
(``SessionReservationField``); docs/protocol.md describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from suite.protocol.base import ErrorCode, ProtocolError

# As a booking's (relay_server/reservations/rules.py; a unit test keeps them equal).
MAX_TITLE_CHARS = 120
MAX_AGENDA_TOPICS = 20
MAX_TOPIC_CHARS = 200


@dataclass(frozen=True, slots=True)
class SessionReservation:
    id: str
    title: str
    agenda: tuple[str, ...]
    start_utc: str  # ISO 8601 with its offset ("2026-12-06T09:00:00+00:00")
    invited: int | None = None  # the agent's copy only

    def to_body(self) -> dict[str, Any]:
        """The JSON object; ``invited`` only when set (the agent's copy)."""
        body: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "agenda": list(self.agenda),
            "start_utc": self.start_utc,
        }
        if self.invited is not None:
            body["invited"] = self.invited
        return body

    def for_customer(self) -> SessionReservation:
        """The customer's copy: without ``invited``."""
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
        return cls(body["id"], body["title"], tuple(agenda), body["start_utc"], invited)


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SessionReservation))


def _bad(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_MESSAGE, message)
