"""The agent's page: login, new support, waiting panel, removing the customer (A1, A3, A4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PageFactory
from tests.e2e.ui_pages import (
    agent_login,
    bubble_with_text,
    by_id,
    customer_join,
    open_page,
    page_errors,
    screenshot,
    send_chat,
    start_support,
)

pytestmark = pytest.mark.e2e


def test_wrong_password_is_explained(open_ui: PageFactory) -> None:
    """A wrong password shows "Wrong ID or password." and keeps the login form."""
    page = open_ui("/agent")
    by_id(page, "login-username").fill("alice")
    by_id(page, "login-password").fill("not-her-password")
    by_id(page, "login-button").click()
    expect(by_id(page, "login-error")).to_have_text("Wrong ID or password.")
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
    """Removing the customer tells them so, and the agent waits again with a fresh code."""
    agent, customer = chat_pages
    old_code = by_id(agent, "access-code").text_content()
    send_chat(customer, "hi")
    expect(bubble_with_text(agent, "hi")).to_be_visible()

    by_id(agent, "remove-customer").click()
    by_id(agent, "remove-confirm").click()

    expect(by_id(customer, "notice")).to_contain_text("removed you")
    new_code = by_id(agent, "access-code")
    expect(new_code).to_have_text(re.compile(r"^\d{6}$"))
    assert new_code.text_content() != old_code

    second = open_ui("/")
    customer_join(second, new_code.text_content(), name="Evan")
    expect(by_id(agent, "chat-peer-name")).to_have_text("Evan")


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
        renew = by_id(agent, "renew-code")
        expect(renew).to_be_visible(timeout=15_000)
        expect(by_id(agent, "code-expiry")).to_contain_text("no longer works")

        renew.click()
        expect(renew).to_be_hidden()
        code = by_id(agent, "access-code")
        expect(code).to_have_text(re.compile(r"^\d{6}$"))
        new_code = code.text_content() or ""
        assert new_code != old_code
        expect(by_id(agent, "invitation-text")).to_have_value(re.compile(new_code))

        customer_join(customer, new_code)
        expect(by_id(agent, "chat-peer-name")).to_have_text("Chris Park")
        assert not page_errors(agent) and not page_errors(customer)
    finally:
        agent.context.close()
        customer.context.close()
