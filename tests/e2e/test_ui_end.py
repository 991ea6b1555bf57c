"""Ending a support session from either side shows the end screen on both pages (C4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.ui_pages import by_id, screenshot, send_chat

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test signs alice in on a page of its own and opens its
    own support (the end screens read that support only)."""
    return shared_relay


@pytest.mark.parametrize("ender", ["agent", "customer"])
def test_end_shows_the_summary_on_both_sides(chat_pages: tuple[Page, Page], ender: str) -> None:
    """Whoever ends, both pages show start, end, duration and the agent's name."""
    agent, customer = chat_pages
    send_chat(customer, "thanks, that's all")
    expect(by_id(agent, "chat-message")).to_have_count(1)

    page = agent if ender == "agent" else customer
    by_id(page, "end-button").click()
    by_id(page, "end-confirm").click()

    for side in (agent, customer):
        expect(by_id(side, "end-screen")).to_be_visible()
        expect(by_id(side, "end-agent-name")).to_have_text("Alice Kim")
        expect(by_id(side, "end-started-at")).not_to_be_empty()
        expect(by_id(side, "end-ended-at")).not_to_be_empty()
        expect(by_id(side, "end-duration")).not_to_be_empty()
    expect(by_id(agent, "end-screen")).to_contain_text(f"Ended by the {ender}.")
    screenshot(customer, f"end-customer-ended-by-{ender}")
    screenshot(agent, f"end-agent-ended-by-{ender}")

    # The customer's stored session is gone: a reload shows the join form, not the chat.
    customer.reload()
    expect(by_id(customer, "join-button")).to_be_visible()

    by_id(agent, "end-new-support").click()
    expect(by_id(agent, "access-code")).to_have_text(re.compile(r"^\d{9}$"))


def test_agent_can_cancel_a_waiting_support(agent_page: Page) -> None:
    """Cancelling while waiting ends the session and shows the summary without a customer."""
    by_id(agent_page, "new-support-button").click()
    expect(by_id(agent_page, "access-code")).to_have_text(re.compile(r"^\d{9}$"))
    by_id(agent_page, "cancel-support").click()
    by_id(agent_page, "end-confirm").click()
    expect(by_id(agent_page, "end-screen")).to_be_visible()
    expect(by_id(agent_page, "end-agent-name")).to_have_text("Alice Kim")


def test_after_the_end_the_agent_goes_on_to_the_history(chat_pages: tuple[Page, Page]) -> None:
    """The agent's end screen keeps the toolbar (Home, Reservations, History...), so the
    agent is not left with "New support" only; the history lists the support just ended, and
    a reload comes back to the history, not to the end screen."""
    agent, _ = chat_pages
    by_id(agent, "end-button").click()
    by_id(agent, "end-confirm").click()
    expect(by_id(agent, "end-screen")).to_be_visible()
    expect(by_id(agent, "home-button")).to_be_visible()
    expect(by_id(agent, "history-button")).to_be_visible()
    screenshot(agent, "end-agent-with-toolbar")
    by_id(agent, "history-button").click()
    expect(by_id(agent, "history-panel")).to_be_visible()
    expect(by_id(agent, "history-panel")).to_contain_text("Chris Park")
    agent.reload()
    expect(by_id(agent, "history-panel")).to_be_visible()
    expect(by_id(agent, "home-error")).to_be_hidden()


def test_a_reload_of_the_end_screen_shows_no_error(chat_pages: tuple[Page, Page]) -> None:
    """Reloaded on its end screen, the agent page comes back to its last view without an
    error about the session that is over."""
    agent, _ = chat_pages
    by_id(agent, "end-button").click()
    by_id(agent, "end-confirm").click()
    expect(by_id(agent, "end-screen")).to_be_visible()
    agent.reload()
    expect(by_id(agent, "new-support-button")).to_be_visible()
    expect(by_id(agent, "home-error")).to_be_hidden()
