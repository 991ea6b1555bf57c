"""Small things a pilot sees, in real Chromium against a real relay:
the viewer's End button, taking back only the mouse, the agent's phone and e-mail for the
customer, the invitation in the page's language, and a disabled agent told why.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.relay import ALICE, ROOT
from tests.support.ui_pages import (
    PageFactory,
    agent_login,
    by_id,
    customer_join,
    customer_viewer_socket,
    screenshot,
    start_support,
    wait_control_state,
)

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


SHARED_RELAY_AGENTS = (ROOT,)


@pytest.fixture
def relay(shared_relay):
    """One relay for the module (alice and bob, agents, and root, admin): each test opens its
    own support and customer, and the tests that change alice's account put it back."""
    return shared_relay


def _open_viewer(agent: Page, customer: Page) -> Page:
    """The agent asks to present, the customer accepts: the viewer window opens."""
    by_id(agent, "present-request").click()
    with customer.expect_popup() as popup:
        by_id(customer, "presentation-accept").click()
    viewer = popup.value
    # The agent page presents itself (getDisplayMedia, Chromium's fake capture): the viewer
    # may already be live when it is looked at.
    expect(viewer.get_by_test_id("viewer-state")).to_have_attribute(
        "data-state", re.compile(r"^(waiting|live)$")
    )
    return viewer


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_viewer_has_an_end_button_that_ends_the_session(
    agent_page: Page, open_ui: PageFactory, viewport: dict[str, int]
) -> None:
    """The viewer's End (the guide's 종료) asks first (Cancel keeps the session), then ends
    the session for everyone: the viewer says so, both chats show their end card."""
    code = start_support(agent_page)
    customer = open_ui("/", viewport=viewport)
    customer_join(customer, code)
    viewer = _open_viewer(agent_page, customer)
    viewer.set_viewport_size(viewport)
    end = viewer.get_by_test_id("viewer-end")
    expect(end).to_be_enabled()
    box = end.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"]
    assert viewer.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    if viewport is DESKTOP:  # on the toolbar's one row, not a row of its own
        language = viewer.get_by_test_id("language-select").bounding_box()
        assert language is not None and abs(box["y"] - language["y"]) < 12, (box, language)
    screenshot(viewer, f"viewer-end-button-{viewport['width']}")
    end.click()
    dialog = viewer.get_by_test_id("viewer-end-dialog")
    expect(dialog).to_contain_text("End this support session?")
    screenshot(viewer, f"viewer-end-confirm-{viewport['width']}")
    viewer.get_by_test_id("viewer-end-cancel").click()
    expect(dialog).to_be_hidden()
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")

    end.click()
    viewer.get_by_test_id("viewer-end-confirm").click()
    expect(viewer.get_by_test_id("viewer-overlay-title")).to_have_text(
        "The support session has ended"
    )
    expect(end).to_be_disabled()
    for side in (customer, agent_page):
        expect(by_id(side, "end-screen")).to_be_visible()
    expect(by_id(agent_page, "end-screen")).to_contain_text("Ended by the customer.")
    viewer.close()


def test_the_agent_takes_back_only_the_mouse_or_only_the_keyboard(
    desktop_chat_pages, relay
) -> None:
    """With mouse and keyboard out, the chat window offers "Take back mouse" and "Take back
    keyboard" beside "Take back control": each takes back only its own kind."""
    agent, customer = desktop_chat_pages
    viewer = customer_viewer_socket(customer, relay)
    viewer.send({"type": "request_control"})
    by_id(agent, "control-grant-both").click()
    wait_control_state(viewer, mouse=True, keyboard=True)
    expect(by_id(agent, "control-revoke-mouse")).to_be_visible()
    expect(by_id(agent, "control-revoke-keyboard")).to_be_visible()
    screenshot(agent, "control-panel-take-back-one")
    by_id(agent, "control-revoke-mouse").click()
    wait_control_state(viewer, keyboard=True)
    expect(by_id(agent, "control-text")).to_have_text("The customer controls your keyboard.")
    expect(by_id(agent, "control-revoke-mouse")).to_be_hidden()  # one kind left: one button
    expect(by_id(agent, "control-revoke")).to_be_visible()
    by_id(agent, "control-grant-mouse").click()
    wait_control_state(viewer, mouse=True, keyboard=True)
    by_id(agent, "control-revoke-keyboard").click()
    wait_control_state(viewer, mouse=True)
    expect(by_id(agent, "control-text")).to_have_text("The customer controls your mouse.")
    viewer.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_customers_see_the_agents_phone_and_email(
    relay, open_ui: PageFactory, viewport: dict[str, int]
) -> None:
    """The customer's chat header shows the agent's phone and e-mail from Agent info as tel: and
    mailto: links (the help says customers see them); the public list of waiting agents does
    not show them to everyone."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    profile = {"phone": "+82 2-555-0100", "email": "alice.kim@acme.example"}
    assert api.request("PUT", "/api/me", json=profile, token=token)[0] == 200
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    with urllib.request.urlopen(relay.url + "/api/waiting", timeout=10) as answer:
        waiting = json.loads(answer.read())
    assert waiting["agents"] and all(
        "phone" not in a and "email" not in a for a in waiting["agents"]
    )
    customer = open_ui("/", viewport=viewport)
    customer_join(customer, code)
    phone = by_id(customer, "agent-phone")
    email = by_id(customer, "agent-email")
    expect(phone).to_have_text("+82 2-555-0100")
    expect(phone).to_have_attribute("href", "tel:+8225550100")
    expect(email).to_have_text("alice.kim@acme.example")
    expect(email).to_have_attribute("href", "mailto:alice.kim@acme.example")
    for link in (phone, email):
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"]
    expect(by_id(customer, "chat-input")).to_be_in_viewport()
    screenshot(customer, f"customer-agent-contact-{viewport['width']}")
    # The module's relay is shared: alice's profile goes back to no phone and no e-mail.
    cleared = {"phone": "", "email": ""}
    assert api.request("PUT", "/api/me", json=cleared, token=token)[0] == 200


def test_the_invitation_is_written_in_the_pages_language(open_ui: PageFactory) -> None:
    """A Korean agent page copies a Korean invitation (no English first, the join link in it,
    no particle after the code); switching to English rewrites it in English."""
    agent = open_ui("/agent", locale="ko-KR")
    agent_login(agent)
    code = start_support(agent)
    grouped = f"{code[:3]} {code[3:6]} {code[6:]}"
    invitation = by_id(agent, "invitation-text")
    expect(invitation).to_have_value(re.compile(r"^Alice Kim 상담원이 원격 상담에 초대했습니다\."))
    text = invitation.input_value()
    assert "invites you" not in text
    assert f"?code={code}" in text and text.endswith(f"접속 코드를 입력하세요: {grouped}")
    lines = agent.evaluate(
        "(box) => Math.round(box.scrollHeight / parseFloat(getComputedStyle(box).lineHeight))",
        invitation.element_handle(),
    )
    rows = int(invitation.get_attribute("rows") or 0)
    assert lines <= rows + 1, "the Korean invitation fits its box"
    screenshot(agent, "agent-invitation-ko")
    by_id(agent, "language-select").select_option("en")
    expect(invitation).to_have_value(re.compile(r"^Alice Kim invites you to a live consultation\."))


def test_a_disabled_agent_is_told_the_account_was_disabled(
    agent_page: Page, open_ui: PageFactory, relay
) -> None:
    """An admin disables an agent mid-support: the agent's page says the account was
    disabled by an administrator, not that the sign-in expired."""
    start_support(agent_page)
    api = Api(relay.url)
    root = api.login(ROOT.username, ROOT.password)
    status, _, _ = api.request("POST", "/api/admin/accounts/alice/disable", token=root)
    assert status == 200
    error = by_id(agent_page, "login-error")
    expect(error).to_have_text(
        "Your administrator disabled this account, so you were signed out. "
        "Contact your administrator."
    )
    screenshot(agent_page, "agent-told-account-disabled")
    # The module's relay is shared: alice can sign in again for the next test.
    status, _, _ = api.request("POST", "/api/admin/accounts/alice/enable", token=root)
    assert status == 200
