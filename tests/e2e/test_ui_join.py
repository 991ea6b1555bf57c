"""The customer's relay page: joining by code or icon number, and its errors (C1)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.ui_pages import (
    PHONE,
    PageFactory,
    by_id,
    customer_join,
    open_page,
    page_errors,
    screenshot,
    start_support,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer. The tests that
    need a relay of their own start one: a short code lifetime, and the wrong-code count from
    this address starting at zero; the one that stops the relay leaves it for the next test to
    start again."""
    return shared_relay


def test_join_by_icon_number_knocks_and_the_agent_admits(
    agent_page: Page, open_ui: PageFactory
) -> None:
    """A waiting agent's icon number is listed on the relay page; clicking it asks the agent,
    who sees "Dana is asking to join" and admits: both are in the chat."""
    start_support(agent_page)
    icon = by_id(agent_page, "icon-number").inner_text().strip()

    customer = open_ui("/")
    tile = by_id(customer, f"agent-icon-{icon}")
    expect(tile).to_be_visible()
    expect(tile).to_contain_text("Alice Kim")
    by_id(customer, "name-input").fill("Dana")
    tile.click()

    expect(by_id(customer, "knock-title")).to_have_text("Waiting for Alice Kim to let you in")
    knock = by_id(agent_page, "knock")
    expect(knock).to_have_count(1)
    expect(knock).to_contain_text("Dana is asking to join")
    expect(knock).to_contain_text("by your icon number")
    screenshot(agent_page, "agent-knock")
    screenshot(customer, "customer-knocking")
    by_id(agent_page, "knock-admit").click()

    expect(by_id(customer, "chat-peer-name")).to_have_text("Alice Kim")
    expect(by_id(agent_page, "chat-peer-name")).to_have_text("Dana")
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")


def test_a_refused_knock_is_explained(agent_page: Page, open_ui: PageFactory) -> None:
    """The agent refuses an icon pick: the customer is back on the form and told so."""
    start_support(agent_page)
    icon = by_id(agent_page, "icon-number").inner_text().strip()
    customer = open_ui("/")
    by_id(customer, f"agent-icon-{icon}").click()
    expect(by_id(customer, "knock-panel")).to_be_visible()
    by_id(agent_page, "knock-refuse").click()
    expect(by_id(customer, "join-error")).to_have_text(
        "The agent did not let you in. Ask your agent what to do next."
    )
    expect(by_id(agent_page, "knocks")).to_be_hidden()


def test_the_code_is_grouped_as_typed_and_joins(agent_page: Page, open_ui: PageFactory) -> None:
    """Typing 9 digits shows "482 913 706"; a pasted dashed code works too; Join enters."""
    code = start_support(agent_page)
    customer = open_ui("/")
    box = by_id(customer, "code-input")
    box.press_sequentially(code[:4])
    expect(box).to_have_value(f"{code[:3]} {code[3]}")
    box.press_sequentially(code[4:] + "5")  # a tenth digit is dropped
    expect(box).to_have_value(f"{code[:3]} {code[3:6]} {code[6:]}")
    box.fill(f"{code[:3]}-{code[3:6]}-{code[6:]}")
    expect(box).to_have_value(f"{code[:3]} {code[3:6]} {code[6:]}")
    by_id(customer, "join-button").click()
    expect(by_id(customer, "chat-input")).to_be_visible()


def test_wrong_code_is_explained(agent_page: Page, open_ui: PageFactory) -> None:
    """A code that does not exist gets a clear message and the customer stays on the form."""
    code = start_support(agent_page)
    wrong = f"{(int(code) + 1) % 10**9:09d}"
    customer = open_ui("/")
    by_id(customer, "code-input").fill(wrong)
    by_id(customer, "join-button").click()
    expect(by_id(customer, "join-error")).to_contain_text("doesn't exist")
    expect(by_id(customer, "code-input")).to_have_attribute("aria-invalid", "true")


def test_incomplete_code_is_caught_before_asking_the_relay(open_ui: PageFactory) -> None:
    """Fewer than nine digits (letters are dropped as typed) asks for the whole code."""
    customer = open_ui("/")
    by_id(customer, "code-input").press_sequentially("12a34")
    expect(by_id(customer, "code-input")).to_have_value("123 4")
    by_id(customer, "join-button").click()
    expect(by_id(customer, "join-error")).to_contain_text("all 9 digits")


def test_used_code_is_explained(agent_page: Page, open_ui: PageFactory) -> None:
    """A second customer typing an already used code is told to ask for a new one."""
    code = start_support(agent_page)
    customer_join(open_ui("/"), code)

    late = open_ui("/")
    by_id(late, "code-input").fill(code)
    by_id(late, "join-button").click()
    expect(by_id(late, "join-error")).to_contain_text("already been used")


def test_expired_code_is_explained(relay_factory, browser) -> None:
    """A code past its lifetime (here 1 s) is refused on the page as expired, not as wrong."""
    relay = relay_factory("--code-lifetime", "1")
    api = Api(relay.url)
    support = api.new_support(api.login("alice", "alice-password-1"))
    time.sleep(max(0.0, support["code_expires_at"] - time.time()) + 0.3)
    customer = open_page(browser, relay.url + "/")
    try:
        by_id(customer, "code-input").fill(support["code"])
        by_id(customer, "join-button").click()
        expect(by_id(customer, "join-error")).to_contain_text(
            "This code has expired. Ask your agent for a new one."
        )
        expect(by_id(customer, "code-input")).to_have_attribute("aria-invalid", "true")
        expect(by_id(customer, "chat-input")).to_be_hidden()
        assert not page_errors(customer)
    finally:
        customer.context.close()


def whole_code_shows(page: Page) -> bool:
    """The code box is wide enough for all nine digits (its text is not scrolled or clipped)."""
    return page.evaluate(
        "(() => { const box = document.getElementById('code-input');"
        " return box.scrollWidth <= box.clientWidth; })()"
    )


def test_code_from_the_link_is_prefilled_and_korean_is_offered(
    agent_page: Page, open_ui: PageFactory
) -> None:
    """?code= fills the code box; a Korean browser gets Korean, and the switch goes back."""
    code = start_support(agent_page)
    customer = open_ui(f"/?code={code}", locale="ko-KR")
    expect(by_id(customer, "code-input")).to_have_value(f"{code[:3]} {code[3:6]} {code[6:]}")
    assert whole_code_shows(customer)
    expect(by_id(customer, "join-button")).to_have_text("연결하기")
    by_id(customer, "language-select").select_option("en")
    expect(by_id(customer, "join-button")).to_have_text("Join")
    customer.reload()
    expect(by_id(customer, "join-button")).to_have_text("Join")


def test_relay_page_fits_a_phone(agent_page: Page, open_ui: PageFactory) -> None:
    """At 375×667 the join form and then the chat fit the width without sideways scrolling."""
    code = start_support(agent_page)
    customer = open_ui(f"/?code={code}", viewport=PHONE)
    expect(by_id(customer, "join-button")).to_be_visible()
    screenshot(customer, "relay-page-phone-join")
    assert customer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert whole_code_shows(customer)

    by_id(customer, "name-input").fill("Chris Park")
    by_id(customer, "join-button").click()
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")
    by_id(customer, "chat-input").fill("Hello from my phone")
    by_id(customer, "chat-input").press("Enter")
    by_id(agent_page, "chat-input").fill("Hello! How can I help?")
    by_id(agent_page, "chat-input").press("Enter")
    expect(by_id(customer, "chat-message")).to_have_count(2)
    expect(by_id(customer, "end-button")).to_be_in_viewport()
    expect(by_id(customer, "chat-send")).to_be_in_viewport()
    assert customer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(customer, "relay-page-phone-chat")


def test_wrong_codes_count_down_a_growing_wait(relay_factory, browser) -> None:
    """Three wrong codes cost nothing; the fourth try says how long to wait, as mm:ss, with
    Join disabled until it has passed."""
    relay = relay_factory()  # the relay counts wrong codes per address: none here yet
    customer = open_page(browser, relay.url + "/")
    try:
        _count_down_the_wait(customer)
        assert not page_errors(customer)
    finally:
        customer.context.close()


def _count_down_the_wait(customer: Page) -> None:
    box = by_id(customer, "code-input")
    for attempt in range(3):
        box.fill(f"{attempt:09d}")
        with customer.expect_response("**/api/join") as answer:
            by_id(customer, "join-button").click()
        assert answer.value.status in (404, 410)
        expect(by_id(customer, "join-button")).to_be_enabled()

    box.fill("999999999")
    by_id(customer, "join-button").click()
    error = by_id(customer, "join-error")
    expect(error).to_contain_text(re.compile(r"Try again in 00:0\d"))
    expect(by_id(customer, "join-button")).to_be_disabled()
    expect(error).to_have_text("You can try again now.")
    expect(by_id(customer, "join-button")).to_be_enabled()


def test_unreachable_relay_is_explained(relay, open_ui: PageFactory) -> None:
    """With the relay gone, pressing Join says the relay cannot be reached."""
    customer = open_ui("/")
    relay.stop()
    by_id(customer, "code-input").fill("123456789")
    by_id(customer, "join-button").click()
    expect(by_id(customer, "join-error")).to_contain_text("Cannot reach the relay server")
