"""What a customer stumbled on walking a whole meeting on a 390x844 phone (touch, English and
Korean): the message box's "Enter to send · Shift+Enter for a new line" is a desktop keyboard's
hint (a phone's has no Shift+Enter), the shared whiteboard's tools wrapped onto three rows
over a board left about 180 px tall, its Korean decline read like consent, and the header's
"Send file" words cut the agent's name to "Alic…"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import (
    PageFactory,
    agent_login,
    by_id,
    customer_join,
    screenshot,
    send_chat,
    start_support,
)

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("phone-walk")
PHONE = {"width": 390, "height": 844}
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _phone(browser, url: str, locale: str) -> Page:
    context = browser.new_context(
        viewport=PHONE, locale=locale, user_agent=IPHONE_UA, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(url)
    return page


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_a_phone_has_no_keyboard_hint_and_a_board_to_draw_on(
    browser, relay, open_ui: PageFactory, locale: str
) -> None:
    """On a touch phone the composer shows the counter only, and with the whiteboard open its
    tools take one row and the board at least 240 px of height."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    phone = _phone(browser, relay.url + "/", locale)
    try:
        customer_join(phone, code)
        send_chat(agent, "Hello Chris: here is the board.")
        expect(phone.locator(".rs-chat__hint")).to_have_text("")
        expect(by_id(phone, "chat-counter")).to_be_visible()
        by_id(agent, "whiteboard-button").click()
        # Korean's decline was 괜찮습니다 ("that's fine"), which reads like consent.
        decline = {"en-US": "No, thanks", "ko-KR": "열지 않기"}[locale]
        send_file = {"en-US": "Send file", "ko-KR": "파일 보내기"}[locale]
        expect(by_id(phone, "whiteboard-decline")).to_have_text(decline)
        by_id(phone, "whiteboard-accept").click()
        expect(by_id(phone, "wb-canvas")).to_be_visible()
        # "Send file" is its icon there, so the agent's name keeps its room.
        expect(by_id(phone, "file-send")).to_have_attribute("aria-label", send_file)
        name = by_id(phone, "chat-peer-name").evaluate("(e) => e.scrollWidth <= e.clientWidth")
        assert name, "the agent's name is cut"
        toolbar = phone.locator(".wb__toolbar").bounding_box()
        stage = phone.locator(".wb__stage").bounding_box()
        assert toolbar is not None and toolbar["height"] <= 60, toolbar
        assert stage is not None and stage["height"] >= 240, stage
        keep_shot(screenshot(phone, f"phone-walk-whiteboard-390x844-{locale[:2]}"), SHOTS)
    finally:
        phone.context.close()
