"""The invitees' side of reservations: what a personal meeting link shows, and its seat.

An invitee's link (``<relay>/?meet=<secret>``, service.py's :func:`meeting_url`) opens a page
that asks :meth:`MeetingLinks.meeting` what to show (the agent, the meeting, the link's state),
long-polls while :meth:`MeetingLinks.waiting` names a reservation to wait on, and enters with
:meth:`MeetingLinks.join_meeting` once the agent has opened the meeting: one seat, no code, no
knock. Every refusal says what happened to the link (early, missed, over, cancelled, used,
withdrawn).
"""

from __future__ import annotations

from typing import Any

from relay_server.errors import Refused
from relay_server.reservations import rules
from relay_server.reservations.service import Reservations
from relay_server.sessions.seats import JOIN_MESSAGES
from relay_server.sessions.supports import JoinError

_LINK_REFUSALS = {
    rules.LinkState.EARLY: ("meeting_not_open", "The meeting has not started yet."),
    rules.LinkState.WAITING: ("meeting_not_open", "The agent has not opened the meeting yet."),
    rules.LinkState.LATE: ("meeting_missed", "This meeting's time has passed."),
    rules.LinkState.OVER: ("meeting_over", "This meeting has ended."),
    rules.LinkState.CANCELLED: ("meeting_cancelled", "This meeting was cancelled."),
    rules.LinkState.USED: ("meeting_link_used", "This invitation link has already been used."),
    rules.LinkState.REVOKED: ("meeting_link_revoked", "This invitation was withdrawn."),
}


# What the invitee's page shows of the agent (GET /api/meetings/<secret>).
MEETING_AGENT_FIELDS = ("name", "title", "company", "photo_url", "email", "phone")


class MeetingLinks:
    """The invitees' links into ``reservations``: read-only but for the seat they take."""

    def __init__(self, reservations: Reservations):
        self.reservations = reservations
        self.relay = reservations.relay

    def meeting(self, secret: str, now: float) -> dict[str, Any]:
        """What an invitee's page shows: the agent, the meeting and the link's state."""
        reservation, invitee = self.reservations.by_secret(secret)
        account = self.relay.accounts.get(reservation.agent_id)
        agent = self.relay.profile(account) if account else {"name": reservation.agent_id}
        opens_at, closes_at = rules.open_window(reservation)
        return {
            "meeting": {
                "title": reservation.title,
                "start_utc": reservation.start_utc.isoformat(),
                "end_utc": reservation.end_utc.isoformat(),
                "duration_minutes": reservation.duration_minutes,
                "time_zone": reservation.time_zone,
                "agenda": reservation.agenda,
                "materials": [{"name": m.name, "size": m.size} for m in reservation.materials],
                # e-mail and phone: the invitee's way to reach the agent when the link no
                # longer leads in (cancelled, used, missed, withdrawn).
                "agent": {k: agent.get(k, "") for k in MEETING_AGENT_FIELDS},
                "opens_at": opens_at,
                "closes_at": closes_at,
                "state": str(rules.link_state(reservation, invitee, now)),
            },
            "invitee": {"name": invitee.name, "language": invitee.language},
            "now": now,
        }

    def waiting(self, secret: str, now: float) -> str | None:
        """The reservation id to wait on while the link's page may still change, else None."""
        reservation, invitee = self.reservations.by_secret(secret)
        state = rules.link_state(reservation, invitee, now)
        waits = state in (rules.LinkState.EARLY, rules.LinkState.WAITING)
        return reservation.id if waits else None

    def join_meeting(self, secret: str, now: float) -> dict[str, Any]:
        """The invitee takes its one seat in the opened meeting (no code, no knock).

        Raises:
            Refused: ``meeting_not_found``, ``meeting_not_open``, ``meeting_missed``,
                ``meeting_over``, ``meeting_cancelled``, ``meeting_link_used``,
                ``meeting_link_revoked``, ``session_full``.
        """
        reservation, invitee = self.reservations.by_secret(secret)
        state = rules.link_state(reservation, invitee, now)
        session = self.relay.directory.sessions.get(reservation.session_id)
        if state is rules.LinkState.OPEN and session is None:
            state = rules.LinkState.OVER
        if state is not rules.LinkState.OPEN:
            raise Refused(*_LINK_REFUSALS[state])
        assert session is not None
        name = invitee.name or invitee.email.split("@")[0]
        try:
            customer = self.relay.directory.join_invited(
                session, name, now, self.relay.options.customers_per_session
            )
        except JoinError as error:
            raise Refused(str(error.problem), JOIN_MESSAGES[str(error.problem)]) from None
        invitee.joined_at = now
        self.reservations.save(reservation, durable=False)  # _joined waits for the store
        # One conversation for everyone invited: from the meeting's start, materials first.
        return self.relay._joined(session, customer, now, since_id=0)
