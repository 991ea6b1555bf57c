"""An invitee follows the link out of the reservation's invitation as it reached a real SMTP
server, in real Chromium on a phone: the meeting page waits, and the invitee enters the chat
by itself when the agent opens the reservation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.support.api import Api
from tests.support.relay import ALICE, RelayProcess, add_agent
from tests.support.reservations import book, wall_clock_in
from tests.support.smtp_server import SmtpServer
from tests.support.ui_pages import by_id, close_pages, open_page

pytestmark = pytest.mark.e2e

PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def mail_relay(smtp, tmp_path_factory) -> Iterator[RelayProcess]:
    """A relay that mails through ``smtp``."""
    work = tmp_path_factory.mktemp("mail-link-relay")
    data = work / "data"
    data.mkdir()
    add_agent(data, ALICE)
    relay = RelayProcess(data, work, [*smtp.relay_args(), "--mail-retry-first", "0.3"])
    relay.start()
    yield relay
    relay.stop()


def test_the_link_in_the_received_invitation_waits_and_enters_when_the_agent_opens(
    mail_relay, smtp, browser: Browser, request
):
    """Booked through the relay: Kim's Korean invitation arrives with her own link; on a phone
    the link's page shows the meeting in Korean and waits; the agent opens the reservation and
    Kim is in the chat with the agent, without typing anything."""
    api = Api(mail_relay.url)
    token = api.login(ALICE.username, ALICE.password)
    reservation = book(api, token, start=wall_clock_in(5))
    smtp.wait_for_address("kim@example.com")
    [mail] = smtp.messages_to("kim@example.com")
    [link] = set(re.findall(r"https?://[^\s\"<>]+/\?meet=[A-Za-z0-9_-]+", mail.part("plain")))
    assert link.startswith(mail_relay.url)
    page = open_page(browser, link, viewport=PHONE_390, locale="ko-KR")
    try:
        expect(by_id(page, "meeting-status")).to_have_attribute("data-state", "waiting")
        expect(by_id(page, "meeting-title")).to_have_text(reservation["title"])
        expect(by_id(page, "meeting-countdown")).to_contain_text("시작까지")
        opened = f"/api/reservations/{reservation['id']}/open"
        status, body, _ = api.request("POST", opened, {}, token)
        assert status == 200, body
        expect(by_id(page, "chat-peer-name")).to_have_text(ALICE.name, timeout=30_000)
        assert "meet=" not in page.url
    finally:
        close_pages([page], request, "invitee")
