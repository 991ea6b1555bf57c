"""The presentation request in the two chat pages (CH6, P1): ask, accept or decline, viewer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.ui_pages import by_id, screenshot
from tests.support.viewer_presenter import wait_for_stats

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer."""
    return shared_relay


def notices(page: Page):
    return by_id(page, "chat-notice")


def test_customer_accepts_and_the_viewer_opens(chat_pages) -> None:
    """The agent asks; the customer's chat offers Accept / Decline; Accept opens /view in a new
    window that connects with the chat's session and shows what the presenter sends."""
    agent, customer = chat_pages
    by_id(agent, "present-request").click()
    expect(by_id(agent, "present-request")).to_be_disabled()
    expect(notices(agent).last).to_have_text("Asked the customer to watch your screen…")

    prompt = by_id(customer, "presentation-prompt")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("would like to show you their screen.")
    screenshot(customer, "request-customer-prompt")

    with customer.expect_popup() as popup_info:
        by_id(customer, "presentation-accept").click()
    viewer = popup_info.value
    viewer_errors: list[str] = []
    viewer.on("pageerror", lambda error: viewer_errors.append(str(error)))
    assert viewer.url.endswith("/view")
    expect(notices(agent).last).to_have_text("The customer accepted: your screen is being shown.")
    expect(notices(customer).last).to_have_text("You accepted the screen presentation.")
    expect(by_id(customer, "presentation-open")).to_be_visible()
    expect(by_id(agent, "present-request")).to_be_enabled()

    # The viewer uses the chat's session: what the agent page presents (getDisplayMedia, issue
    # 12 #5; Chromium's fake capture in tests) reaches it.
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute("data-state", "live")
    wait_for_stats(viewer, lambda s: s["framesPainted"] >= 1)
    screenshot(viewer, "request-viewer-live")
    assert viewer_errors == []


def test_customer_declines_and_the_agent_is_told(chat_pages) -> None:
    """Decline closes the prompt, opens nothing, and the agent's chat says so; the agent may
    ask again."""
    agent, customer = chat_pages
    by_id(agent, "present-request").click()
    by_id(customer, "presentation-decline").click()
    expect(by_id(customer, "presentation-prompt")).to_be_hidden()
    expect(notices(agent).last).to_have_text("The customer declined the screen presentation.")
    expect(notices(customer).last).to_have_text("You declined the screen presentation.")
    expect(by_id(agent, "present-request")).to_be_enabled()
    assert len(customer.context.pages) == 1
    screenshot(agent, "request-agent-declined")


def test_request_in_korean(agent_page: Page, open_ui) -> None:
    """A Korean customer sees the request and its buttons in Korean."""
    from tests.support.ui_pages import customer_join, start_support

    code = start_support(agent_page)
    customer = open_ui("/", locale="ko-KR")
    customer_join(customer, code, name="김고객")
    by_id(agent_page, "present-request").click()
    expect(by_id(customer, "presentation-prompt")).to_contain_text("화면을 보여 드리려고 합니다")
    expect(by_id(customer, "presentation-accept")).to_have_text("화면 보기")
    expect(by_id(customer, "presentation-decline")).to_have_text("보지 않기")
