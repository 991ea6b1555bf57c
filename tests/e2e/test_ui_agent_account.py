"""The agent page in a browser: one sign-in and one language across tabs, short messages that
follow the account (imported once from this browser), and a title that names the customer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.relay import ALICE
from tests.support.ui_pages import (
    agent_login,
    by_id,
    close_pages,
    customer_join,
    open_page,
    screenshot,
    start_support,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: what the tests change in alice's account (language, short
    messages, alert and idle settings) is put back after each by ``shared_relay``; each test
    signs in and opens its own pages."""
    return shared_relay


LOCAL_KEY = "rs.agent.short_messages.alice"
OLD_LOCAL = [{"key": "/hi", "text": "Hi {customer}!"}, {"key": "/bye", "text": "Bye now"}]


@pytest.fixture
def pages(request):
    opened: list[Page] = []
    yield opened
    close_pages(opened, request)


def _token(page: Page) -> str:
    return page.evaluate("JSON.parse(sessionStorage.getItem('rs.agent.auth')).token")


def test_a_second_tab_is_signed_in_follows_the_language_and_signs_out_with_the_first(
    browser, relay, pages
):
    """A second /agent tab opens signed in; a language picked in one tab switches the other and
    is saved with the account; signing out in one tab signs out the other."""
    first = open_page(browser, relay.url + "/agent", viewport={"width": 1280, "height": 800})
    pages.append(first)
    agent_login(first)
    second = first.context.new_page()  # a second tab of the same browser
    second.goto(relay.url + "/agent")
    pages.append(second)
    expect(by_id(second, "new-support-button")).to_be_visible()
    expect(by_id(second, "login-username")).to_be_hidden()

    by_id(first, "language-select").select_option("ko")
    expect(second.locator("html")).to_have_attribute("lang", "ko")
    expect(by_id(second, "new-support-button")).to_contain_text("새 상담")
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)

    def language() -> str:
        return api.request("GET", "/api/me/preferences", token=token)[1]["preferences"]["language"]

    wait_until(lambda: language() == "ko", "the language saved with the account")
    screenshot(second, "agent-account-second-tab-ko")

    by_id(second, "logout-button").click()
    expect(by_id(first, "login-username")).to_be_visible()
    expect(by_id(first, "login-error")).to_contain_text("다른 창에서 로그아웃했습니다")
    screenshot(first, "agent-account-signed-out-elsewhere-ko")

    # A fresh sign-in (here: in another browser) starts in the account's language.
    other = open_page(browser, relay.url + "/agent", locale="en-US")
    pages.append(other)
    agent_login(other)
    expect(other.locator("html")).to_have_attribute("lang", "ko")


def test_short_messages_kept_in_this_browser_move_to_the_account_once(browser, relay, pages):
    """Short messages an older page kept in localStorage are imported at sign-in and removed
    there; another browser of the same account then has them, and a second sign-in does not
    add them twice."""
    page = open_page(browser, relay.url + "/agent", viewport={"width": 1280, "height": 800})
    pages.append(page)
    page.evaluate(f"localStorage.setItem({LOCAL_KEY!r}, JSON.stringify({OLD_LOCAL!r}))")
    agent_login(page)
    by_id(page, "settings-button").click()
    expect(by_id(page, "short-item")).to_have_count(2)
    assert page.evaluate(f"localStorage.getItem({LOCAL_KEY!r})") is None
    screenshot(page, "agent-account-short-messages-browser")

    other = open_page(browser, relay.url + "/agent", viewport={"width": 1280, "height": 800})
    pages.append(other)
    other.evaluate(f"localStorage.setItem({LOCAL_KEY!r}, JSON.stringify({OLD_LOCAL!r}))")
    agent_login(other)  # the same old list in a second browser: nothing is added twice
    by_id(other, "settings-button").click()
    expect(by_id(other, "short-item")).to_have_count(2)
    stored = Api(relay.url).request("GET", "/api/me/short_messages", token=_token(other))[1]
    assert [message["key"] for message in stored["short_messages"]] == ["/hi", "/bye"]


def test_the_page_title_names_the_customer(browser, relay, pages):
    """The tab's title says the support waits, then names the customer who joined, in the
    page's language."""
    agent = open_page(browser, relay.url + "/agent")
    pages.append(agent)
    agent_login(agent)
    expect(agent).to_have_title("RemoteSales · Agent")
    code = start_support(agent)
    expect(agent).to_have_title("Waiting for a customer · RemoteSales")
    customer = open_page(browser, relay.url + "/")
    pages.append(customer)
    customer_join(customer, code, name="Chris Park")
    expect(agent).to_have_title("Chris Park · RemoteSales")
    by_id(agent, "language-select").select_option("ko")
    expect(agent).to_have_title("Chris Park 님 · RemoteSales")


def test_an_idle_tab_does_not_sign_out_the_agent_working_in_another(browser, relay, pages):
    """The automatic sign-out counts input in the agent's other tabs: a tab whose own idle time
    is up keeps the sign-in while the agent works in a second tab."""
    first = open_page(browser, relay.url + "/agent")
    pages.append(first)
    agent_login(first)
    second = first.context.new_page()
    second.goto(relay.url + "/agent")
    pages.append(second)
    expect(by_id(second, "new-support-button")).to_be_visible()
    first.evaluate("window.__rsTest.idleSeconds(1, 600000)")  # decide only when asked

    def decision() -> str:
        return first.evaluate("window.__rsTest.idleDecision()")

    wait_until(lambda: decision() == "logout", "the first tab's own idle time to run out")
    second.mouse.move(40, 40)
    second.mouse.move(80, 90)  # the agent works in the second tab
    wait_until(lambda: decision() == "active", "the second tab's input to count")


def test_alert_and_sign_out_settings_kept_in_this_browser_move_to_the_account(
    browser, relay, pages
):
    """Alerts and the idle time an older page kept in localStorage reach the account at
    sign-in (which still had its defaults) and are removed from the browser."""
    page = open_page(browser, relay.url + "/agent")
    pages.append(page)
    page.evaluate(
        "localStorage.setItem('rs.agent.attention', JSON.stringify("
        "{sound: false, volume: 20, notifications: true}));"
        "localStorage.setItem('rs.agent.idle_logout_minutes', '45')"
    )
    agent_login(page)
    api = Api(relay.url)

    def preferences() -> dict:
        return api.request("GET", "/api/me/preferences", token=_token(page))[1]["preferences"]

    wait_until(lambda: preferences()["idle_logout_minutes"] == 45, "the idle time moved")
    assert preferences()["attention"] == {"sound": False, "volume": 20, "notifications": True}
    wait_until(
        lambda: page.evaluate("localStorage.getItem('rs.agent.attention')") is None,
        "the browser's copy removed",
    )
    by_id(page, "settings-button").click()
    by_id(page, "tab-network").click()
    expect(by_id(page, "idle-minutes")).to_have_value("45")
