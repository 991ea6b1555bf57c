"""Admission mode in the browsers: after many wrong codes a valid code knocks and the agent
admits."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.api import post_json_from
from tests.support.ui_pages import (
    agent_login,
    by_id,
    close_pages,
    open_page,
    send_chat,
    start_support,
)

pytestmark = pytest.mark.e2e

BUDGET = 5


def test_a_valid_code_knocks_during_an_attack_and_the_agent_admits(
    relay_factory, browser, request
) -> None:
    """Wrong codes from BUDGET addresses switch the relay to admission mode; the customer with
    the right code waits on "let you in", the agent clicks Admit, and they chat."""
    relay = relay_factory("--guess-budget", str(BUDGET))
    agent = open_page(browser, relay.url + "/agent")
    customer = open_page(browser, relay.url + "/")
    try:
        agent_login(agent)
        code = start_support(agent)
        for n in range(BUDGET):
            status, _ = post_json_from(
                relay.url, "/api/join", {"code": f"{n:09d}"}, f"127.0.6.{n + 1}"
            )
            assert status in (404, 410)
        by_id(customer, "code-input").press_sequentially(code)
        by_id(customer, "name-input").fill("Chris Park")
        by_id(customer, "join-button").click()
        expect(by_id(customer, "knock-title")).to_have_text("Waiting for Alice Kim to let you in")
        knock = by_id(agent, "knock")
        expect(knock).to_contain_text("Chris Park is asking to join")
        expect(knock).to_contain_text("with your access code")
        by_id(agent, "knock-admit").click()
        expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")
        send_chat(customer, "Let in after knocking")
        expect(by_id(agent, "chat-message")).to_contain_text("Let in after knocking")
        expect(by_id(agent, "chat-peer-name")).to_have_text("Chris Park")
    finally:
        close_pages([agent, customer], request)
