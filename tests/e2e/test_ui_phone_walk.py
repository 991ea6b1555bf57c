"""What a customer stumbled on walking a whole meeting on a 390x844 phone (touch, English and
Korean): the message box's "Enter to send · Shift+Enter for a new line" is a desktop keyboard's
hint (a phone's has no Shift+Enter), the shared whiteboard's tools wrapped onto three rows
over a board left about 180 px tall, its Korean decline read like consent, and the header's
"Send file" words cut the agent's name to "Alic…"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.phone_layout import phone_in_a_support
from tests.support.relay import ALICE
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import (
    DESKTOP,
    PageFactory,
    by_id,
    screenshot,
    send_chat,
)

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("phone-walk")


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_a_phone_has_no_keyboard_hint_and_a_board_to_draw_on(
    browser, relay, open_ui: PageFactory, locale: str
) -> None:
    """On a touch phone the composer shows the counter only, and with the whiteboard open its
    tools take one row and the board at least 240 px of height."""
    with phone_in_a_support(browser, relay.url, open_ui, locale) as (agent, phone):
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


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_a_phone_says_in_words_when_the_chat_is_not_connected(
    browser, relay, open_ui: PageFactory, locale: str
) -> None:
    """Connected is the header's green dot; cut off, the badge says "Reconnecting…" in words a
    customer reads (a yellow dot told them nothing), and screen readers get the words always."""
    with phone_in_a_support(browser, relay.url, open_ui, locale) as (agent, phone):
        badge = by_id(phone, "connection-status")
        connected = {"en-US": "Connected", "ko-KR": "연결됨"}[locale]
        expect(badge).to_have_text(connected)  # the words a screen reader reads
        assert badge.bounding_box()["width"] <= 24, "connected is the dot alone"  # type: ignore[index]
        phone.context.set_offline(True)  # no way back until it is online again
        phone.evaluate("() => window.__rsTest.dropSocket()")
        expect(badge).not_to_have_attribute("data-status", "online")
        words = badge.evaluate("(e) => e.scrollWidth <= e.clientWidth && e.clientWidth > 60")
        style = badge.evaluate("(e) => getComputedStyle(e).fontSize")
        assert words and style != "0px", "the badge shows its words"
        name = by_id(phone, "chat-peer-name").evaluate("(e) => e.scrollWidth <= e.clientWidth")
        assert name, "the status's words cut the agent's name"
        keep_shot(screenshot(phone, f"phone-walk-offline-390x844-{locale[:2]}"), SHOTS)
        phone.set_viewport_size(DESKTOP)
        keep_shot(screenshot(phone, f"phone-walk-offline-1280x800-{locale[:2]}"), SHOTS)


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_end_screen_keeps_the_agents_contact_and_the_chat(
    browser, relay, open_ui: PageFactory, locale: str
) -> None:
    """After the agent ends it, the customer's end screen still shows the agent's company, phone
    and e-mail as the chat header did, and "Save the chat" downloads the conversation as text."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    profile = {"phone": "+82 2-555-0100", "email": "alice.kim@acme.example"}
    assert api.request("PUT", "/api/me", json=profile, token=token)[0] == 200
    try:
        _end_screen_with_the_chat(browser, relay, open_ui, locale)
    finally:
        cleared = {"phone": "", "email": ""}
        assert api.request("PUT", "/api/me", json=cleared, token=token)[0] == 200


def _end_screen_with_the_chat(browser, relay, open_ui: PageFactory, locale: str) -> None:
    with phone_in_a_support(browser, relay.url, open_ui, locale) as (agent, phone):
        send_chat(agent, "The offer is 100 a month.")
        send_chat(phone, "Thank you, I will think about it.")
        expect(by_id(phone, "chat-transcript")).to_contain_text("I will think about it.")
        by_id(agent, "end-button").click()
        by_id(agent, "end-confirm").click()
        expect(by_id(phone, "end-screen")).to_be_visible()
        expect(by_id(phone, "end-agent-role")).to_have_text("Sales Manager · Acme")
        expect(by_id(phone, "end-phone")).to_have_attribute("href", "tel:+8225550100")
        expect(by_id(phone, "end-email")).to_have_text("alice.kim@acme.example")
        save = by_id(phone, "end-save-chat")
        expect(save).to_have_text({"en-US": "Save the chat", "ko-KR": "대화 내용 저장"}[locale])
        keep_shot(screenshot(phone, f"phone-walk-end-390x844-{locale[:2]}"), SHOTS)
        with phone.expect_download() as download:
            save.click()
        text = download.value.path().read_text(encoding="utf-8")
        lines = text.strip().splitlines()
        assert len(lines) == 2, text
        assert lines[0].endswith("Alice Kim: The offer is 100 a month."), text
        assert lines[1].endswith("Chris Park: Thank you, I will think about it."), text
        phone.set_viewport_size(DESKTOP)
        keep_shot(screenshot(phone, f"phone-walk-end-1280x800-{locale[:2]}"), SHOTS)
