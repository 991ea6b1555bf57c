"""The admin site's Options, Audit log and Online sections (AD4, AD5) in real Chromium against
a real relay: a change applies to a customer page at once, a bad value is marked under its
field, the audit log shows the change, and ending a session from Online shows every
participant the end screen. Screenshots at 1920×1080 and 1280×800 in English and Korean."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.relay import ALICE, BOB, ROOT
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import PageFactory, by_id, customer_join, screenshot

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("admin-options")
FULL_HD = {"width": 1920, "height": 1080}
WIDE = {"width": 1280, "height": 800}


def shot(page: Page, name: str) -> None:
    """A full-page screenshot in test-artifacts/, copied to the reviewers' folder."""
    path = screenshot(page, f"admin-options-{name}")
    page.screenshot(path=str(path), full_page=True)
    keep_shot(path, SHOTS)


@pytest.fixture
def relay(relay_factory):
    """This module's relay: alice, bob and root (admin), started with --customers-per-session 4."""
    return relay_factory("--customers-per-session", "4", agents=(ROOT,))


def admin_page(open_ui: PageFactory, section: str, viewport=WIDE, locale="en-US") -> Page:
    page = open_ui(f"/admin#{section}", viewport=viewport, locale=locale)
    by_id(page, "login-username").fill(ROOT.username)
    by_id(page, "login-password").fill(ROOT.password)
    by_id(page, "login-button").click()
    expect(page.locator(f"section#{section}")).to_be_visible()
    return page


def test_turning_icons_off_hides_them_on_an_open_customer_page(open_ui, relay) -> None:
    """A waiting agent's icon shows on the relay page; the admin switches icons off in
    Options and the open customer page hides them on its next refresh, without a restart;
    the badge says "Set here" and the audit log lists the change."""
    api = Api(relay.url)
    support = api.new_support(api.login(ALICE.username, ALICE.password))
    customer = open_ui("/", viewport=WIDE)
    expect(by_id(customer, f"agent-icon-{support['icon']}")).to_be_visible()

    admin = admin_page(open_ui, "options")
    switch = by_id(admin, "option-sessions.icons_enabled")
    expect(switch).to_be_checked()
    expect(by_id(admin, "option-source-sessions.customers_per_session")).to_have_text(
        "Command line"
    )
    switch.uncheck()
    by_id(admin, "options-save-sessions").click()
    expect(by_id(admin, "options-message")).to_have_text("Saved. It applies from now on.")
    expect(by_id(admin, "option-source-sessions.icons_enabled")).to_have_text("Set here")
    expect(customer.locator("#icons-section")).to_be_hidden(timeout=15_000)
    status, body, _ = api.request("POST", "/api/join", json={"icon": support["icon"]})
    assert (status, body["error"]["code"]) == (403, "icons_disabled")

    by_id(admin, "nav-audit").click()
    first = by_id(admin, "audit-row").first
    expect(first).to_contain_text("root")
    expect(first).to_contain_text("Agent icons on the relay page")
    expect(first).to_contain_text("On → Off")


def test_a_bad_value_is_marked_under_its_field_and_nothing_is_saved(open_ui, relay) -> None:
    """Customers per session 0 and an unknown file type: each save says why under the field,
    in English and in Korean, and the stored values stay; a reset button returns an admin's
    value to the command line's."""
    admin = admin_page(open_ui, "options", viewport=FULL_HD)
    seats = by_id(admin, "option-sessions.customers_per_session")
    expect(seats).to_have_value("4")
    seats.fill("0")
    by_id(admin, "options-save-sessions").click()
    expect(by_id(admin, "option-error-sessions.customers_per_session")).to_have_text(
        "Enter a whole number from 1 to 50."
    )
    expect(by_id(admin, "options-error")).to_contain_text("Nothing was saved")
    types = by_id(admin, "option-files.file_types")
    types.fill("pdf, zzq")
    by_id(admin, "options-save-files").click()
    expect(by_id(admin, "option-error-files.file_types")).to_contain_text(".zzq")
    shot(admin, "options-errors-1920-en")

    seats.fill("6")
    by_id(admin, "options-save-sessions").click()
    expect(by_id(admin, "options-message")).to_have_text("Saved. It applies from now on.")
    reset = by_id(admin, "option-reset-sessions.customers_per_session")
    expect(reset).to_have_text("Reset to command line (4)")
    shot(admin, "options-1920-en")
    admin.select_option("#language-select", "ko")
    expect(by_id(admin, "option-source-sessions.customers_per_session")).to_have_text("여기서 설정")
    shot(admin, "options-1920-ko")
    by_id(admin, "option-sessions.customers_per_session").fill("51")
    by_id(admin, "options-save-sessions").click()
    expect(by_id(admin, "option-error-sessions.customers_per_session")).to_have_text(
        "1에서 50 사이의 정수를 입력하세요."
    )
    by_id(admin, "option-reset-sessions.customers_per_session").click()
    expect(by_id(admin, "option-sessions.customers_per_session")).to_have_value("4")
    expect(by_id(admin, "option-source-sessions.customers_per_session")).to_have_text("실행 옵션")
    by_id(admin, "nav-audit").click()
    # the two option changes above, over the fixture's accounts made on the command line
    expect(by_id(admin, "audit-row").filter(has_not_text="릴레이 명령줄에서")).to_have_count(2)
    shot(admin, "audit-1920-ko")
    admin.set_viewport_size(WIDE)
    shot(admin, "audit-1280-ko")
    by_id(admin, "nav-options").click()
    shot(admin, "options-1280-ko")


def test_online_shows_a_live_session_and_ends_it_for_everyone(open_ui, relay) -> None:
    """Online lists alice in session with her customer and a running duration and bob
    waiting with his code; End (confirmed) shows the customer the end screen saying an
    administrator ended it, the session leaves the list and its history names the admin."""
    api = Api(relay.url)
    alice = api.login(ALICE.username, ALICE.password)
    support = api.new_support(alice)
    ws_url = relay.url.replace("http", "ws", 1) + "/ws"
    agent = ChatClient(ws_url, "agent", support["session_id"], alice)
    assert agent.connect()["type"] == "welcome"
    customer = open_ui("/", viewport=WIDE)
    customer_join(customer, support["code"], "Chris Park")
    bob_support = api.new_support(api.login(BOB.username, BOB.password))

    admin = admin_page(open_ui, "online", viewport=FULL_HD)
    row = admin.locator(f'[data-session-id="{support["session_id"]}"]')
    expect(row).to_contain_text("Alice Kim")
    expect(row).to_contain_text("In session")
    expect(row.get_by_test_id("online-customers")).to_have_text("Chris Park")
    bob_row = admin.locator(f'[data-session-id="{bob_support["session_id"]}"]')
    expect(bob_row).to_contain_text("Waiting")
    code = bob_support["code"]
    expect(bob_row).to_contain_text(f"{code[:3]} {code[3:6]} {code[6:]}")
    expect(by_id(admin, "online-counts")).to_contain_text("In session: 1 · Waiting: 1")
    expect(admin.locator('[data-testid="online-agent"][data-username="alice"]')).to_contain_text(
        "In session"
    )
    shot(admin, "online-1920-en")
    admin.select_option("#language-select", "ko")
    expect(row).to_contain_text("상담 중")
    shot(admin, "online-1920-ko")
    admin.set_viewport_size(WIDE)
    shot(admin, "online-1280-ko")
    admin.select_option("#language-select", "en")
    shot(admin, "online-1280-en")

    row.get_by_test_id("online-end").click()
    expect(by_id(admin, "end-session-dialog")).to_contain_text("End Alice Kim's session?")
    shot(admin, "online-end-dialog-1280-en")
    by_id(admin, "end-session-confirm").click()
    expect(by_id(customer, "end-screen")).to_be_visible()
    expect(by_id(customer, "end-screen")).to_contain_text("An administrator ended this session.")
    shot(customer, "customer-ended-by-admin-1280-en")
    assert agent.recv_type("session_ended")["ended_by"] == "admin"
    expect(by_id(admin, "online-message")).to_have_text("Session of Alice Kim ended.")
    expect(row).to_have_count(0)
    agent.close()
    # The usage history says who ended it.
    by_id(admin, "nav-history").click()
    history_rows = by_id(admin, "history-row")
    expect(history_rows).to_have_count(1)
    history_rows.first.get_by_role("button").click()
    expect(by_id(admin, "history-detail")).to_contain_text("Admin root")
    shot(admin, "history-ended-by-admin-1280-en")
