"""The agent chat window's control panel (P3, P8): request shown, grant, take back, decline.

Granting control needs the desktop app (the page in a browser presents view only):
these tests run the chat window in desktop mode on the real local API, as
test_ui_agent_desktop_mode.py does.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.ui_pages import (
    by_id,
    customer_join,
    customer_viewer_socket,
    remove_the_customer,
    screenshot,
    wait_control_state,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer."""
    return shared_relay


def test_the_agent_sees_the_request_grants_and_takes_control_back(
    desktop_chat_pages, relay
) -> None:
    """A viewer's request appears in the agent's chat window; Give keyboard, then Give mouse
    hand them over (the viewer is told); Take back control ends it; Decline drops a request."""
    agent, customer = desktop_chat_pages
    panel = by_id(agent, "control-panel")
    expect(panel).to_be_hidden()  # nothing asked, nothing out, not presenting
    viewer = customer_viewer_socket(customer, relay)
    viewer.send({"type": "request_control"})
    expect(panel).to_be_visible()
    expect(by_id(agent, "control-text")).to_have_text("Chris Park asks to control your screen.")
    screenshot(agent, "control-panel-request")
    by_id(agent, "control-grant-keyboard").click()
    wait_control_state(viewer, keyboard=True)
    expect(by_id(agent, "control-text")).to_have_text("The customer controls your keyboard.")
    expect(by_id(agent, "control-grant-keyboard")).to_be_hidden()
    expect(panel).to_contain_text("Ctrl+Alt+End takes control back at any time.")
    by_id(agent, "control-grant-mouse").click()
    wait_control_state(viewer, mouse=True, keyboard=True)
    expect(by_id(agent, "control-text")).to_have_text(
        "The customer controls your mouse and keyboard."
    )
    screenshot(agent, "control-panel-granted")
    by_id(agent, "control-revoke").click()
    wait_control_state(viewer)
    expect(panel).to_be_hidden()

    viewer.send({"type": "request_control"})
    expect(by_id(agent, "control-decline")).to_be_visible()
    by_id(agent, "control-decline").click()
    wait_control_state(viewer)
    expect(panel).to_be_hidden()
    viewer.close()


def test_after_a_removal_the_panel_names_the_customer_who_asks_and_grants_to_them(
    desktop_chat_pages, relay, open_ui
) -> None:
    """The removed customer's viewer is closed (4004); the next customer's request shows their
    own name, from the relay, and Give keyboard hands it to that customer's viewer."""
    agent, first = desktop_chat_pages
    old_viewer = customer_viewer_socket(first, relay)
    code = remove_the_customer(agent)
    assert old_viewer.close_code(timeout=1.0) == 4004
    second = open_ui("/")
    customer_join(second, code, name="Evan Second")
    viewer = customer_viewer_socket(second, relay)
    viewer.send({"type": "request_control"})
    expect(by_id(agent, "control-text")).to_have_text("Evan Second asks to control your screen.")
    by_id(agent, "control-grant-keyboard").click()
    wait_control_state(viewer, keyboard=True)
    expect(by_id(agent, "control-text")).to_have_text("The customer controls your keyboard.")
    viewer.close()
