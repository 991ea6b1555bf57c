"""Reservations' mail through a real SMTP server on loopback (aiosmtpd): invitations with a
personal link and a .ics each, updates and cancellations to everyone, reminders exactly once
(also across a restart), over a real store on disk."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from relay_server.reservations.model import (
    Invitee,
    Material,
    ReservationChange,
    ReservationStatus,
)
from relay_server.reservations.reminder_loop import REMINDER_DONE_S, REMINDER_LEASE_S
from tests.support.reservation_mail import MINUTE, RELAY_URL, MailChain, reservation, utc

START = utc(2026, 3, 29, 0, 30)  # 01:30 in Berlin, the night the clocks go forward


@pytest.fixture
def chain(smtp, tmp_path) -> Iterator[MailChain]:
    smtp.clear()
    chain = MailChain(tmp_path / "data", smtp, [START.timestamp() - 7 * 86400])
    yield chain
    chain.close()


def test_each_invitee_gets_one_invitation_with_their_own_link_and_ics(chain, smtp):
    """Created: each invitee receives exactly one mail, in their language, with their own link
    in text and HTML and a REQUEST .ics with the UID, SEQUENCE 0 and the booked times."""
    booked = reservation(START)
    chain.mailer.on_change(booked, ReservationChange.CREATED, None)
    chain.mailer.on_change(booked, ReservationChange.CREATED, None)  # seen twice: no new mail
    chain.deliver()
    assert sorted(r.rcpt_tos[0] for r in smtp.wait_for(2)) == ["kim@example.com", "lee@example.com"]
    for invitee in booked.invitees:
        [mail] = smtp.messages_to(invitee.email)
        link = f"{RELAY_URL}/?meet={invitee.link_secret}"
        assert link in mail.part("plain") and link in mail.part("html")
        other = [i for i in booked.invitees if i is not invitee][0]
        assert other.link_secret not in mail.data.decode("utf-8", "replace")
        method, event = mail.calendar()
        assert method == "REQUEST"
        assert str(event["UID"]) == booked.uid and int(event["SEQUENCE"]) == 0
        assert event.decoded("dtstart") == START and event.decoded("dtend") == START + 60 * MINUTE
        assert str(event["URL"]) == link
    kim = smtp.messages_to("kim@example.com")[0]
    assert str(kim.message["Subject"]).startswith("초대: Product demo")
    assert "Acme의 Alice Kim 상담원이" in kim.part("plain") and "UTC+01:00" in kim.part("plain")


def test_an_edit_reaches_everyone_with_sequence_plus_one_and_a_cancel_with_method_cancel(
    chain, smtp
):
    """Edited: every invitee gets an update whose .ics has SEQUENCE+1 and the new time;
    cancelled: everyone gets METHOD:CANCEL with the same UID."""
    booked = reservation(START)
    chain.mailer.on_change(booked, ReservationChange.CREATED, None)
    moved = replace(booked, start_utc=START + 60 * MINUTE, sequence=1)
    chain.mailer.on_change(moved, ReservationChange.UPDATED, booked)
    cancelled = replace(moved, status=ReservationStatus.CANCELLED, sequence=2)
    chain.mailer.on_change(cancelled, ReservationChange.CANCELLED, moved)
    chain.deliver()
    smtp.wait_for(6)
    for invitee in booked.invitees:
        first, update, cancel = smtp.messages_to(invitee.email)
        method, event = update.calendar()
        assert (method, int(event["SEQUENCE"])) == ("REQUEST", 1)
        assert event.decoded("dtstart") == START + 60 * MINUTE
        method, event = cancel.calendar()
        assert (method, int(event["SEQUENCE"]), str(event["STATUS"])) == ("CANCEL", 2, "CANCELLED")
        assert str(event["UID"]) == booked.uid
        assert invitee.link_secret not in cancel.data.decode("utf-8", "replace")
    assert "What changed: the time." in smtp.messages_to("lee@example.com")[1].part("plain")


def test_a_removed_invitee_gets_a_cancel_and_a_new_one_an_invitation(chain, smtp):
    """Taking an invitee off mails them METHOD:CANCEL; adding one mails only the newcomer."""
    booked = reservation(START)
    fewer = replace(booked, invitees=booked.invitees[:1], sequence=1)
    chain.mailer.on_change(fewer, ReservationChange.INVITEES_REMOVED, booked)
    newcomer = Invitee("park@example.com", "Park", "en", "secret-park-0123456789abcdef")
    more = replace(fewer, invitees=[*fewer.invitees, newcomer], sequence=2)
    chain.mailer.on_change(more, ReservationChange.INVITEES_ADDED, fewer)
    chain.deliver()
    smtp.wait_for(2)
    assert [m.calendar()[0] for m in smtp.messages_to("lee@example.com")] == ["CANCEL"]
    assert [m.calendar()[0] for m in smtp.messages_to("park@example.com")] == ["REQUEST"]
    assert not smtp.messages_to("kim@example.com")


def test_the_reminder_goes_once_to_invitees_and_agent_and_once_after_a_restart(chain, smtp):
    """Inside the reminder window every invitee and the agent get one reminder; a restart in
    the window sends nothing more; after the start nothing is sent."""
    chain.reservations.append(reservation(START))
    chain.at(START - 16 * MINUTE)
    assert chain.reminders.check()[0] == []  # too early
    chain.at(START - 15 * MINUTE)
    assert len(chain.reminders.check()[0]) == 3
    assert chain.reminders.check()[0] == []
    chain.deliver()
    chain.restart()
    chain.at(START - 5 * MINUTE)
    assert chain.reminders.check()[0] == []
    chain.deliver()
    received = smtp.wait_for(3)
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "alice@acme.test", "kim@example.com", "lee@example.com",
    ]  # fmt: skip
    agent_mail = smtp.messages_to("alice@acme.test")[0]
    assert str(agent_mail.message["Subject"]).startswith("Reminder:")
    assert "Your reservation starts in 15 minutes." in agent_mail.part("plain")
    assert "on behalf of" not in agent_mail.part("plain")
    assert "starts in 15 minutes" in smtp.messages_to("lee@example.com")[0].part("plain")
    assert smtp.messages_to("lee@example.com")[0].calendar()[0] == "REQUEST"


def test_a_reminder_another_node_claimed_is_not_queued_here(chain):
    """Several nodes hold every reservation: the node that loses the hub's claim of a
    reservation's reminders queues none and does not ask again for that start while the
    claim's lease may hold; after it, it asks again (the claimant may have died before
    queuing); the winner claims for the lease, then marks the start done; a moved start is a
    new claim."""
    claims: list[tuple[str, float]] = []

    def claim(found, ttl_s):
        claims.append((found.id, ttl_s))
        return False  # another node has it

    chain.reminders.claim = claim
    chain.reservations.append(reservation(START))
    chain.at(START - 15 * MINUTE)
    assert chain.reminders.check()[0] == []
    assert chain.reminders.check()[0] == []
    assert claims == [("res-1", REMINDER_LEASE_S)]
    chain.at(START - 15 * MINUTE + timedelta(seconds=REMINDER_LEASE_S))  # may have lapsed: ask
    assert chain.reminders.check()[0] == []
    assert claims == [("res-1", REMINDER_LEASE_S)] * 2
    chain.reservations[0] = replace(chain.reservations[0], start_utc=START - 5 * MINUTE)
    won: list[float] = []
    chain.reminders.claim = lambda found, ttl_s: won.append(ttl_s) or True
    assert len(chain.reminders.check()[0]) == 3
    assert won == [REMINDER_LEASE_S, REMINDER_DONE_S]


def test_a_relay_down_at_reminder_time_sends_it_once_after_restart_and_never_late(chain, smtp):
    """A relay that was down when the reminder fell due sends it once when it starts before
    the meeting; a reservation whose start has passed gets none; a moved one is reminded
    again for its new time; a cancelled one never."""
    late = reservation(START - 30 * MINUTE, id="res-late", uid="late@remotesales.test")
    cancelled = reservation(START, id="res-x", status=ReservationStatus.CANCELLED)
    chain.reservations += [reservation(START), late, cancelled]
    chain.restart()
    chain.at(START - 3 * MINUTE)
    assert len(chain.reminders.check()[0]) == 3  # late: it says the 3 minutes really left
    chain.restart()
    assert chain.reminders.check()[0] == []
    chain.reservations[0] = replace(chain.reservations[0], start_utc=START + 30 * MINUTE,
                                    sequence=1)  # fmt: skip
    chain.at(START + 16 * MINUTE)
    assert len(chain.reminders.check()[0]) == 3
    chain.deliver()
    assert len(smtp.wait_for(6)) == 6
    assert smtp.message_id_counts().most_common(1)[0][1] == 1
    first = smtp.messages_to("kim@example.com")[0]
    assert "3분 후에 시작합니다" in first.part("plain")


def test_line_breaks_in_a_title_and_names_reach_the_server_as_text(chain, smtp):
    """CR/LF in the title, the invitee's name and the agenda add no header, no recipient and
    no calendar property at the server; the agent's list shows the mail as sent."""
    evil = reservation(START, title="Demo\r\nBcc: spy@example.com\r\nX-Evil: 1",
                       agenda=["Prices\r\nATTENDEE:mailto:spy@example.com"])  # fmt: skip
    evil.invitees[1].name = 'Lee\r\nBcc: spy@example.com "x"'
    chain.mailer.on_change(evil, ReservationChange.CREATED, None)
    chain.deliver()
    for mail in smtp.wait_for(2):
        assert mail.rcpt_tos in (["kim@example.com"], ["lee@example.com"])
        assert mail.message["Bcc"] is None and mail.message["X-Evil"] is None
        assert "\n" not in str(mail.message["Subject"])
        method, event = mail.calendar()
        assert str(event["ATTENDEE"]).startswith("mailto:")  # still exactly one attendee
        assert "spy@example.com" not in str(event["ATTENDEE"])
    assert not smtp.messages_to("spy@example.com")
    views = chain.outbox.views("alice", "reservation:res-1")
    assert [view["state"] for view in views] == ["sent", "sent"]
    assert {view["kind"] for view in views} == {"reservation_invitation"}


def test_invitations_list_the_material_files_by_name_and_size_without_links(chain, smtp):
    """The invitation lists the reservation's files with their sizes in the text and the HTML,
    in English and in Korean, with no link to a file (they open in the meeting); the
    cancellation lists none."""
    files = [
        Material("file-a", "price list <2026>.pdf", 1_572_864, "a" * 64),
        Material("file-b", "사양서.docx", 900, "b" * 64),
    ]
    booked = reservation(START, materials=files)
    chain.mailer.on_change(booked, ReservationChange.CREATED, None)
    cancelled = replace(booked, status=ReservationStatus.CANCELLED, sequence=1)
    chain.mailer.on_change(cancelled, ReservationChange.CANCELLED, booked)
    chain.deliver()
    smtp.wait_for(4)
    expected = {
        "lee@example.com": ("Files:", "price list <2026>.pdf (1.5 MiB)", "사양서.docx (900 bytes)",
                            "download them there"),
        "kim@example.com": ("자료 파일:", "price list <2026>.pdf (1.5 MiB)",
                            "사양서.docx (900 바이트)", "미팅에서 내려받으세요"),
    }  # fmt: skip
    for address, (heading, first, second, note) in expected.items():
        invitation, cancel = smtp.messages_to(address)
        text, page = invitation.part("plain").replace("\r\n", "\n"), invitation.part("html")
        assert f"{heading}\n  - {first}\n  - {second}\n" in text, text
        assert note in text and note in page
        assert f"<li>{html.escape(first)}</li><li>{html.escape(second)}</li>" in page, page
        assert all("file-a" not in part and "/api/files" not in part for part in (text, page))
        assert "1.5 MiB" not in cancel.part("plain") and "1.5 MiB" not in cancel.part("html")
