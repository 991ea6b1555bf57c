"""The reminder greenlet: wakes when the next reminder falls due and queues it (shell).

The rules are in ``relay_server/reservations/reminders.py``; the mails in
``relay_server/reservations/mailer.py``. The loop sleeps until the next reminder is due, at most
``MAX_SLEEP_S`` (so a reservation booked or moved meanwhile is seen within that time even if
nobody calls :meth:`ReminderLoop.wake`), and checks once at start-up: a relay restarted inside
a reminder's window sends it then.

Several nodes hold every reservation; one of them queues a start's reminders. Its claim in the
hub is a **lease** (:data:`REMINDER_LEASE_S`) while it queues them, made long
(:data:`REMINDER_DONE_S`) once they are durable. A node that dies between its claim and that
commit leaves a lease that expires by itself: another node asks again after the lease (it
remembers a claim held elsewhere only that long), takes the claim, reads the outbox again
(``before_queue``: the mails the first node may have committed after all) and queues only what
is missing, each reminder once by its key; its Message-ID is made from that key, so a
reminder queued twice in a race (a node stalled past its lease) is one message to the
recipient's mail program too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import gevent
from gevent.event import Event

from relay_server.reservations.mailer import ReservationMailer
from relay_server.reservations.model import Reservation
from relay_server.reservations.reminders import due_reminders, next_reminder_at

logger = logging.getLogger(__name__)

MAX_SLEEP_S = 30.0
# A node's claim on a start's reminders while it queues them (a claim, a query, a commit):
# another node takes it over this long after a node died holding it.
REMINDER_LEASE_S = 10.0
REMINDER_DONE_S = 2 * 86400.0  # the reminders are queued: longer than their window


class ReminderLoop:
    """Queues due reminders.

    Args:
        mailer: queues the mails (each once).
        reservations: every reservation the relay holds (the reservation store's list).
        minutes: the current ``mail.reminder_minutes`` (read on every pass).
        claim: whether this node sends a reservation's reminders for its current start,
            held for the seconds given (several nodes hold every reservation: the hub's claim
            picks one); a claim held elsewhere is asked about again after
            :data:`REMINDER_LEASE_S` (its node may have died before queuing).
        before_queue: called after a claim, before queuing: the outbox reads what other
            nodes queued (a node that died after its commit).
    """

    def __init__(
        self,
        mailer: ReservationMailer,
        reservations: Callable[[], Iterable[Reservation]],
        minutes: Callable[[], int],
        clock: Callable[[], float] = time.time,
        max_sleep_s: float = MAX_SLEEP_S,
        claim: Callable[[Reservation, float], bool] = lambda reservation, ttl_s: True,
        before_queue: Callable[[], None] = lambda: None,
    ):
        self.mailer = mailer
        self.claim = claim
        self.before_queue = before_queue
        # reminder_slot()s another node claimed -> when to ask again (its lease may lapse)
        self._elsewhere: dict[str, float] = {}
        self.reservations = reservations
        self.minutes = minutes
        self.clock = clock
        self.max_sleep_s = max_sleep_s
        self._wake = Event()
        self._greenlet: gevent.Greenlet | None = None

    def check(self) -> tuple[list[str], float]:
        """One pass: queue what is due now. Returns the mail ids and the seconds until the
        next reminder falls due (capped at ``max_sleep_s``)."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        minutes = self.minutes()
        lead = timedelta(minutes=minutes)
        reservations = list(self.reservations())
        ids: list[str] = []

        now_s = now.timestamp()
        self._elsewhere = {slot: t for slot, t in self._elsewhere.items() if t > now_s}

        def reminded(reservation: Reservation) -> bool:
            return reminder_slot(reservation) in self._elsewhere or self.mailer.reminded(
                reservation, minutes
            )

        for reservation in due_reminders(reservations, now, lead, reminded):
            if not self.claim(reservation, REMINDER_LEASE_S):
                self._elsewhere[reminder_slot(reservation)] = now_s + REMINDER_LEASE_S
                continue
            self.before_queue()
            queued = [] if self.mailer.reminded(reservation, minutes) else (
                self.mailer.remind(reservation, minutes)  # durable when it returns
            )  # fmt: skip
            self.claim(reservation, REMINDER_DONE_S)  # the other nodes stop asking
            ids += queued
            logger.info("reminders queued",
                        extra={"reservation": reservation.id, "mails": len(queued)})  # fmt: skip
        following = next_reminder_at(reservations, now, lead)
        wait_s = self.max_sleep_s
        if following is not None:
            wait_s = min(wait_s, max(0.0, (following - now).total_seconds()))
        if self._elsewhere:  # ask again when a claim held elsewhere lapses
            wait_s = min(wait_s, max(0.0, min(self._elsewhere.values()) - now_s))
        return ids, wait_s

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def wake(self) -> None:
        """Check now (a reservation was booked, moved or cancelled; the option changed)."""
        self._wake.set()

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None

    def _run(self) -> None:
        while True:
            try:
                _, wait_s = self.check()
            except gevent.GreenletExit:
                raise
            except Exception:
                logger.exception("reminder check failed; trying again soon")
                wait_s = self.max_sleep_s
            self._wake.clear()
            self._wake.wait(wait_s)


def reminder_slot(reservation: Reservation) -> str:
    """What one node claims: a reservation's reminders for its current start."""
    return f"{reservation.id}:{reservation.start_utc.astimezone(UTC).isoformat()}"
