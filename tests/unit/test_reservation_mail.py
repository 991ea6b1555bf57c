"""The reservations' mail cores: the .ics per invitee (UID, SEQUENCE, METHOD, times across DST),
the mails' words and header safety, which reminders are due, and the mailer's plan per change
over a real outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest
from icalendar import Calendar

from relay_server.mail.outbox import Outbox
from relay_server.mail.settings import SmtpSettings
from relay_server.mail.templates import build_message
from relay_server.reservations import ics
from relay_server.reservations.mailer import ReservationMailer
from relay_server.reservations.mails import (
    MailKind,
    Recipient,
    reservation_mail,
    what_changed,
    when_text,
)
from relay_server.reservations.model import (
    Invitee,
    Reservation,
    ReservationChange,
    ReservationStatus,
)
from relay_server.reservations.reminders import due_reminders, next_reminder_at
from relay_server.store import TinyDBStore

ORGANIZER = ics.Organizer("Alice Kim", "relay@example.com")
AGENT = {"username": "alice", "name": "Alice Kim", "company": "Acme", "email": "alice@acme.test"}
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def booking(**changes) -> Reservation:
    """A meeting in Berlin on the night the clocks go forward (29 March 2026, 02:00 → 03:00):
    01:30 CET to 05:30 CEST is three hours."""
    reservation = Reservation(
        id="r1",
        agent_id="alice",
        uid="r1-uid@remotesales.test",
        title="Product demo",
        start_utc=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        duration_minutes=180,
        time_zone="Europe/Berlin",
        agenda=["Prices", "Questions"],
        invitees=[
            Invitee("kim@example.com", "Kim", "ko", "secret-kim"),
            Invitee("lee@example.com", "Lee", "en", "secret-lee"),
        ],
        sequence=0,
    )
    return replace(reservation, **changes)


def parsed_event(data: bytes):
    calendar = Calendar.from_ical(data)
    return calendar, calendar.walk("VEVENT")[0]


@pytest.mark.parametrize(
    ("zone", "start_utc", "local_start", "local_end"),
    [
        # Clocks forward inside the meeting: 01:30 CET → 05:30 CEST is three hours.
        ("Europe/Berlin", datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "01:30+01:00", "05:30+02:00"),
        # Clocks back inside the meeting: 00:30 EDT → 02:30 EST is three hours.
        (
            "America/New_York",
            datetime(2026, 11, 1, 4, 30, tzinfo=UTC),
            "00:30-04:00",
            "02:30-05:00",
        ),
        ("Asia/Seoul", datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "09:30+09:00", "12:30+09:00"),
    ],
)
def test_ics_times_across_a_dst_change_parse_back_to_the_same_instants(
    zone, start_utc, local_start, local_end
):
    """The .ics of a meeting across a DST change names the agent's zone, carries its
    VTIMEZONE, and its start and end parse back (with icalendar) to the booked instants."""
    reservation = booking(time_zone=zone, start_utc=start_utc)
    data = ics.invitee_calendar(
        reservation, reservation.invitees[0], "https://r.test/?meet=secret-kim",
        ORGANIZER, ics.Method.REQUEST, NOW,
    )  # fmt: skip
    calendar, event = parsed_event(data)
    assert f"DTSTART;TZID={zone}:".encode() in data
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [zone]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == start_utc and end == start_utc + timedelta(hours=3)
    assert f"{start:%H:%M}" + start.isoformat()[-6:] == local_start
    assert f"{end:%H:%M}" + end.isoformat()[-6:] == local_end


def test_ics_request_names_the_meeting_its_organizer_and_only_this_invitee():
    """A REQUEST has the stable UID, the SEQUENCE, the organizer (agent's name, sender
    address), one ATTENDEE with RSVP=TRUE, the title, agenda and the personal link."""
    reservation = booking(sequence=3)
    link = "https://r.test/?meet=secret-kim"
    text = ics.description(reservation, link, "Agenda:", "Join:")
    data = ics.invitee_calendar(
        reservation, reservation.invitees[0], link, ORGANIZER, ics.Method.REQUEST, NOW, text
    )
    calendar, event = parsed_event(data)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "r1-uid@remotesales.test"
    assert int(event["SEQUENCE"]) == 3
    assert event.decoded("dtstamp") == NOW
    assert str(event["SUMMARY"]) == "Product demo"
    assert str(event["URL"]) == link
    assert "- Prices" in str(event["DESCRIPTION"]) and link in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:relay@example.com"
    assert event["ORGANIZER"].params["CN"] == "Alice Kim"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:kim@example.com"  # one attendee: the others stay private
    assert attendee.params["RSVP"] == "TRUE"
    assert b"lee@example.com" not in data and b"secret-lee" not in data


def test_ics_cancel_is_method_cancel_with_status_cancelled_and_no_link():
    """A cancellation is METHOD:CANCEL, STATUS:CANCELLED, the same UID and the new SEQUENCE."""
    reservation = booking(sequence=4, status=ReservationStatus.CANCELLED)
    data = ics.invitee_calendar(
        reservation, reservation.invitees[1], "", ORGANIZER, ics.Method.CANCEL, NOW
    )
    calendar, event = parsed_event(data)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "r1-uid@remotesales.test" and int(event["SEQUENCE"]) == 4
    assert "URL" not in event


def test_names_and_titles_with_line_breaks_add_no_header_or_property():
    """A title and names with CR/LF and quotes end up as text: no extra mail header, no extra
    calendar property, and the message still builds."""
    evil = 'Demo\r\nBcc: all@example.com\r\nX-Evil: "1"'
    reservation = booking(title=evil)
    reservation.invitees[0].name = 'Kim\r\nATTENDEE:mailto:spy@example.com "x"'
    agent = {**AGENT, "name": "Alice\r\nBcc: spy@example.com", "company": "Acme\nX-A: b"}
    recipient = Recipient("kim@example.com", "en", link="https://r.test/?meet=s",
                          invitee=reservation.invitees[0])  # fmt: skip
    mail = reservation_mail(MailKind.INVITATION, reservation, recipient, agent, ORGANIZER, NOW)
    assert "\r" not in mail.subject and "\n" not in mail.subject
    raw = build_message(mail, "kim@example.com", "relay@example.com", "RemoteSales",
                        "<1@example.com>", 0.0).as_bytes(policy=policy.SMTP)  # fmt: skip
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    calendar, event = parsed_event(mail.attachments[0].data)
    assert str(event["ATTENDEE"]) == "mailto:kim@example.com"  # one attendee, not a list
    assert b"\r\nATTENDEE:mailto:spy" not in mail.attachments[0].data
    assert b"\r\nX-Evil" not in mail.attachments[0].data


def test_mail_words_follow_the_language_and_show_the_offsets():
    """The Korean mail says the time in Korean with the zone and both UTC offsets of a
    meeting across the DST change; the English one in English; both carry the link."""
    reservation = booking()
    assert when_text(reservation, "en") == (
        "Sunday, 29 March 2026, 01:30–05:30 (Europe/Berlin, UTC+01:00 → UTC+02:00)"
    )
    assert when_text(reservation, "ko").startswith("2026년 3월 29일 (일) 01:30–05:30")
    kim = reservation.invitees[0]
    recipient = Recipient(kim.email, "ko", kim.name, "https://r.test/?meet=k", kim)
    mail = reservation_mail(MailKind.INVITATION, reservation, recipient, AGENT, ORGANIZER, NOW)
    assert mail.subject.startswith("초대: Product demo")
    for part in (mail.text, mail.html):
        assert "Acme의 Alice Kim 상담원이 고객님을" in part and "일시" in part and "Prices" in part
        assert "https://r.test/?meet=k" in part
    assert mail.attachments[0].content_type == "text/calendar; method=REQUEST"


def test_an_update_says_what_changed():
    """An updated mail lists what changed (time, agenda), in the recipient's language."""
    before = booking()
    after = booking(start_utc=before.start_utc + timedelta(days=1), agenda=["Prices"], sequence=1)
    assert what_changed(before, after) == ("time", "agenda")
    lee = after.invitees[1]
    recipient = Recipient(lee.email, "en", lee.name, "https://r.test/?meet=l", lee)
    mail = reservation_mail(
        MailKind.UPDATED, after, recipient, AGENT, ORGANIZER, NOW, what_changed(before, after),
        previous=before,
    )  # fmt: skip
    assert "What changed: the time, the agenda." in mail.text
    assert "Monday, 30 March 2026, 02:30–05:30 (Europe/Berlin, UTC+02:00)" in mail.text
    assert "(was Sunday, 29 March 2026, 01:30–05:30" in mail.text
    assert "<s " in mail.html and "was Sunday, 29 March 2026" in mail.html
    assert mail.subject.startswith("Updated: Product demo")


START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
LEAD = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("now", "status", "reminded", "due"),
    [
        (START - timedelta(minutes=16), ReservationStatus.SCHEDULED, False, False),  # too early
        (START - LEAD, ReservationStatus.SCHEDULED, False, True),  # the window opens
        (START - timedelta(minutes=1), ReservationStatus.OPEN, False, True),  # opened early
        (START - timedelta(minutes=5), ReservationStatus.SCHEDULED, True, False),  # sent
        (START, ReservationStatus.SCHEDULED, False, False),  # started: never
        (START + timedelta(minutes=5), ReservationStatus.SCHEDULED, False, False),
        (START - timedelta(minutes=5), ReservationStatus.CANCELLED, False, False),
        (START - timedelta(minutes=5), ReservationStatus.DONE, False, False),
    ],
)
def test_which_reminders_are_due(now, status, reminded, due):
    """A reminder is due from `lead` before the start until the start, once, and never for a
    cancelled or finished reservation."""
    reservation = booking(status=status)
    found = due_reminders([reservation], now, LEAD, lambda r: reminded)
    assert found == ([reservation] if due else [])
    assert due_reminders([reservation], now, timedelta(0), lambda r: False) == []


def test_the_next_reminder_time():
    """The loop sleeps until the earliest reminder ahead, none when all are past."""
    soon, later = booking(id="a"), booking(id="b", start_utc=START + timedelta(hours=1))
    assert next_reminder_at([later, soon], START - timedelta(hours=1), LEAD) == START - LEAD
    assert next_reminder_at([soon], START, LEAD) is None


@pytest.fixture
def mailer(tmp_path):
    store = TinyDBStore(tmp_path)
    outbox = Outbox(store)
    settings = SmtpSettings("127.0.0.1", 25, "none", "", "", "relay@example.com", "RemoteSales")
    clock = [NOW.timestamp()]
    mailer = ReservationMailer(
        outbox, lambda: settings, lambda name: dict(AGENT) if name == "alice" else None,
        lambda r, i: f"https://r.test/?meet={i.link_secret}", lambda: None,
        clock=lambda: clock[0],
    )  # fmt: skip
    yield mailer
    store.close()


def mails_of(mailer: ReservationMailer, ids: list[str]) -> list[tuple[str, str, str]]:
    found = []
    for mail_id in ids:
        mail, content = mailer.outbox.content(mail_id)
        method = (
            content.attachments[0].content_type.rpartition("=")[2] if content.attachments else ""
        )
        found.append((mail["to"], mail["kind"], method))
    return found


def test_mailer_plans_one_mail_per_invitee_and_each_once(mailer):
    """Created: an invitation per invitee with their own link; the same change seen again
    mails nobody; an update goes to all with the new SEQUENCE; a removed invitee and a
    cancellation get METHOD:CANCEL."""
    reservation = booking()
    ids = mailer.on_change(reservation, ReservationChange.CREATED, None)
    assert mails_of(mailer, ids) == [
        ("kim@example.com", "reservation_invitation", "REQUEST"),
        ("lee@example.com", "reservation_invitation", "REQUEST"),
    ]
    kim_mail = mailer.outbox.content(ids[0])[1]
    assert "secret-kim" in kim_mail.text and "secret-lee" not in kim_mail.text
    assert mailer.on_change(reservation, ReservationChange.CREATED, None) == []

    moved = booking(start_utc=START + timedelta(hours=2), sequence=1)
    ids = mailer.on_change(moved, ReservationChange.UPDATED, reservation)
    assert [m[1] for m in mails_of(mailer, ids)] == ["reservation_updated"] * 2
    _, event = parsed_event(mailer.outbox.content(ids[1])[1].attachments[0].data)
    assert int(event["SEQUENCE"]) == 1

    fewer = replace(moved, invitees=[moved.invitees[0]], sequence=2)
    ids = mailer.on_change(fewer, ReservationChange.INVITEES_REMOVED, moved)
    assert mails_of(mailer, ids) == [("lee@example.com", "reservation_cancelled", "CANCEL")]

    more = replace(fewer, invitees=[*fewer.invitees, Invitee("park@example.com", "", "en", "s-p")],
                   sequence=3)  # fmt: skip
    ids = mailer.on_change(more, ReservationChange.INVITEES_ADDED, fewer)
    assert mails_of(mailer, ids) == [("park@example.com", "reservation_invitation", "REQUEST")]

    cancelled = replace(more, status=ReservationStatus.CANCELLED, sequence=4)
    ids = mailer.on_change(cancelled, ReservationChange.CANCELLED, more)
    assert mails_of(mailer, ids) == [
        ("kim@example.com", "reservation_cancelled", "CANCEL"),
        ("park@example.com", "reservation_cancelled", "CANCEL"),
    ]


def test_reminders_go_to_invitees_and_agent_once_and_again_after_a_move(mailer):
    """A reminder reaches every invitee and the agent once; a moved meeting is reminded again."""
    reservation = booking()
    assert not mailer.reminded(reservation)
    ids = mailer.remind(reservation, 15)
    assert sorted(m[0] for m in mails_of(mailer, ids)) == [
        "alice@acme.test", "kim@example.com", "lee@example.com",
    ]  # fmt: skip
    assert mailer.reminded(reservation) and mailer.remind(reservation, 15) == []
    moved = booking(start_utc=START + timedelta(hours=1), sequence=1)
    assert not mailer.reminded(moved)
    assert len(mailer.remind(moved, 15)) == 3
    assert mailer.remind(booking(status=ReservationStatus.CANCELLED, id="c"), 15) == []


def test_one_edit_that_moves_adds_and_removes_mails_each_person_once(mailer):
    """An edit reported as updated, invitees_added and invitees_removed (one sequence, the same
    previous, as the reservation store reports it): those kept get the update, the newcomer
    only its invitation, the one taken off (kept as revoked) only a cancellation; an invitee
    revoked by an earlier edit hears nothing more."""
    before = booking(sequence=1)
    before.invitees.append(Invitee("old@example.com", "", "en", "s-old", revoked=True))
    after = booking(start_utc=START + timedelta(hours=1), sequence=2)
    after.invitees[1].revoked = True  # lee taken off
    after.invitees.append(Invitee("old@example.com", "", "en", "s-old", revoked=True))
    after.invitees.append(Invitee("park@example.com", "", "en", "s-park"))
    ids = []
    for change in (ReservationChange.UPDATED, ReservationChange.INVITEES_ADDED,
                   ReservationChange.INVITEES_REMOVED):  # fmt: skip
        ids += mailer.on_change(after, change, before)
    assert mails_of(mailer, ids) == [
        ("kim@example.com", "reservation_updated", "REQUEST"),
        ("park@example.com", "reservation_invitation", "REQUEST"),
        ("lee@example.com", "reservation_cancelled", "CANCEL"),
    ]


def test_a_failure_inside_the_mailer_never_fails_the_reservation_change(mailer, caplog):
    """The hook runs after the change is durable: an error while mailing is logged and the
    hook returns no mail instead of raising into the booking's request."""

    def broken(name: str) -> dict:
        raise RuntimeError("profile store unavailable")

    mailer.agent_profile = broken
    assert mailer.on_change(booking(), ReservationChange.CREATED, None) == []
    assert "reservation mail failed" in caplog.text


def test_no_reminder_on_the_heels_of_an_invitation_or_update_inside_the_window(mailer):
    """An invitee invited (or sent an update) after the reminder window opened gets no
    reminder, that mail has just told the time; the others and the agent still get theirs."""
    reservation = booking()
    mailer.clock = lambda: (START - timedelta(hours=3)).timestamp()
    mailer.on_change(replace(reservation, invitees=reservation.invitees[:1]),
                     ReservationChange.CREATED, None)  # fmt: skip
    mailer.clock = lambda: (START - timedelta(minutes=5)).timestamp()  # Lee added late
    mailer.on_change(reservation, ReservationChange.INVITEES_ADDED,
                     replace(reservation, invitees=reservation.invitees[:1]))  # fmt: skip
    assert not mailer.reminded(reservation, 15)
    ids = mailer.remind(reservation, 15)
    assert sorted(m[0] for m in mails_of(mailer, ids)) == ["alice@acme.test", "kim@example.com"]
    assert mailer.reminded(reservation, 15)
