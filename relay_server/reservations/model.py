"""A reservation (A11): a meeting booked ahead, its invitees and what changed (pure).

The agent books a title, a start (stored in UTC with the IANA time zone the agent chose, so a
start across a DST change stays the wall-clock time the agent meant), a duration, an agenda and
material files, and invites people by e-mail. Each invitee holds a personal link secret (as
``relay_server.sessions.invitations``: at least 128 bits, one seat in this one meeting).

``sequence`` rises on every change an invitee should hear about (time, title, agenda,
invitees, cancellation): it is the iCalendar ``SEQUENCE`` of the meeting's ``uid``, which never
changes. Nothing here does I/O: the store keeps what :meth:`Reservation.to_record` returns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class ReservationStatus(StrEnum):
    SCHEDULED = "scheduled"  # booked, not opened yet
    OPEN = "open"  # the agent opened it: its session is live
    DONE = "done"  # its session ended
    CANCELLED = "cancelled"


class ReservationChange(StrEnum):
    """What happened to a reservation, for whoever tells the invitees (the mailer)."""

    CREATED = "created"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    INVITEES_ADDED = "invitees_added"
    INVITEES_REMOVED = "invitees_removed"


@dataclass(slots=True)
class Material:
    """A file the agent attached to the agenda; its bytes live in the relay's file spool."""

    file_id: str
    name: str  # sanitised, as every file name on the relay
    size: int
    sha256: str


@dataclass(slots=True)
class Invitee:
    email: str  # checked by relay_server.mail.addresses
    name: str = ""
    language: str = "en"  # "en" or "ko": the invitation's language
    link_secret: str = ""  # the personal link's secret; never shown back after it is mailed
    revoked: bool = False
    # Its invitation mail failed for good (refused, or never taken in time): the link is
    # closed, as an instant meeting's personal link is (A3), and it is mailed nothing more.
    undelivered: bool = False
    joined_at: float | None = None  # when the link took its seat


@dataclass(slots=True)
class Reservation:
    id: str
    agent_id: str
    uid: str  # iCalendar UID: stable for the meeting's whole life
    title: str
    start_utc: datetime  # aware, UTC
    duration_minutes: int
    time_zone: str  # IANA name the agent booked in ("Asia/Seoul")
    agenda: list[str] = field(default_factory=list)  # topics, in order
    materials: list[Material] = field(default_factory=list)
    invitees: list[Invitee] = field(default_factory=list)
    status: ReservationStatus = ReservationStatus.SCHEDULED
    sequence: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    session_id: str = ""  # set when the agent opens it
    # Material files changed since the invitees last heard (service.py, *materials' mail*):
    # the list as they heard it, None when they have heard the current one; and when the
    # last material change came (the quiet period counts from it).
    materials_heard: list[Material] | None = None
    materials_changed_at: float = 0.0

    @property
    def end_utc(self) -> datetime:
        return self.start_utc + timedelta(minutes=self.duration_minutes)

    def local_start(self) -> datetime:
        """The start in the time zone the agent booked in."""
        return self.start_utc.astimezone(ZoneInfo(self.time_zone))

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["start_utc"] = self.start_utc.astimezone(UTC).isoformat()
        record["status"] = str(self.status)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Reservation:
        fields: dict[str, Any] = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        fields["start_utc"] = datetime.fromisoformat(record["start_utc"]).astimezone(UTC)
        fields["status"] = ReservationStatus(record["status"])
        fields["materials"] = [Material(**m) for m in record.get("materials", [])]
        if record.get("materials_heard") is not None:
            fields["materials_heard"] = [Material(**m) for m in record["materials_heard"]]
        fields["invitees"] = [Invitee(**i) for i in record.get("invitees", [])]
        return cls(**fields)
