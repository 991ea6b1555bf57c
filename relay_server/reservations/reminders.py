"""Which reservations' reminders are due (pure).

A reminder goes to every invitee and the agent ``mail.reminder_minutes`` before the start
(default 15; 0 turns reminders off). It is due from ``start - lead`` until the start, and never
after: a relay that was down through the whole window sends none, one restarted inside it sends
the reminder then. Whether it went is the outbox's business: every reminder mail carries a key
made of the reservation and its *current* start (``ReservationMailer.reminder_key``), queued
and made durable in one write, so a restart never sends it twice and a moved meeting is
reminded again for its new time. Cancelled and finished reservations get none. An invitee whose
invitation or update went out after the window opened gets none (it has just told the time:
``ReservationMailer.remind`` skips them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from relay_server.reservations.model import Reservation, ReservationStatus

DEFAULT_REMINDER_MINUTES = 15
MAX_REMINDER_MINUTES = 7 * 24 * 60
REMINDED_STATES = (ReservationStatus.SCHEDULED, ReservationStatus.OPEN)


def reminder_minutes(value: object) -> int:
    """The option's check: whole minutes from 0 (off) to a week."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("a whole number of minutes")
    if not 0 <= value <= MAX_REMINDER_MINUTES:
        raise ValueError(f"from 0 (no reminders) to {MAX_REMINDER_MINUTES} minutes")
    return value


def due_reminders(
    reservations: Iterable[Reservation],
    now: datetime,
    lead: timedelta,
    reminded: Callable[[Reservation], bool],
) -> list[Reservation]:
    """The reservations whose reminder is due at ``now`` and not yet sent, soonest first.

    Args:
        now: aware.
        lead: how long before the start (``timedelta(0)``: reminders are off, none is due).
        reminded: whether a reservation's reminder for its current start went already.
    """
    if lead <= timedelta(0):
        return []
    due = [
        reservation
        for reservation in reservations
        if reservation.status in REMINDED_STATES
        and reservation.start_utc - lead <= now < reservation.start_utc
        and not reminded(reservation)
    ]
    due.sort(key=lambda reservation: reservation.start_utc)
    return due


def next_reminder_at(
    reservations: Iterable[Reservation], now: datetime, lead: timedelta
) -> datetime | None:
    """When the next reminder falls due after ``now`` (None: none is ahead)."""
    if lead <= timedelta(0):
        return None
    ahead = [
        reservation.start_utc - lead
        for reservation in reservations
        if reservation.status in REMINDED_STATES and reservation.start_utc - lead > now
    ]
    return min(ahead, default=None)
