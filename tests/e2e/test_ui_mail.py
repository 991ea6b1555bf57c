"""Mail in real Chromium against a real relay and a real SMTP server on loopback: the admin's
mail settings and test mail (AD4), and "E-mail the invitation" in the agent's waiting panel
(A3) on /agent and in the desktop app's chat window, in English and Korean."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.desktop_ui import desktop_page, local_call, main_window_page
from tests.support.relay import ALICE, ROOT
from tests.support.reservations import book, meeting, wall_clock_in
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.smtp_server import SmtpServer
from tests.support.ui_pages import PageFactory, agent_login, by_id, screenshot, start_support
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("mail")
WIDE = {"width": 1280, "height": 800}
CHAT_WINDOW = {"width": 960, "height": 720}  # the desktop chat window's default (shell.py)


def shot(page: Page, name: str) -> None:
    """A screenshot in test-artifacts/, copied to the reviewers' folder."""
    keep_shot(screenshot(page, f"mail-{name}"), SHOTS)


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def relay(relay_factory, smtp):
    """This module's relay: alice, bob and root; mail through ``smtp``, retries after 0.3 s."""
    return relay_factory(*smtp.relay_args(), "--mail-retry-first", "0.3", agents=(ROOT,))


def admin_mail_page(open_ui: PageFactory, locale: str = "en-US") -> Page:
    page = open_ui("/admin#mail", viewport=WIDE, locale=locale)
    by_id(page, "login-username").fill(ROOT.username)
    by_id(page, "login-password").fill(ROOT.password)
    by_id(page, "login-button").click()
    expect(by_id(page, "mail-form")).to_be_visible()
    return page


def test_admin_sets_the_mail_server_and_sends_a_test_mail(open_ui: PageFactory, smtp) -> None:
    """The admin sees where each value comes from, saves a password that is never shown back,
    sees the change in the audit list, and the test mail reports the server's 250."""
    page = admin_mail_page(open_ui)
    expect(by_id(page, "mail-host")).to_have_value("127.0.0.1")
    expect(page.locator("#mail-host-source")).to_have_text("From the relay's command line")
    expect(by_id(page, "mail-password-state")).to_have_text("Not set.")
    # A bad port is refused at once, with its reason.
    by_id(page, "mail-port").fill("70000")
    by_id(page, "mail-save").click()
    expect(by_id(page, "mail-error")).to_contain_text("a port is a number from 1 to 65535")
    by_id(page, "mail-port").fill(str(smtp.port))
    by_id(page, "mail-sender-name").fill("Acme Sales")
    # The reservations' reminder lead is set in one place, Options: here it is only shown.
    expect(by_id(page, "mail-reminder")).to_have_text(
        "15 minutes before each reservation, to every invitee and the agent."
    )
    expect(page.locator("#mail-reminder_minutes")).to_have_count(0)
    by_id(page, "mail-password").fill("relay-secret-1")
    by_id(page, "mail-save").click()
    expect(by_id(page, "mail-message")).to_have_text(
        "Mail settings saved. They apply to the next mail."
    )
    expect(by_id(page, "mail-password")).to_have_value("")
    expect(by_id(page, "mail-password-state")).to_have_text("Set. Leave empty to keep it.")
    expect(by_id(page, "mail-audit")).to_contain_text("root · Password: (empty) → (set)")
    expect(by_id(page, "mail-audit")).to_contain_text("Sender name: RemoteSales → Acme Sales")
    assert "relay-secret-1" not in page.content()
    # aiosmtpd offers no sign-in: with the password and no user name the mail goes.
    by_id(page, "mail-test-to").fill("admin@example.com")
    by_id(page, "mail-test-button").click()
    expect(by_id(page, "mail-test-result")).to_have_text(
        re.compile(r"^The server took the mail: 250 ")
    )
    received = smtp.wait_for_address("admin@example.com")
    assert str(received.message["From"]) == "Acme Sales <relay@example.com>"
    shot(page, "admin-settings-en-1280x800")
    page.get_by_test_id("language-select").select_option("ko")
    expect(page.locator("#mail-title")).to_have_text("메일")
    shot(page, "admin-settings-ko-1280x800")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(by_id(page, "mail-save")).to_be_visible()
    shot(page, "admin-settings-ko-390x844")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "admin-settings-ko-1920x1080")
    by_id(page, "mail-reminder-link").click()
    reminders = by_id(page, "options-group-reminders")
    expect(reminders).to_be_visible()
    expect(reminders.get_by_test_id("option-mail.reminder_minutes")).to_have_value("15")


def _open_invite(page: Page) -> None:
    by_id(page, "email-invitation").click()
    expect(by_id(page, "mail-dialog")).to_be_visible()
    expect(by_id(page, "invite-preview-body")).to_contain_text("Alice Kim")


def test_agent_emails_the_invitation_and_sees_each_state(open_ui: PageFactory, smtp, relay) -> None:
    """Bad addresses are marked at their field; the preview follows each row's language; the
    sent invitations show Sent, and a refused one Failed with the server's answer and its
    personal link closed; a mailed personal link withdrawn from the list no longer opens the
    session."""
    smtp.refuse_recipient("gone@example.com")
    page = open_ui("/agent", viewport=WIDE)
    agent_login(page)
    code = start_support(page)
    _open_invite(page)
    expect(by_id(page, "invite-preview-subject")).to_have_text(
        "Subject: Alice Kim invites you to a live consultation"
    )
    addresses = by_id(page, "invite-address")
    addresses.nth(0).fill("kim@example")
    by_id(page, "invite-add").click()
    addresses.nth(1).fill("park@example.com")
    by_id(page, "invite-lang").nth(1).select_option("ko")
    expect(by_id(page, "invite-preview-subject")).to_have_text(
        "Subject: Alice Kim 상담원이 원격 상담에 초대했습니다"
    )
    # Each recipient gets a personal link: the preview shows where it goes, and no code.
    expect(by_id(page, "invite-preview-body")).to_contain_text("/?invite=personal-link")
    expect(by_id(page, "invite-preview-body")).not_to_contain_text(code[:3] + " " + code[3:6])
    by_id(page, "invite-add").click()
    addresses.nth(2).fill("gone@example.com")
    expect(by_id(page, "invite-send")).to_have_text("Send 3 invitations")
    by_id(page, "invite-send").click()
    expect(page.locator(".agent-mail__problem").nth(0)).to_have_text(
        "That is not an e-mail address (like kim@example.com)."
    )
    expect(addresses.nth(0)).to_be_focused()
    shot(page, "agent-invite-form-en-1280x800")
    addresses.nth(0).fill("kim@example.com")
    by_id(page, "invite-send").click()
    expect(by_id(page, "mail-dialog")).to_be_hidden()
    states = by_id(page, "mail-state")
    expect(states).to_have_count(3)
    expect(states.nth(0)).to_have_attribute("data-state", "sent", timeout=15_000)
    expect(states.nth(1)).to_have_attribute("data-state", "sent", timeout=15_000)
    expect(states.nth(2)).to_have_attribute("data-state", "failed", timeout=15_000)
    expect(states.nth(2)).to_contain_text("550 5.1.1 No such user")
    expect(states.nth(2).get_by_test_id("mail-link-state")).to_have_text(
        "Link closed: the mail did not arrive"
    )
    korean = smtp.wait_for_address("park@example.com")
    assert "원격 상담" in korean.part("html") and "/?invite=" in korean.part("plain")
    assert code not in korean.part("plain").replace(" ", "")
    # Each mailed link can be withdrawn from the list; Kim's link then opens nothing.
    expect(by_id(page, "mail-withdraw")).to_have_count(2)
    states.nth(0).get_by_test_id("mail-withdraw").click()
    expect(states.nth(0).get_by_test_id("mail-link-state")).to_have_text("Link withdrawn")
    expect(by_id(page, "mail-withdraw")).to_have_count(1)
    secret = re.findall(
        r"/\?invite=([A-Za-z0-9_-]+)", smtp.wait_for_address("kim@example.com").part("plain")
    )[0]
    status, body, _ = Api(relay.url).request(
        "POST", "/api/join", {"invitation": secret, "name": "Kim"}
    )
    assert (status, body["error"]["code"]) == (410, "invitation_revoked")
    states.nth(2).scroll_into_view_if_needed()
    shot(page, "agent-invite-states-en-1280x800")
    # The received mail as a mail program shows it.
    for lang, address in (("en", "kim@example.com"), ("ko", "park@example.com")):
        mail = open_ui("/agent", viewport={"width": 800, "height": 760})
        mail.set_content(smtp.wait_for_address(address).part("html"))
        expect(mail.get_by_role("link")).to_have_count(1)
        shot(mail, f"received-html-{lang}")


def test_invitation_in_korean_and_in_the_desktop_chat_window(
    browser, recorded_app, open_ui: PageFactory, smtp
) -> None:
    """The desktop app's chat window (its default size, through the app's relay proxy) sends
    the invitation; in Korean the form and the states read in Korean."""
    pages: list[Page] = []
    try:
        app = recorded_app.app
        main = main_window_page(browser, app)
        pages.append(main)
        by_id(main, "login-username").fill(ALICE.username)
        by_id(main, "login-password").fill(ALICE.password)
        by_id(main, "login-button").click()
        expect(by_id(main, "new-support-button")).to_be_visible()
        with local_call(main, "POST", "/local/windows/chat") as answer:
            by_id(main, "new-support-button").click()
        session_id = answer.value.request.post_data_json["session_id"]
        chat = desktop_page(browser, app.page_url("agent/index.html", session=session_id),
                            CHAT_WINDOW)  # fmt: skip
        pages.append(chat)
        expect(by_id(chat, "access-code")).to_have_text(re.compile(r"^\d{9}$"))
        _open_invite(chat)
        by_id(chat, "invite-address").nth(0).fill("desk@example.com")
        shot(chat, "desktop-chat-invite-en-960x720")
        by_id(chat, "invite-send").click()
        expect(by_id(chat, "mail-state")).to_have_attribute("data-state", "sent", timeout=15_000)
        smtp.wait_for_address("desk@example.com")
        chat.get_by_test_id("language-select").select_option("ko")
        expect(by_id(chat, "mail-state")).to_contain_text("보냄")
        by_id(chat, "mail-state").scroll_into_view_if_needed()
        shot(chat, "desktop-chat-states-ko-960x720")
        _open_invite(chat)
        expect(by_id(chat, "invite-preview-subject")).to_contain_text("원격 상담에 초대했습니다")
        shot(chat, "desktop-chat-invite-ko-960x720")
    finally:
        for page in pages:
            page.context.close()

    agent = open_ui("/agent", viewport=WIDE, locale="ko-KR")
    agent_login(agent)
    start_support(agent)
    by_id(agent, "email-invitation").click()
    expect(by_id(agent, "invite-preview-subject")).to_contain_text("원격 상담에 초대했습니다")
    by_id(agent, "invite-address").nth(0).fill("lee@example.com")
    shot(agent, "agent-invite-form-ko-1280x800")


ADDRESS_CASES = [
    "kim@example.com", "a.b+c@sub.example.co.kr", "h@예시.한국", "", "no-at-sign",
    "a@@example.com", "a@example", "a b@example.com", "a@example.com\r\nBcc: x@example.com",
    "Kim <kim@example.com>", "a@-bad-.com", "a" * 65 + "@example.com",
]  # fmt: skip


def test_the_page_checks_addresses_as_the_relay_does(open_ui: PageFactory) -> None:
    """ui/common/mail/addresses.js accepts and refuses the same addresses as the relay."""
    from relay_server.mail.addresses import address_problem

    page = open_ui("/")
    verdicts = page.evaluate(
        """async (cases) => {
            const m = await import("/ui/common/mail/addresses.js");
            return cases.map((address) => m.addressProblem(address) === null);
        }""",
        ADDRESS_CASES,
    )
    assert verdicts == [address_problem(a) is None for a in ADDRESS_CASES]


@pytest.fixture(scope="module")
def xvfb():
    """A private 1920x1080 X display for the real agent app."""
    from tests.support.desktop_flow import private_display

    yield from private_display()


def test_the_desktop_app_emails_the_invitation(relay, smtp, xvfb, tmp_path, artifacts_dir) -> None:
    """The real agent app (QtWebEngine under a 1920x1080 Xvfb, chat window at its default
    size) e-mails the invitation through its relay proxy, and shows it sent."""
    from tests.support.agent_app import AgentApp
    from tests.support.cdp import by_test_id
    from tests.support.desktop_flow import (
        ACCESS_CODE_JS,
        driving,
        main_page,
        open_support_window,
        sign_in,
    )

    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    with driving(app, artifacts_dir, "desktop-mail") as windows:
        main = main_page(app)
        windows.pages.append(main)
        sign_in(main)
        chat = open_support_window(app, main, windows.pages)
        chat.wait_for(ACCESS_CODE_JS)
        chat.click(by_test_id("email-invitation"))
        chat.wait_for(
            f"document.querySelector('{by_test_id('invite-preview-body')}')"
            ".textContent.includes('Alice Kim')"
        )
        chat.fill(by_test_id("invite-address"), "app@example.com")
        for name in ("desktop-app-invite-form-1920x1080",):
            keep_shot(chat.screenshot(artifacts_dir / f"mail-{name}.png"), SHOTS)
        chat.click(by_test_id("invite-send"))
        chat.wait_for(
            f"document.querySelector('{by_test_id('mail-state')}')?.dataset.state === 'sent'",
            timeout_s=20,
        )
        smtp.wait_for_address("app@example.com")
        chat.evaluate(f"document.querySelector('{by_test_id('mail-state')}').scrollIntoView()")
        keep_shot(
            chat.screenshot(artifacts_dir / "mail-desktop-app-invite-sent-1920x1080.png"), SHOTS
        )


def test_the_customer_follows_the_mailed_personal_link_on_a_phone(
    open_ui: PageFactory, smtp, relay
) -> None:
    """The link from the received invitation opens the customer page without a code field;
    the customer types a name and is in the agent's chat."""
    page = open_ui("/agent", viewport=WIDE)
    agent_login(page)
    start_support(page)
    _open_invite(page)
    by_id(page, "invite-address").nth(0).fill("phone@example.com")
    by_id(page, "invite-send").click()
    expect(by_id(page, "mail-state")).to_have_attribute("data-state", "sent", timeout=15_000)
    mail = smtp.wait_for_address("phone@example.com")
    [link] = re.findall(r"https?://\S+/\?invite=[A-Za-z0-9_-]+", mail.part("plain"))
    assert f'href="{link}"' in mail.part("html")
    customer = open_ui(link.removeprefix(relay.url), viewport={"width": 390, "height": 844})
    expect(by_id(customer, "invitation-note")).to_be_visible()
    expect(by_id(customer, "code-input")).to_be_hidden()
    by_id(customer, "name-input").fill("Phone Customer")
    by_id(customer, "join-button").click()
    expect(by_id(customer, "chat-input")).to_be_visible()
    shot(customer, "customer-from-mailed-link-390x844")


def test_a_reservation_invitee_whose_mail_bounced_is_marked_in_the_invite_list(
    open_ui: PageFactory, smtp, relay
) -> None:
    """A reservation's invitee whose invitation the server refused shows "Link closed: the mail
    did not arrive" (and no link to copy) in the reservation's invite list, in English and
    Korean; the other invitee keeps its link."""
    smtp.refuse_recipient("gone@example.com")
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    invitees = [
        {"email": "gone@example.com", "name": "Gone Buyer", "language": "en"},
        {"email": "kim@example.com", "name": "김민지", "language": "ko"},
    ]
    reservation = book(api, token, start=wall_clock_in(120), invitees=invitees)
    path = f"/api/reservations/{reservation['id']}"
    wait_until(
        lambda: api.request("GET", path, token=token)[1]["reservation"]["invitees"][0].get(
            "undelivered"
        ),
        "the bounced invitee's link closed",
    )
    page = open_ui("/agent", viewport=WIDE)
    agent_login(page)
    by_id(page, "reservations-button").click()
    by_id(page, "reservation-edit").click()
    by_id(page, "reservation-tab-invite").click()
    items = by_id(page, "reservation-invitee-item")
    expect(items).to_have_count(2)
    expect(items.nth(0).get_by_test_id("reservation-invitee-undelivered")).to_have_text(
        "Link closed: the mail did not arrive"
    )
    expect(items.nth(0).get_by_test_id("reservation-copy-link")).to_have_count(0)
    expect(items.nth(1).get_by_test_id("reservation-invitee-undelivered")).to_have_count(0)
    expect(items.nth(1).get_by_test_id("reservation-copy-link")).to_be_visible()
    shot(page, "reservation-invitee-undelivered-en")
    by_id(page, "language-select").select_option("ko")
    expect(items.nth(0).get_by_test_id("reservation-invitee-undelivered")).to_have_text(
        "메일이 전달되지 않아 링크를 닫았습니다"
    )
    shot(page, "reservation-invitee-undelivered-ko")


def test_adding_a_bounced_invitee_again_re_invites_it_with_one_save(
    open_ui: PageFactory, smtp, relay
) -> None:
    """The agent removes the invitee whose invitation bounced, adds the same address again and
    saves once: the relay gives it a fresh link and mails a new invitation, which arrives."""
    smtp.refuse_recipient("moved@example.com")
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    invitees = [{"email": "moved@example.com", "name": "Moved Buyer", "language": "en"}]
    reservation = book(api, token, start=wall_clock_in(120), invitees=invitees)
    path = f"/api/reservations/{reservation['id']}"

    def invitee() -> dict:
        return api.request("GET", path, token=token)[1]["reservation"]["invitees"][-1]

    wait_until(lambda: invitee().get("undelivered"), "the bounced invitee's link closed")
    old_link = invitee()["link_url"]
    smtp.clear()  # the address takes mail again
    page = open_ui("/agent", viewport=WIDE)
    agent_login(page)
    by_id(page, "reservations-button").click()
    by_id(page, "reservation-edit").click()
    by_id(page, "reservation-tab-invite").click()
    items = by_id(page, "reservation-invitee-item")
    expect(items.nth(0).get_by_test_id("reservation-invitee-undelivered")).to_be_visible()
    items.nth(0).get_by_role("button", name="Remove moved@example.com").click()
    expect(items).to_have_count(0)
    by_id(page, "reservation-email").fill("moved@example.com")
    by_id(page, "reservation-invitee-name").fill("Moved Buyer")
    by_id(page, "reservation-add-invitee").click()
    expect(items).to_have_count(1)
    expect(items.nth(0).get_by_test_id("reservation-invitee-undelivered")).to_have_count(0)
    shot(page, "reservation-bounced-invitee-added-again")
    by_id(page, "reservation-save").click()

    mail = smtp.wait_for_address("moved@example.com")
    now = invitee()
    assert not now.get("undelivered") and not now.get("revoked")
    assert now["link_url"] != old_link
    assert now["link_url"] in mail.part("plain")
    assert meeting(api, now["link_url"])[1]["meeting"]["state"] == "early"


def test_a_booking_with_a_file_mails_invitations_that_list_it(
    open_ui: PageFactory, smtp, relay, tmp_path
) -> None:
    """A reservation booked in the editor with a material file and an invitee, in one save:
    the preview and the invitation that arrives (text and HTML) list the file's name and size,
    with no link to it."""
    smtp.clear()
    material = tmp_path / "price-list.pdf"
    material.write_bytes(b"%PDF-1.4 price list\n" * 170)  # 3,400 bytes: 3.3 KiB
    page = open_ui("/agent", viewport=WIDE)
    agent_login(page)
    by_id(page, "reservations-button").click()
    by_id(page, "reservation-new").click()
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    by_id(page, "reservation-title-input").fill("Zephyr quartz pricing")
    by_id(page, "reservation-start").fill(wall_clock_in(120, zone))
    by_id(page, "reservation-tab-agenda").click()
    by_id(page, "reservation-files").set_input_files(str(material))
    by_id(page, "reservation-tab-invite").click()
    by_id(page, "reservation-email").fill("files@example.com")
    by_id(page, "reservation-add-invitee").click()
    preview = by_id(page, "reservation-preview")
    expect(preview).to_contain_text("Files:\n  - price-list.pdf (3.3 KiB)")
    shot(page, "reservation-invitation-preview-with-files")
    by_id(page, "reservation-save").click()
    expect(by_id(page, "reservation-form")).to_be_hidden(timeout=15_000)

    mail = smtp.wait_for_address("files@example.com")
    assert "Files:\n  - price-list.pdf (3.3 KiB)\n" in mail.part("plain").replace("\r\n", "\n")
    assert "<li>price-list.pdf (3.3 KiB)</li>" in mail.part("html")
    assert len(smtp.messages_to("files@example.com")) == 1
    assert "/api/files" not in mail.part("html") and "/materials" not in mail.part("html")
