"""The customer's "recorded" mark (P9) in the chat page, at a laptop's and a phone's size."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.relay import ALICE
from tests.support.ui_pages import by_id, customer_join, screenshot
from tests.support.viewer_presenter import PresentationSession, Presenter

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and recording mark."""
    return shared_relay


SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_customer_sees_while_the_session_is_recorded(relay, open_ui, size, locale):
    """The chat page shows the mark when the agent's presenter says it records (the sentence on
    a laptop, one line "Recording" on a phone), hides it when it stops, and shows it at once to
    a page that joins while a recording runs."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    support = api.new_support(token)
    page = open_ui("/", viewport=SIZES[size], locale=locale)
    customer_join(page, support["code"], "Kim Customer")
    mark = by_id(page, "recording-mark")
    expect(mark).to_be_hidden()
    presenter = Presenter(PresentationSession(relay.url, support["session_id"], token, ""))
    presenter.send({"type": "set_recording", "recording": True})
    expect(mark).to_be_visible()
    text = "This session is being recorded" if locale == "en-US" else "이 상담은 녹화되고 있습니다"
    short = "Recording" if locale == "en-US" else "녹화 중"
    expect(by_id(page, "recording-mark-text")).to_have_text(text)  # read by screen readers
    expect(by_id(page, "recording-mark-short")).to_have_text(short)
    if size == "phone":  # the sentence wrapped to three lines beside the agent's name
        expect(by_id(page, "recording-mark-short")).to_be_visible()
        assert by_id(page, "recording-mark").bounding_box()["height"] < 30
    else:
        expect(by_id(page, "recording-mark-short")).to_be_hidden()
        expect(by_id(page, "recording-mark-text")).to_be_visible()
    screenshot(page, f"recording-mark-chat-{size}-{locale[:2]}")
    page.reload()  # joins again: told by welcome.session.recording
    expect(by_id(page, "recording-mark")).to_be_visible()
    presenter.send({"type": "set_recording", "recording": False})
    expect(by_id(page, "recording-mark")).to_be_hidden()
    presenter.close()
