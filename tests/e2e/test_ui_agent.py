"""The agent's page: login, new support, waiting panel, removing the customer (A1, A3, A4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api, post_json_from
from tests.support.ui_pages import (
    PageFactory,
    agent_login,
    bubble_with_text,
    bubbles,
    by_id,
    customer_join,
    expect_state,
    open_page,
    page_errors,
    remove_the_customer,
    screenshot,
    send_chat,
    start_support,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test signs in and opens its own support and customer
    (the expired-code test starts its own relay with a short code lifetime)."""
    return shared_relay


def record_support_fetches(page: Page) -> list[str]:
    """Collect the URLs of every `GET /api/supports/<id>` the page makes from now on."""
    fetched: list[str] = []

    def on_request(request) -> None:
        if request.method == "GET" and "/api/supports/" in request.url:
            fetched.append(request.url)

    page.on("request", on_request)
    return fetched


def test_wrong_password_is_explained(open_ui: PageFactory) -> None:
    """A wrong password is explained with the tries left before a lock, in English
    and Korean, and keeps the login form."""
    page = open_ui("/agent")
    by_id(page, "login-username").fill("alice")
    by_id(page, "login-password").fill("not-her-password")
    by_id(page, "login-button").click()
    expect(by_id(page, "login-error")).to_have_text(
        "Wrong ID or password. 4 more wrong tries lock this ID from this network for 10 minutes."
    )
    by_id(page, "language-select").select_option("ko")
    by_id(page, "login-button").click()
    expect(by_id(page, "login-error")).to_contain_text("3번 더 틀리면")
    expect(by_id(page, "new-support-button")).to_be_hidden()


def test_new_support_shows_code_icon_address_and_copies_invitation(agent_page: Page, relay) -> None:
    """The waiting panel shows the relay address, the code, the icon and a working Copy."""
    expect(by_id(agent_page, "agent-name")).to_have_text("Alice Kim")
    screenshot(agent_page, "agent-home")
    agent_page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    code = start_support(agent_page)

    expect(by_id(agent_page, "relay-url")).to_contain_text(relay.url.split("://", 1)[1])
    expect(by_id(agent_page, "icon-number")).to_have_text(re.compile(r"^\d{1,2}$"))
    expect(by_id(agent_page, "code-expiry")).to_contain_text(re.compile(r"\d\d:\d\d"))
    screenshot(agent_page, "agent-waiting")

    by_id(agent_page, "copy-invitation").click()
    expect(by_id(agent_page, "copy-status")).to_have_text("Invitation copied")
    copied = agent_page.evaluate("navigator.clipboard.readText()")
    assert code in copied


def test_wrong_codes_typed_anywhere_leave_the_code_alone(agent_page: Page, relay) -> None:
    """Ten wrong codes from ten addresses: the waiting panel keeps its code, in three groups."""
    old_code = start_support(agent_page)
    groups = by_id(agent_page, "access-code").locator(".agent-code__group")
    expect(groups).to_have_count(3)
    expect(by_id(agent_page, "access-code")).to_have_attribute(
        "aria-label", f"{old_code[:3]} {old_code[3:6]} {old_code[6:]}"
    )
    for n in range(10):
        guess = f"{n:09d}" if f"{n:09d}" != old_code else "999999999"
        status, _ = post_json_from(relay.url, "/api/join", {"code": guess}, f"127.0.5.{n + 1}")
        assert status == 404
    expect(by_id(agent_page, "access-code")).to_have_text(old_code)
    expect(by_id(agent_page, "renew-code")).to_be_hidden()
    assert Api(relay.url).join(code=old_code)["status"] == "joined"


def test_reload_keeps_the_agent_signed_in_and_waiting(agent_page: Page) -> None:
    """A reload keeps the login and the waiting session with the same code."""
    code = start_support(agent_page)
    agent_page.reload()
    expect(by_id(agent_page, "access-code")).to_have_text(code)
    expect(by_id(agent_page, "connection-status")).to_have_attribute("data-status", "online")


def test_logout_returns_to_the_login_form(agent_page: Page) -> None:
    """Logging out shows the login form, and a reload does not sign in again."""
    by_id(agent_page, "logout-button").click()
    expect(by_id(agent_page, "login-button")).to_be_visible()
    agent_page.reload()
    expect(by_id(agent_page, "login-button")).to_be_visible()


def test_remove_customer_returns_to_waiting_with_a_new_code(
    chat_pages: tuple[Page, Page], open_ui: PageFactory
) -> None:
    """Removing the customer tells them so; the agent waits with a fresh code and invitation.

    The invitation comes in `customer_removed.session`: the page asks the HTTP API nothing.
    """
    agent, customer = chat_pages
    fetched = record_support_fetches(agent)
    send_chat(customer, "hi")
    expect(bubble_with_text(agent, "hi")).to_be_visible()

    new_code = remove_the_customer(agent)
    expect(by_id(customer, "notice")).to_contain_text("removed you")
    grouped = f"{new_code[:3]} {new_code[3:6]} {new_code[6:]}"
    expect(by_id(agent, "invitation-text")).to_have_value(re.compile(f"code {grouped}"))
    expect(by_id(agent, "relay-url")).to_have_attribute("href", re.compile(f"\\?code={new_code}$"))
    assert fetched == []

    second = open_ui("/")
    customer_join(second, new_code, name="Evan")
    expect(by_id(agent, "chat-peer-name")).to_have_text("Evan")
    expect(by_id(agent, "chat-notice").filter(has_text="Evan joined the chat.")).to_have_count(1)


def test_next_customer_never_sees_the_removed_customers_chat(
    chat_pages: tuple[Page, Page], open_ui: PageFactory
) -> None:
    """After a removal the next customer's transcript starts empty; the agent keeps both chats."""
    agent, first = chat_pages
    send_chat(first, "my address is 12 Secret Lane")
    send_chat(agent, "thanks, noted your address")
    expect_state(bubble_with_text(agent, "thanks, noted your address"), "read")

    code = remove_the_customer(agent)
    second = open_ui("/")
    customer_join(second, code, name="Evan")
    transcript = by_id(second, "chat-transcript")
    expect(bubbles(second)).to_have_count(0)
    expect(transcript).not_to_contain_text("Secret Lane")
    expect(transcript).not_to_contain_text("noted your address")

    send_chat(second, "hello, I'm Evan")
    send_chat(agent, "hi Evan")
    expect(bubble_with_text(second, "hi Evan")).to_be_visible()
    expect_state(bubble_with_text(second, "hello, I'm Evan"), "read")
    second.reload()  # a fresh page asks for the whole history: still only its own chat
    expect(by_id(second, "connection-status")).to_have_attribute("data-status", "online")
    expect(bubbles(second)).to_have_count(2)
    assert second.get_by_test_id("chat-text").all_text_contents() == ["hello, I'm Evan", "hi Evan"]
    expect(transcript).not_to_contain_text("Secret Lane")

    expect(bubbles(agent)).to_have_count(4)
    assert agent.get_by_test_id("chat-text").all_text_contents() == [
        "my address is 12 Secret Lane",
        "thanks, noted your address",
        "hello, I'm Evan",
        "hi Evan",
    ]


def test_expired_token_returns_to_login(open_ui: PageFactory) -> None:
    """A token the relay no longer accepts sends the agent back to the login form."""
    page = open_ui("/agent")
    agent_login(page)
    page.evaluate(
        """() => {
            const auth = JSON.parse(sessionStorage.getItem("rs.agent.auth"));
            auth.token = "not-a-valid-token";
            sessionStorage.setItem("rs.agent.auth", JSON.stringify(auth));
        }"""
    )
    page.reload()
    expect(by_id(page, "login-error")).to_contain_text("sign in again")


def test_expired_code_can_be_renewed(relay_factory, browser) -> None:
    """When the code expires the panel says so and "New code" brings a fresh one that works."""
    relay = relay_factory("--code-lifetime", "2")
    agent = open_page(browser, relay.url + "/agent")
    customer = open_page(browser, relay.url + "/")
    try:
        agent_login(agent)
        old_code = start_support(agent)
        fetched = record_support_fetches(agent)
        renew = by_id(agent, "renew-code")
        expect(renew).to_be_visible(timeout=15_000)
        expect(by_id(agent, "code-expiry")).to_contain_text("no longer works")

        renew.click()
        expect(renew).to_be_hidden()
        code = by_id(agent, "access-code")
        expect(code).to_have_text(re.compile(r"^\d{9}$"))
        new_code = code.text_content() or ""
        assert new_code != old_code
        expect(by_id(agent, "invitation-text")).to_have_value(re.compile(new_code))
        assert fetched == []  # the invitation came with session_updated

        customer_join(customer, new_code)
        expect(by_id(agent, "chat-peer-name")).to_have_text("Chris Park")
        assert not page_errors(agent) and not page_errors(customer)
    finally:
        agent.context.close()
        customer.context.close()
