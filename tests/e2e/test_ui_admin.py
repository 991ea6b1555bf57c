"""The admin site (AD1) in real Chromium against a real relay: an admin signs in, creates an
agent who then signs in on /agent, disables it (its sign-in is refused), enables it, resets its
password; an agent is told this is not an admin; the page works on a phone and in Korean.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.relay import ROOT
from tests.support.ui_pages import PHONE, PageFactory, agent_login, by_id, screenshot


@pytest.fixture
def relay(relay_factory):
    """This module's relay: alice and bob (agents) and root (admin)."""
    return relay_factory(agents=(ROOT,))


WRONG_WITH_TRIES_LEFT = (
    "Wrong ID or password. 4 more wrong tries lock this ID from this network for 10 minutes."
)


def admin_login(page: Page, username: str = ROOT.username, password: str = ROOT.password) -> None:
    by_id(page, "login-username").fill(username)
    by_id(page, "login-password").fill(password)
    by_id(page, "login-button").click()


def row(page: Page, username: str):
    return page.locator(f'[data-testid="account-row"][data-username="{username}"]')


def test_admin_creates_disables_enables_and_resets_an_agent(open_ui: PageFactory) -> None:
    """The whole AD1 round: each change shows in the table and takes effect on /agent."""
    admin = open_ui("/admin")
    admin_login(admin)
    expect(by_id(admin, "admin-me")).to_have_text("Signed in as Rita Root")
    expect(by_id(admin, "account-row")).to_have_count(3)
    expect(row(admin, "root")).to_contain_text("(you)")
    expect(row(admin, "root").get_by_test_id("disable-button")).to_have_count(0)

    # Create: a short password is refused in place, then the account appears.
    by_id(admin, "create-username").fill("carol")
    by_id(admin, "create-name").fill("Carol Choi")
    by_id(admin, "create-password").fill("short")
    by_id(admin, "create-button").click()
    expect(by_id(admin, "create-error")).to_have_text(
        "The password is too short: use at least 8 characters."
    )
    by_id(admin, "create-password").fill("carol-password")
    by_id(admin, "create-button").click()
    expect(row(admin, "carol")).to_contain_text("Carol Choi")
    expect(by_id(admin, "accounts-message")).to_contain_text("Account carol created")
    expect(by_id(admin, "create-error")).to_be_empty()
    expect(by_id(admin, "create-username")).to_have_value("")
    # A duplicate ID is refused with its own message.
    by_id(admin, "create-username").fill("alice")
    by_id(admin, "create-password").fill("whatever-123")
    by_id(admin, "create-button").click()
    expect(by_id(admin, "create-error")).to_have_text("An account with that ID exists already.")

    carol = open_ui("/agent")
    agent_login(carol, "carol", "carol-password")
    expect(by_id(carol, "agent-name")).to_have_text("Carol Choi")

    # Disable asks first (it cuts off live calls): Cancel changes nothing.
    row(admin, "carol").get_by_test_id("disable-button").click()
    expect(by_id(admin, "disable-dialog")).to_contain_text("Disable carol?")
    screenshot(admin, "admin-disable-confirm")
    by_id(admin, "disable-cancel").click()
    expect(by_id(admin, "disable-dialog")).to_be_hidden()
    expect(row(admin, "carol").get_by_test_id("account-status")).to_have_text("Active")
    # Confirmed: the table says so, carol's open page loses its sign-in, a new login is refused.
    row(admin, "carol").get_by_test_id("disable-button").click()
    by_id(admin, "disable-confirm").click()
    expect(row(admin, "carol").get_by_test_id("account-status")).to_have_text("Disabled")
    expect(by_id(admin, "accounts-message")).to_contain_text("carol is disabled")
    by_id(carol, "new-support-button").click()
    expect(by_id(carol, "login-button")).to_be_visible()
    agent_login_attempt = by_id(carol, "login-error")
    by_id(carol, "login-username").fill("carol")
    by_id(carol, "login-password").fill("carol-password")
    by_id(carol, "login-button").click()
    expect(agent_login_attempt).to_have_text(
        "This account is disabled. Contact your administrator."
    )

    # Enable, then reset the password through the dialog (a short one is refused first).
    row(admin, "carol").get_by_test_id("enable-button").click()
    expect(row(admin, "carol").get_by_test_id("account-status")).to_have_text("Active")
    row(admin, "carol").get_by_test_id("reset-button").click()
    dialog = by_id(admin, "reset-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Reset the password of carol")
    by_id(admin, "reset-password").fill("1234")
    by_id(admin, "reset-submit").click()
    expect(by_id(admin, "reset-error")).to_have_text(
        "The password is too short: use at least 8 characters."
    )
    by_id(admin, "reset-password").fill("carol-new-pass")
    by_id(admin, "reset-submit").click()
    expect(dialog).to_be_hidden()
    expect(by_id(admin, "accounts-message")).to_have_text("The password of carol was changed.")
    screenshot(admin, "admin-accounts")

    by_id(carol, "login-password").fill("carol-password")
    by_id(carol, "login-button").click()
    expect(agent_login_attempt).to_have_text(WRONG_WITH_TRIES_LEFT)
    by_id(carol, "login-password").fill("carol-new-pass")
    by_id(carol, "login-button").click()
    expect(by_id(carol, "new-support-button")).to_be_visible()


def test_an_agent_is_told_the_admin_site_is_not_theirs(open_ui: PageFactory, relay) -> None:
    """alice's right password gets "not an admin", no admin view, and her token is dropped."""
    page = open_ui("/admin")
    admin_login(page, "alice", "alice-password-1")
    expect(by_id(page, "login-error")).to_have_text(
        "This account is not an admin. Sign in with an administrator account."
    )
    expect(by_id(page, "accounts-table")).to_be_hidden()
    expect(by_id(page, "logout-button")).to_be_hidden()
    admin_login(page, "alice", "wrong-password")
    expect(by_id(page, "login-error")).to_have_text(WRONG_WITH_TRIES_LEFT)


def test_sign_in_survives_a_reload_and_logout_ends_it(open_ui: PageFactory) -> None:
    """The admin stays signed in across a reload; Log out returns to the form for good."""
    page = open_ui("/admin")
    admin_login(page)
    expect(by_id(page, "account-row")).to_have_count(3)
    page.reload()
    expect(by_id(page, "account-row")).to_have_count(3)
    by_id(page, "logout-button").click()
    expect(by_id(page, "login-error")).to_have_text("You are signed out.")
    page.reload()
    expect(by_id(page, "login-button")).to_be_visible()
    expect(by_id(page, "accounts-table")).to_be_hidden()


def test_admin_site_on_a_phone_in_korean(open_ui: PageFactory) -> None:
    """At 375 px in Korean: translated, one card per account, nothing wider than the screen."""
    page = open_ui("/admin", viewport=PHONE, locale="ko-KR")
    expect(by_id(page, "login-button")).to_have_text("로그인")
    admin_login(page)
    expect(page.locator("#accounts-title")).to_have_text("계정")
    expect(by_id(page, "accounts-count")).to_have_text("계정 3개")
    expect(row(page, "alice").get_by_test_id("account-status")).to_have_text("정상")
    expect(by_id(page, "accounts-table").locator("thead")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    reset = row(page, "alice").get_by_test_id("reset-button")
    reset.scroll_into_view_if_needed()
    box = reset.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "admin-phone-ko")
    row(page, "alice").get_by_test_id("disable-button").click()
    expect(by_id(page, "disable-dialog")).to_contain_text("alice 계정을 중지할까요?")
    screenshot(page, "admin-disable-confirm-phone-ko")
    by_id(page, "disable-confirm").click()
    expect(row(page, "alice").get_by_test_id("account-status")).to_have_text("중지됨")
    by_id(page, "language-select").select_option("en")
    expect(row(page, "alice").get_by_test_id("account-status")).to_have_text("Disabled")


def test_the_agent_page_links_to_the_admin_site(agent_page: Page) -> None:
    """The browser agent page now shows "Admin page", which opens /admin in a new tab."""
    button = by_id(agent_page, "admin-button")
    expect(button).to_be_visible()
    with agent_page.context.expect_page() as opened:
        button.click()
    admin = opened.value
    admin.wait_for_load_state()
    assert admin.url.endswith("/admin")
    expect(by_id(admin, "login-button")).to_be_visible()
    admin.close()


def test_every_string_of_the_admin_page_exists(open_ui: PageFactory) -> None:
    """Each data-i18n key in the admin page's markup is in the English and Korean tables."""
    page = open_ui("/admin")
    expect(by_id(page, "login-button")).to_be_visible()
    missing = page.evaluate(
        """async () => {
            const { i18n } = await import("/ui/common/i18n.js");
            const en = new Set(i18n.keys("en"));
            const ko = new Set(i18n.keys("ko"));
            const keys = new Set();
            for (const el of document.querySelectorAll("*")) {
                for (const name of ["i18n", "i18nPlaceholder", "i18nAriaLabel", "i18nTitle"]) {
                    if (el.dataset[name]) keys.add(el.dataset[name]);
                }
            }
            return [...keys].filter((key) => !en.has(key) || !ko.has(key));
        }"""
    )
    assert missing == []
