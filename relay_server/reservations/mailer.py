"""The reservation mailer: turns a reservation's changes and reminders into mails in the outbox.

The reservation store calls :meth:`ReservationMailer.on_change` after each durable change
(``on_change(reservation, change, previous)``); the reminder loop
(``relay_server/reservations/reminder_loop.py``) calls :meth:`ReservationMailer.remind`. Each
mail goes through the durable outbox (``relay_server/mail/outbox.py``), so it survives a
restart, is retried, and is delivered at most once.

Every mail carries a key (``reservation:<id>:<what>:<address>``) and is queued only if no mail
with that key was queued before: a change seen twice (a caller's retry, a restart between the
change and its mails) or a reminder checked again after a restart mails nobody twice. Who gets
what:

=================  ===========================================================================
change             mails
=================  ===========================================================================
created            an invitation (``METHOD:REQUEST``) to every invitee
updated            "updated" (what changed; ``REQUEST``, new ``SEQUENCE``) to those invited before
cancelled          "cancelled" (``METHOD:CANCEL``) to every invitee
invitees_added     an invitation to each new invitee
invitees_removed   "cancelled" (``METHOD:CANCEL``) to each invitee taken off (or revoked)
                   since ``previous``
reminder           a reminder (``REQUEST``, same ``SEQUENCE``) to every invitee, one to the agent
=================  ===========================================================================
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from relay_server.mail.addresses import address_problem
from relay_server.mail.outbox import Outbox, OutgoingMail
from relay_server.mail.settings import SmtpSettings
from relay_server.mail.templates import MailContent
from relay_server.reservations import ics
from relay_server.reservations.mails import MailKind, Recipient, reservation_mail, what_changed
from relay_server.reservations.model import (
    Invitee,
    Reservation,
    ReservationChange,
    ReservationStatus,
)

logger = logging.getLogger(__name__)

NO_SENDER = "noreply@remotesales.invalid"


def message_domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "remotesales.invalid"


def active(invitees: Iterable[Invitee]) -> list[Invitee]:
    """The invitees still to be mailed: not taken off, and not behind an address whose
    invitation failed for good (their link is closed)."""
    return [invitee for invitee in invitees if not invitee.revoked and not invitee.undelivered]


class ReservationMailer:
    """Mails about reservations, through the outbox.

    Args:
        outbox: the relay's outbox.
        settings: the current SMTP settings (the sender address is the organizer's address).
        agent_profile: the agent's public profile by account name (name, company, title,
            phone, email), or None when the account is gone.
        link_for: an invitee's personal link (``<relay>/...<link_secret>``).
        wait_durable: the store's group commit; every call returns after its mails are durable.
    """

    def __init__(
        self,
        outbox: Outbox,
        settings: Callable[[], SmtpSettings],
        agent_profile: Callable[[str], dict[str, Any] | None],
        link_for: Callable[[Reservation, Invitee], str],
        wait_durable: Callable[[], object],
        clock: Callable[[], float] = time.time,
    ):
        self.outbox = outbox
        self.settings = settings
        self.agent_profile = agent_profile
        self.link_for = link_for
        self.wait_durable = wait_durable
        self.clock = clock

    # -- the hook ----------------------------------------------------------------------------

    def on_change(
        self,
        reservation: Reservation,
        change: ReservationChange,
        previous: Reservation | None = None,
    ) -> list[str]:
        """Queue the mails ``change`` calls for (see the module's table); returns their ids,
        durable when this returns. Never raises: the change itself is already durable, so a
        mail problem (or a bug here) is logged and must not fail the agent's request; an
        address the outbox cannot use is skipped (the booking checked them)."""
        try:
            return self._on_change(reservation, change, previous)
        except Exception:
            logger.exception("reservation mail failed", extra={"reservation": reservation.id})
            return []

    def _on_change(
        self,
        reservation: Reservation,
        change: ReservationChange,
        previous: Reservation | None,
    ) -> list[str]:
        current = active(reservation.invitees)
        if change is ReservationChange.CREATED:
            plan = [(MailKind.INVITATION, invitee) for invitee in current]
        elif change is ReservationChange.UPDATED:
            if previous is not None and previous.sequence == reservation.sequence:
                return []  # nothing an invitee should hear about
            # To those invited before: a newcomer of the same edit gets its invitation
            # (INVITEES_ADDED), not an update of a meeting it never heard of.
            before = {i.email.lower() for i in active(previous.invitees)} if previous else None
            plan = [
                (MailKind.UPDATED, invitee)
                for invitee in current
                if before is None or invitee.email.lower() in before
            ]
        elif change is ReservationChange.CANCELLED:
            plan = [(MailKind.CANCELLED, invitee) for invitee in current]
        elif change is ReservationChange.INVITEES_ADDED:
            before = {i.email.lower() for i in active(previous.invitees)} if previous else set()
            plan = [(MailKind.INVITATION, i) for i in current if i.email.lower() not in before]
        elif change is ReservationChange.INVITEES_REMOVED:
            # Those invited before and not now (taken off, or kept as revoked so that their
            # link says it was withdrawn); one revoked earlier heard it then.
            now_in = {invitee.email.lower() for invitee in current}
            gone = active(previous.invitees) if previous else []
            plan = [(MailKind.CANCELLED, i) for i in gone if i.email.lower() not in now_in]
        else:  # pragma: no cover - every change is handled above
            return []
        changed = what_changed(previous, reservation)
        return self._queue(reservation, plan, changed=changed, previous=previous)

    # -- reminders ---------------------------------------------------------------------------

    def reminder_key(self, reservation: Reservation, address: str) -> str:
        """A reminder's key: per start time, so a moved meeting is reminded again."""
        start = reservation.start_utc.astimezone(UTC).isoformat()
        return f"reservation:{reservation.id}:reminder:{start}:{address.lower()}"

    def reminded(self, reservation: Reservation, minutes: int = 0) -> bool:
        """Whether every reminder of ``reservation``'s current start has been queued (or is
        not needed: see :meth:`remind`)."""
        told = self._just_told(reservation, minutes)
        addresses = [i.email for i in active(reservation.invitees) if i.email.lower() not in told]
        agent = self.agent_profile(reservation.agent_id) or {}
        if agent.get("email") and not address_problem(str(agent["email"])):
            addresses.append(str(agent["email"]))
        return all(self.outbox.has_key(self.reminder_key(reservation, a)) for a in addresses)

    def remind(self, reservation: Reservation, minutes: int) -> list[str]:
        """Queue the reminder to every invitee and to the agent (each once); returns the ids.

        An invitee whose invitation or update was queued after the reminder window opened
        (booked, invited or moved within ``minutes`` of the start) gets none: that mail has
        just told them the time."""
        if reservation.status is ReservationStatus.CANCELLED:
            return []
        told = self._just_told(reservation, minutes)
        # The mail says the minutes really left (a relay restarted late in the window).
        left_s = reservation.start_utc.timestamp() - self.clock()
        minutes_left = max(1, min(minutes, round(left_s / 60))) if minutes > 0 else 1
        plan = [
            (MailKind.REMINDER, invitee)
            for invitee in active(reservation.invitees)
            if invitee.email.lower() not in told
        ]
        return self._queue(reservation, plan, reminder_minutes=minutes_left, remind_agent=True)

    def _just_told(self, reservation: Reservation, minutes: int) -> set[str]:
        """Addresses sent an invitation or update of ``reservation`` after its reminder window
        opened."""
        if minutes <= 0:
            return set()
        opens_at = reservation.start_utc.timestamp() - minutes * 60
        kinds = {f"reservation_{MailKind.INVITATION}", f"reservation_{MailKind.UPDATED}"}
        return {
            view["to"].lower()
            for view in self.outbox.views(reservation.agent_id, f"reservation:{reservation.id}")
            if view["kind"] in kinds and view["created_at"] >= opens_at
        }

    # -- preview -----------------------------------------------------------------------------

    def preview(
        self, reservation: Reservation, kind: MailKind, lang: str, link: str, minutes: int = 15
    ) -> MailContent:
        """What an invitee will receive (nothing is queued)."""
        agent = self.agent_profile(reservation.agent_id) or {"name": reservation.agent_id}
        invitee = Invitee(email="invitee@example.com", language=lang)
        recipient = Recipient(invitee.email, lang, link=link, invitee=invitee)
        changed = ("time",) if kind is MailKind.UPDATED else ()
        return reservation_mail(
            kind,
            reservation,
            recipient,
            agent,
            self._organizer(agent),
            datetime.fromtimestamp(self.clock(), UTC),
            changed,
            minutes,
        )

    # -- inside ------------------------------------------------------------------------------

    def _organizer(self, agent: dict[str, Any]) -> ics.Organizer:
        sender = self.settings().sender_address or str(agent.get("email") or "") or NO_SENDER
        return ics.Organizer(str(agent.get("name") or agent.get("username") or ""), sender)

    def _queue(
        self,
        reservation: Reservation,
        plan: list[tuple[MailKind, Invitee]],
        changed: tuple[str, ...] = (),
        reminder_minutes: int = 0,
        remind_agent: bool = False,
        previous: Reservation | None = None,
    ) -> list[str]:
        agent = self.agent_profile(reservation.agent_id)
        if agent is None:
            logger.warning(
                "reservation of a removed account: no mail", extra={"reservation": reservation.id}
            )
            return []
        reply_to = str(agent.get("email") or "")
        if reply_to and address_problem(reply_to):
            reply_to = ""
        organizer = self._organizer(agent)
        now = self.clock()
        stamp = datetime.fromtimestamp(now, UTC)
        domain = message_domain_of(self.settings().sender_address)
        recipients: list[tuple[MailKind, Recipient, str]] = []
        for kind, invitee in plan:
            if address_problem(invitee.email):
                logger.warning(
                    "invitee address unusable: no mail", extra={"reservation": reservation.id}
                )
                continue
            link = self.link_for(reservation, invitee) if kind is not MailKind.CANCELLED else ""
            recipient = Recipient(invitee.email, invitee.language, invitee.name, link, invitee)
            if kind is MailKind.REMINDER:
                key = self.reminder_key(reservation, invitee.email)
            else:
                key = f"reservation:{reservation.id}:{reservation.sequence}:{kind}:" + (
                    invitee.email.lower()
                )
            recipients.append((kind, recipient, key))
        if remind_agent and reply_to:
            agent_lang = str(agent.get("language") or "en")
            recipient = Recipient(reply_to, agent_lang, str(agent.get("name") or ""))
            recipients.append(
                (MailKind.REMINDER, recipient, self.reminder_key(reservation, reply_to))
            )
        ids = []
        for kind, recipient, key in recipients:
            if self.outbox.has_key(key):
                continue
            content = reservation_mail(
                kind,
                reservation,
                recipient,
                agent,
                organizer,
                stamp,
                changed,
                reminder_minutes,
                previous,
            )
            mail = OutgoingMail(
                owner=reservation.agent_id,
                ref=f"reservation:{reservation.id}",
                kind=f"reservation_{kind}",
                to=recipient.email,
                lang=recipient.language,
                content=content,
                reply_to="" if recipient.invitee is None else reply_to,
                meta={
                    "key": key,
                    "reservation": reservation.id,
                    "sequence": reservation.sequence,
                    # An invitation that never arrives closes this invitee's link
                    # (ReservationService.close_undelivered_link).
                    **({"invitation_to": recipient.email} if kind is MailKind.INVITATION else {}),
                },
            )
            ids.append(self.outbox.enqueue(mail, now, domain))
        if ids:
            self.wait_durable()
        return ids


def agent_profile_reader(relay: Any) -> Callable[[str], dict[str, Any] | None]:
    """The agent's public profile with the language of their account's preferences (for
    their own reminder), from the relay's accounts; None for a removed account."""
    from relay_server.accounts.agent_data import AgentData

    def read(username: str) -> dict[str, Any] | None:
        account = relay.accounts.get(username)
        if account is None:
            return None
        language = AgentData(relay.store).preferences(username).get("language") or "en"
        return {**relay.profile(account), "language": language}

    return read
