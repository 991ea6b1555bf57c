"""The reservations' mail chain in the test process, over a real store on disk and a real SMTP
server: store → outbox → sender (smtplib) → aiosmtpd, with the mailer and the reminder loop
on top. :meth:`MailChain.restart` closes it and opens a new one on the same data directory,
as a relay restart does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from relay_server.mail.outbox import Outbox
from relay_server.mail.sender import MailSender
from relay_server.mail.settings import SmtpSettings
from relay_server.reservations.mailer import ReservationMailer
from relay_server.reservations.model import Invitee, Reservation
from relay_server.reservations.reminder_loop import ReminderLoop
from relay_server.store import TinyDBStore
from tests.support.smtp_server import SmtpServer

AGENT = {
    "username": "alice", "name": "Alice Kim", "company": "Acme", "title": "Sales",
    "email": "alice@acme.test", "language": "en",
}  # fmt: skip
RELAY_URL = "https://relay.test"


def link_for(reservation: Reservation, invitee: Invitee) -> str:
    return f"{RELAY_URL}/?meet={invitee.link_secret}"


@dataclass
class MailChain:
    data_dir: Path
    smtp: SmtpServer
    now: list[float]
    reservations: list[Reservation] = field(default_factory=list)
    reminder_minutes: int = 15

    def __post_init__(self) -> None:
        self._open()

    def _open(self) -> None:
        self.store = TinyDBStore(self.data_dir)
        self.outbox = Outbox(self.store)
        self.outbox.recover(self.now[0])
        self.store.sync()
        settings = SmtpSettings("127.0.0.1", self.smtp.port, "none", "", "",
                                "relay@example.com", "RemoteSales")  # fmt: skip
        self.sender = MailSender(self.outbox, lambda: settings, self.store.sync,
                                 clock=lambda: self.now[0])  # fmt: skip
        self.mailer = ReservationMailer(
            self.outbox, lambda: settings, lambda name: dict(AGENT) if name == "alice" else None,
            link_for, self.store.sync, clock=lambda: self.now[0],
        )  # fmt: skip
        self.reminders = ReminderLoop(
            self.mailer, lambda: self.reservations, lambda: self.reminder_minutes,
            clock=lambda: self.now[0],
        )  # fmt: skip

    def at(self, moment: datetime) -> None:
        self.now[0] = moment.timestamp()

    def deliver(self) -> int:
        """Send every due mail now, one after the other; returns how many tries were made."""
        tries = 0
        while (mail_id := self.outbox.next_due(self.now[0])) is not None:
            self.sender.deliver(mail_id)
            tries += 1
        self.sender.stop()
        return tries

    def restart(self) -> None:
        self.sender.stop()
        self.store.close()
        self._open()

    def close(self) -> None:
        self.sender.stop()
        self.store.close()


def reservation(start: datetime, **changes) -> Reservation:
    """Alice's meeting with two invitees (Kim in Korean, Lee in English)."""
    fields = dict(
        id="res-1", agent_id="alice", uid="res-1@remotesales.test", title="Product demo",
        start_utc=start, duration_minutes=60, time_zone="Europe/Berlin",
        agenda=["Prices", "Next steps"],
        invitees=[Invitee("kim@example.com", "Kim", "ko", "secret-kim-0123456789abcdef"),
                  Invitee("lee@example.com", "Lee", "en", "secret-lee-0123456789abcdef")],
    )  # fmt: skip
    fields.update(changes)
    return Reservation(**fields)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


MINUTE = timedelta(minutes=1)
