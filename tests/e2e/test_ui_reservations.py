"""Reservations (A11) in real Chromium against the real relay: the agent page books one with a
material and an invitee, the invitees wait on their link's countdown page (desktop and phone)
and enter by themselves when the agent opens it, with the material in the file list; early,
cancelled and used links say what happened."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from suite.agent.app.shell import MAIN_SIZE
from tests.support.api import Api
from tests.support.relay import ALICE
from tests.support.reservations import book, wall_clock_in
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import agent_login, by_id, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test books its own reservations."""
    return shared_relay


SHOTS = reviewers_folder("reservations")
DESKTOP_1280 = {"width": 1280, "height": 800}
PHONE_390 = {"width": 390, "height": 844}


def _shot(page: Page, name: str) -> None:
    keep_shot(screenshot(page, f"reservations-{name}"), SHOTS, f"{name}.png")


def _book_on_the_page(agent: Page, material: Path) -> None:
    """Make a reservation through the three tabs: 5 minutes ahead, one topic, one material,
    two invitees (Korean and English)."""
    by_id(agent, "reservations-button").click()
    expect(by_id(agent, "reservation-status")).to_contain_text("No reservations ahead.")
    by_id(agent, "reservation-new").click()
    form = by_id(agent, "reservation-form")
    expect(form).to_be_visible()
    zone = agent.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    expect(by_id(agent, "reservation-zone")).to_have_value(zone)
    by_id(agent, "reservation-title-input").fill("Zephyr quartz pricing")
    by_id(agent, "reservation-start").fill(wall_clock_in(5, zone))
    by_id(agent, "reservation-duration").fill("45")
    _shot(agent, "agent-form-basic-en")
    by_id(agent, "reservation-tab-agenda").click()
    for topic in ("Prices for 2027", "Delivery to Busan"):
        by_id(agent, "reservation-topic").fill(topic)
        by_id(agent, "reservation-topic").press("Enter")
    by_id(agent, "reservation-files").set_input_files(str(material))
    expect(by_id(agent, "reservation-file-item")).to_contain_text("price-list.pdf")
    _shot(agent, "agent-form-agenda-en")
    by_id(agent, "reservation-tab-invite").click()
    invitees = (("kim@example.com", "김민지", "ko"), ("lee@example.com", "Lee Buyer", "en"))
    for email, name, language in invitees:
        by_id(agent, "reservation-email").fill(email)
        by_id(agent, "reservation-invitee-name").fill(name)
        by_id(agent, "reservation-invitee-language").select_option(language)
        by_id(agent, "reservation-add-invitee").click()
    expect(by_id(agent, "reservation-invitee-item")).to_have_count(2)
    _shot(agent, "agent-form-invite-en")
    by_id(agent, "reservation-save").click()
    expect(form).to_be_hidden(timeout=15_000)
    row = by_id(agent, "reservation-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("reservation-title")).to_have_text("Zephyr quartz pricing")
    expect(row).to_contain_text("2 invited")
    expect(row).to_contain_text("1 file")


def test_book_wait_on_the_link_and_enter_when_the_agent_opens(agent_page, open_ui, relay, tmp_path):
    """The agent books with a material; a desktop (Korean) and a phone (English) invitee see
    the agent, title, their own time, agenda and countdown; when the agent double-clicks the
    reservation both enter the chat by themselves and the material is in their file list."""
    material = tmp_path / "price-list.pdf"
    material.write_bytes(b"%PDF-1.4 Zephyr quartz price list\n" * 100)
    _book_on_the_page(agent_page, material)
    _shot(agent_page, "agent-list-en")

    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    (reservation,) = api.request("GET", "/api/reservations", token=token)[1]["reservations"]
    assert [m["name"] for m in reservation["materials"]] == ["price-list.pdf"]
    links = {i["email"]: i["link_url"] for i in reservation["invitees"]}
    path_of = {email: url[url.index("/?meet=") :] for email, url in links.items()}

    kim = open_ui(path_of["kim@example.com"], viewport=DESKTOP_1280)
    lee = open_ui(path_of["lee@example.com"], viewport=PHONE_390)
    expect(by_id(kim, "meeting-status")).to_have_attribute("data-state", "waiting")
    expect(kim.locator("#meeting-spinner")).to_be_visible()  # the agent may open it any moment
    expect(by_id(kim, "meeting-title")).to_have_text("Zephyr quartz pricing")
    expect(by_id(kim, "meeting-agent")).to_have_text(ALICE.name)
    expect(by_id(kim, "meeting-agenda")).to_contain_text("Delivery to Busan")
    expect(by_id(kim, "meeting-countdown")).to_contain_text("시작까지")  # the invitee's language
    expect(by_id(lee, "meeting-countdown")).to_contain_text("Starts in")
    expect(by_id(lee, "meeting-status")).to_contain_text("as soon as the agent opens the meeting")
    # The hours on a line of their own: "오전" stays with its hours, the end with the start.
    expect(by_id(kim, "meeting-hours")).to_have_text(re.compile(r"^오[전후] \d+:\d\d ?~"))
    expect(by_id(lee, "meeting-hours")).to_have_text(re.compile(r"^\d+:\d\d\s.\s\d+:\d\d\s[AP]M$"))
    for page in (kim, lee):
        lines = by_id(page, "meeting-hours").evaluate("(e) => e.getClientRects().length")
        assert lines == 1
    _shot(kim, "customer-waiting-1280-ko")
    _shot(lee, "customer-waiting-390-en")

    row = by_id(agent_page, "reservation-row")
    row.get_by_test_id("reservation-title").dblclick()
    # Waiting, then chatting as soon as the invitees' pages enter (the waiting state is brief).
    expect(by_id(agent_page, "reservations-panel")).to_be_hidden(timeout=15_000)

    for page in (kim, lee):
        expect(by_id(page, "chat-peer-name")).to_have_text(ALICE.name, timeout=30_000)
        expect(page.get_by_test_id("file-name").first).to_have_text("price-list.pdf")
    assert "meet=" not in kim.url  # used: a reload must not try the link again
    _shot(kim, "customer-entered-1280-ko")
    _shot(lee, "customer-entered-390-en")
    expect(agent_page.get_by_test_id("file-name").first).to_have_text("price-list.pdf")
    _shot(agent_page, "agent-opened-en")


def test_early_cancelled_and_used_links_say_what_happened(agent_page, open_ui, relay):
    """An early link counts down and says so; a cancelled one and a used one each say what
    happened, in English and Korean; the agent's list marks overlaps, edits a title and
    cancels after a confirm, and the early link's page then says it was cancelled."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    early = book(api, token, start=wall_clock_in(120), title="Quarterly review")
    book(api, token, start=wall_clock_in(135), title="Overlapping demo", invitees=[])
    cancelled = book(api, token, start=wall_clock_in(60 * 24), title="Showroom visit")
    assert api.request("POST", f"/api/reservations/{cancelled['id']}/cancel", {}, token)[0] == 200
    used = book(api, token, title="Contract signing")
    assert api.request("POST", f"/api/reservations/{used['id']}/open", {}, token)[0] == 200
    used_link = used["invitees"][1]["link_url"]
    secret = used_link.split("meet=")[1]
    assert api.request("POST", f"/api/meetings/{secret}/join", {})[0] == 200

    def link_of(reservation: dict, index: int) -> str:
        url = reservation["invitees"][index]["link_url"]
        return url[url.index("/?meet=") :]

    page = open_ui(link_of(early, 1), viewport=DESKTOP_1280)
    expect(by_id(page, "meeting-status")).to_have_attribute("data-state", "early")
    expect(by_id(page, "meeting-status")).to_contain_text("You are early")
    expect(by_id(page, "meeting-countdown")).to_contain_text(" h ")
    expect(page.locator("#meeting-spinner")).to_be_hidden()  # nothing happens before the window
    expect(by_id(page, "meeting-contact")).to_be_hidden()  # the link still leads in
    _shot(page, "customer-early-1280-en")
    # "Ask your agent" comes with the agent's e-mail and phone as links.
    contact = {"email": "alice@acme.test", "phone": "+82 2-555-0100"}
    assert api.request("PUT", "/api/me", contact, token)[0] == 200
    try:
        for reservation, index, state, text, name in (
            (cancelled, 1, "cancelled", "This meeting was cancelled.", "cancelled-390-en"),
            (cancelled, 0, "cancelled", "이 상담은 취소되었습니다", "cancelled-390-ko"),
            (used, 1, "used", "already been used", "used-390-en"),
        ):
            phone = open_ui(link_of(reservation, index), viewport=PHONE_390)
            expect(by_id(phone, "meeting-status")).to_have_attribute("data-state", state)
            expect(by_id(phone, "meeting-status")).to_contain_text(text)
            email = by_id(phone, "meeting-contact-email")
            expect(email).to_have_attribute("href", "mailto:alice@acme.test")
            dial = by_id(phone, "meeting-contact-phone")
            expect(dial).to_have_attribute("href", "tel:+8225550100")
            expect(by_id(phone, "meeting-contact")).to_contain_text(
                "Contact Alice Kim:" if name.endswith("en") else "Alice Kim 상담원 연락처:"
            )
            box = by_id(phone, "meeting-contact").bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE_390["width"], box
            _shot(phone, f"customer-{name}")
    finally:
        assert api.request("PUT", "/api/me", {"email": "", "phone": ""}, token)[0] == 200

    by_id(agent_page, "reservations-button").click()
    expect(by_id(agent_page, "reservation-overlap")).to_have_count(2)
    _shot(agent_page, "agent-list-overlap-en")
    by_id(agent_page, "language-select").select_option("ko")
    expect(by_id(agent_page, "reservation-list-past")).to_have_text("지난 예약")
    _shot(agent_page, "agent-list-overlap-ko")
    by_id(agent_page, "reservation-new").click()
    by_id(agent_page, "reservation-title-input").fill("견적 상담")
    by_id(agent_page, "reservation-tab-invite").click()
    # The relay's own rendering of the Korean invitation, with the personal link's place.
    expect(by_id(agent_page, "reservation-preview")).to_contain_text("견적 상담")
    expect(by_id(agent_page, "reservation-preview")).to_contain_text("/?meet=")
    _shot(agent_page, "agent-form-invite-ko")
    by_id(agent_page, "reservation-tab-basic").click()
    _shot(agent_page, "agent-form-basic-ko")
    by_id(agent_page, "reservation-form-close").click()
    # A typed title would be lost: Close asks first; Esc asks too.
    expect(by_id(agent_page, "reservation-discard")).to_contain_text("저장하지 않고 닫을까요?")
    _shot(agent_page, "agent-form-discard-ko")
    by_id(agent_page, "reservation-keep-editing").click()
    expect(by_id(agent_page, "reservation-discard")).to_be_hidden()
    agent_page.keyboard.press("Escape")
    expect(by_id(agent_page, "reservation-form")).to_be_visible()
    expect(by_id(agent_page, "reservation-discard")).to_be_visible()
    by_id(agent_page, "reservation-discard-confirm").click()
    expect(by_id(agent_page, "reservation-form")).to_be_hidden()
    by_id(agent_page, "reservation-new").click()  # nothing entered: Close just closes
    by_id(agent_page, "reservation-form-close").click()
    expect(by_id(agent_page, "reservation-form")).to_be_hidden()
    demo = agent_page.locator('[data-testid="reservation-row"]', has_text="Overlapping demo")
    demo.get_by_test_id("reservation-edit").click()
    expect(by_id(agent_page, "reservation-title-input")).to_have_value("Overlapping demo")
    by_id(agent_page, "reservation-title-input").fill("Zephyr demo, moved")
    by_id(agent_page, "reservation-save").click()
    expect(by_id(agent_page, "reservation-form")).to_be_hidden()
    expect(agent_page.get_by_text("Zephyr demo, moved")).to_be_visible()
    row = agent_page.locator('[data-testid="reservation-row"]', has_text="Quarterly review")
    row.get_by_test_id("reservation-cancel").click()
    expect(by_id(agent_page, "reservation-cancel-dialog")).to_be_visible()
    _shot(agent_page, "agent-cancel-confirm-ko")
    by_id(agent_page, "reservation-cancel-confirm").click()
    expect(row).to_have_count(0)
    by_id(agent_page, "reservation-list-past").click()
    expect(by_id(agent_page, "reservation-badge").first).to_be_visible()
    _shot(agent_page, "agent-list-past-ko")
    page.reload()
    expect(by_id(page, "meeting-status")).to_have_attribute("data-state", "cancelled")


def test_meeting_times_read_right_across_daylight_saving_in_chromium(open_ui):
    """The page's time helpers show 10:00 in New York on both sides of the spring change
    (15:00 and 14:00 UTC), count down in the two largest units, and fill the form's start
    in the chosen zone."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const m = await import("/ui/common/reservations/meeting_time.js");
            const zone = "America/New_York";
            return {
                before: m.formatMeetingTime("2027-03-13T15:00:00+00:00",
                    "2027-03-13T15:30:00+00:00", "en", zone),
                after: m.formatMeetingTime("2027-03-15T14:00:00+00:00",
                    "2027-03-15T14:30:00+00:00", "en", zone),
                seoul: m.formatShortTime("2027-03-15T14:00:00+00:00", "ko-KR", "Asia/Seoul"),
                parts: [3725, 45, 90061].map((s) => m.countdownParts(s)),
                wall: m.wallClockValue(Date.parse("2027-03-14T06:50:00Z"), 10, zone),
            };
        }"""
    )
    assert "10:00" in result["before"] and "10:00" in result["after"]
    assert "오후 11:00" in result["seoul"]
    assert result["parts"] == [
        [{"unit": "h", "n": 1}, {"unit": "m", "n": 2}],
        [{"unit": "s", "n": 45}],
        [{"unit": "d", "n": 1}, {"unit": "h", "n": 1}],
    ]
    assert result["wall"] == "2027-03-14T03:00"  # 07:00 UTC: just after the clocks skipped 2-3


def test_the_form_stays_put_across_tabs_and_invites_a_typed_address(open_ui, relay):
    """At the desktop app's main window size the booking dialog keeps one place and height on
    all three tabs (its tabs no longer jump under the pointer), and an address typed in the
    invite row without pressing Add is invited by Save, not dropped; Enter adds the next."""
    agent = open_ui("/agent", viewport={"width": MAIN_SIZE[0], "height": MAIN_SIZE[1]})
    agent_login(agent)
    by_id(agent, "reservations-button").click()
    by_id(agent, "reservation-new").click()
    by_id(agent, "reservation-title-input").fill("Typed, not added")
    boxes = {}
    for tab in ("basic", "agenda", "invite", "basic"):
        by_id(agent, f"reservation-tab-{tab}").click()
        tabs = by_id(agent, f"reservation-tab-{tab}").bounding_box()
        form = by_id(agent, "reservation-form").bounding_box()
        assert tabs is not None and form is not None
        boxes[tab] = (round(tabs["y"]), round(form["height"]))
    assert len(set(boxes.values())) == 1, boxes
    by_id(agent, "reservation-tab-invite").click()
    by_id(agent, "reservation-email").fill("kim@example.com")
    by_id(agent, "reservation-email").press("Enter")
    expect(by_id(agent, "reservation-invitee-item")).to_have_count(1)
    by_id(agent, "reservation-email").fill("lee@example.com")  # typed, Add not pressed
    _shot(agent, "agent-form-typed-address-en")
    by_id(agent, "reservation-save").click()
    expect(by_id(agent, "reservation-form")).to_be_hidden(timeout=15_000)
    row = agent.locator('[data-testid="reservation-row"]', has_text="Typed, not added")
    expect(row).to_contain_text("2 invited")
