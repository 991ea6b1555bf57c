"""A reservation's mails as a mail program shows them, in real Chromium: the HTML part that
reached a real SMTP server on loopback, on a phone and a desktop, in English and Korean."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from playwright.sync_api import Browser, expect

from relay_server.reservations.model import ReservationChange, ReservationStatus
from tests.support.reservation_mail import MINUTE, RELAY_URL, MailChain, reservation, utc
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.smtp_server import Received, SmtpServer
from tests.support.ui_pages import screenshot

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("invitations")
START = utc(2026, 3, 29, 0, 30)  # across the night Berlin's clocks go forward
VIEWPORTS = {"390x844": {"width": 390, "height": 844}, "1280x800": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def received(tmp_path_factory) -> Iterator[dict[str, Received]]:
    """Invitation, update, cancellation and reminders of one reservation, as the SMTP server
    took them, by ``<kind>-<address>``."""
    with SmtpServer() as smtp:
        chain = MailChain(tmp_path_factory.mktemp("res-mail") / "data", smtp,
                          [START.timestamp() - 86400])  # fmt: skip
        try:
            booked = reservation(START, agenda=["Prices and plans", "Your questions"])
            chain.mailer.on_change(booked, ReservationChange.CREATED, None)
            moved = replace(booked, start_utc=START + 30 * MINUTE, sequence=1)
            chain.mailer.on_change(moved, ReservationChange.UPDATED, booked)
            chain.reservations.append(moved)
            chain.at(moved.start_utc - 10 * MINUTE)
            chain.reminders.check()
            cancelled = replace(moved, status=ReservationStatus.CANCELLED, sequence=2)
            chain.mailer.on_change(cancelled, ReservationChange.CANCELLED, moved)
            chain.deliver()
            mails = smtp.wait_for(9)
        finally:
            chain.close()
    by_kind: dict[str, Received] = {}
    for mail in mails:
        subject = str(mail.message["Subject"])
        kind = next(k for k, words in KINDS.items() if subject.startswith(words))
        by_kind[f"{kind}-{mail.rcpt_tos[0]}"] = mail
    yield by_kind


KINDS = {
    "invitation": ("Invitation:", "초대:"),
    "updated": ("Updated:", "변경:"),
    "reminder": ("Reminder:", "알림:"),
    "cancelled": ("Cancelled:", "취소:"),
}
CASES = [
    ("invitation", "kim@example.com", "ko", 1),
    ("invitation", "lee@example.com", "en", 1),
    ("updated", "lee@example.com", "en", 1),
    ("reminder", "kim@example.com", "ko", 1),
    ("reminder", "alice@acme.test", "en", 0),  # the agent's: no invitee link
    ("cancelled", "kim@example.com", "ko", 0),
]


@pytest.mark.parametrize(("kind", "address", "lang", "links"), CASES)
def test_a_reservation_mail_reads_well_on_a_phone_and_a_desktop(
    browser: Browser, received, kind, address, lang, links
):
    """Each mail's HTML fits a 390 px phone without sideways scrolling and a desktop, in the
    recipient's language, with the recipient's own link as its only link (none in a
    cancellation or the agent's reminder)."""
    mail = received[f"{kind}-{address}"]
    secret = {"kim@example.com": "secret-kim", "lee@example.com": "secret-lee"}.get(address)
    for size, viewport in VIEWPORTS.items():
        page = browser.new_page(viewport=viewport)
        try:
            page.set_content(mail.part("html"))
            expect(page.locator("html")).to_have_attribute("lang", lang)
            expect(page.get_by_role("link")).to_have_count(links)
            if links:
                href = page.get_by_role("link").get_attribute("href") or ""
                assert href.startswith(f"{RELAY_URL}/?meet={secret}")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{kind} to {address} scrolls sideways by {overflow} px at {size}"
            path = screenshot(
                page, f"reservation-mail-{kind}-{lang}-{address.split('@')[0]}-{size}"
            )
            keep_shot(path, SHOTS)
        finally:
            page.close()
