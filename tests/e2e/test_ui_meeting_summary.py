"""An opened reservation's meeting (A11) named in both chats, from `session.reservation`.

Real Chromium on the real local API (presenter children recorded, as in
test_ui_agent_presenting_layout.py): the agent's chat window at its default size (960x720)
names the meeting and its agenda in the header without taking height from the conversation,
waiting, chatting or presenting; the invitee's page (1280x800, and a phone in Korean) names
it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.desktop_ui import (
    LAYOUT_JS,
    RecordedApp,
    desktop_page,
    local_call,
    main_window_page,
    open_desktop_support,
    recorded_local_app,
)
from tests.support.relay import ALICE
from tests.support.reservations import book_and_open
from tests.support.ui_pages import PageFactory, agent_login, by_id, screenshot, send_chat

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test books and opens its own meeting."""
    return shared_relay


TITLE = "Zephyr quartz pricing for the Seoul office, second round"
AGENDA = [
    "Volume prices for 2027",
    "Delivery to the Busan warehouse",
    "계약 조건과 결제 일정",
    "Samples of the new finish",
    "Next steps",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# The header's height with and without the meeting's line (the slot hidden for a moment).
HEADER_JS = """() => {
  const header = document.querySelector(".agent-chat__header");
  const slot = document.getElementById("meeting-slot");
  const shown = header.getBoundingClientRect().height;
  slot.hidden = true;
  const without = header.getBoundingClientRect().height;
  slot.hidden = false;
  return { shown, without };
}"""


@pytest.fixture
def recorded_app(relay, tmp_path: Path) -> Iterator[RecordedApp]:
    with recorded_local_app(tmp_path / "config", relay_url=relay.url) as app:
        yield app


def _meeting_link(reservation: dict, index: int) -> str:
    link = reservation["invitees"][index]["link_url"]
    return link[link.index("/?meet=") :]


def _assert_room_kept(chat: Page, label: str) -> None:
    """The meeting's line costs the header nothing, and its open panel takes no height from
    the transcript nor covers the composer."""
    heights = chat.evaluate(HEADER_JS)
    assert heights["shown"] == heights["without"], (label, heights)
    closed = chat.evaluate(LAYOUT_JS)
    by_id(chat, "meeting-summary-toggle").click()
    expect(by_id(chat, "meeting-summary-panel")).to_be_visible()
    expect(by_id(chat, "meeting-summary-agenda").locator("li")).to_have_count(len(AGENDA))
    opened = chat.evaluate(LAYOUT_JS)
    assert opened["transcript"] == closed["transcript"], (label, closed, opened)
    assert opened["inputOnTop"] and opened["send"], (label, opened)


def test_the_opened_meeting_is_named_in_both_chats_without_taking_room(
    browser, relay, recorded_app: RecordedApp, open_ui: PageFactory
) -> None:
    """The waiting panel and the chat header name the booked meeting; its agenda opens over
    the conversation (the transcript keeps its height, the composer stays uncovered), also
    while presenting; the invitee's page names it at 1280x800 and on a phone in Korean."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    reservation, session_id = book_and_open(api, token, title=TITLE, agenda=AGENDA)
    app = recorded_app.app
    main = main_window_page(browser, app)
    pages = [main]
    try:
        agent_login(main, ALICE.username, ALICE.password)
        chat = desktop_page(
            browser,
            app.page_url("agent/index.html", session=session_id),
            {"width": 960, "height": 720},
        )
        pages.append(chat)
        # Waiting: the relay's session names the meeting (no reservation list is read).
        note = by_id(chat, "waiting-reservation")
        expect(note).to_contain_text(TITLE)
        expect(note).to_contain_text("2 invited")

        customer = open_ui(_meeting_link(reservation, 1))  # Lee Buyer, in English
        expect(by_id(customer, "chat-peer-name")).to_have_text(ALICE.name, timeout=20_000)
        expect(by_id(customer, "meeting-summary-title")).to_have_text(TITLE)
        expect(by_id(chat, "meeting-summary-title")).to_have_text(TITLE)
        expect(by_id(chat, "meeting-summary-toggle")).to_contain_text("5 topics")
        send_chat(customer, "Hello, I am here for the pricing meeting.")
        _assert_room_kept(chat, "chatting")
        expect(by_id(chat, "meeting-summary-when")).to_contain_text("Booked for")
        screenshot(chat, "meeting-agent-960x720-agenda-open")
        chat.keyboard.press("Escape")
        expect(by_id(chat, "meeting-summary-panel")).to_be_hidden()
        expect(by_id(chat, "meeting-summary-toggle")).to_be_focused()

        by_id(customer, "meeting-summary-toggle").click()
        expect(by_id(customer, "meeting-summary-agenda").locator("li")).to_have_text(AGENDA)
        screenshot(customer, "meeting-customer-1280x800-agenda-open")
        customer.keyboard.press("Escape")
        expect(by_id(customer, "meeting-summary-panel")).to_be_hidden()

        by_id(chat, "present-request").click()
        with customer.expect_popup() as popup:
            by_id(customer, "presentation-accept").click()
        popup.value.close()
        with local_call(chat, "POST", "/local/presentation"):
            by_id(chat, "share-whole-confirm").click()
        expect(by_id(chat, "present-pause")).to_be_visible()
        _assert_room_kept(chat, "presenting")
        expect(by_id(chat, "share-picker")).to_be_hidden()  # one floating panel at a time
        screenshot(chat, "meeting-agent-960x720-presenting-agenda-open")

        phone = open_ui(_meeting_link(reservation, 0), viewport=PHONE, locale="ko-KR")
        expect(by_id(phone, "meeting-summary-title")).to_have_text(TITLE, timeout=20_000)
        expect(by_id(phone, "meeting-summary-toggle")).to_contain_text("안건 5개")
        by_id(phone, "meeting-summary-toggle").click()
        # The phone's header keeps the title's first words; the panel has all of it.
        words = by_id(phone, "meeting-summary-title").evaluate("(e) => e.clientWidth")
        assert words >= 60, words
        panel = by_id(phone, "meeting-summary-panel")
        expect(by_id(phone, "meeting-summary-name")).to_have_text(TITLE)
        expect(panel).to_contain_text("예약 시간:")
        box = panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        screenshot(phone, "meeting-customer-phone-ko-agenda-open")
    finally:
        for page in pages:
            page.context.close()


# Whether the element's centre is its own (nothing floats over it there).
ON_TOP_JS = """(e) => {
  const r = e.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === e || e.contains(hit);
}"""

# The meeting line's title: its lines and whether any of it is cut.
TITLE_LINES_JS = """(e) => {
  const line = parseFloat(getComputedStyle(e).lineHeight);
  return { lines: Math.round(e.clientHeight / line), cut: e.scrollHeight > e.clientHeight + 1 };
}"""


def _open_meeting_chat(
    browser, relay, recorded_app: RecordedApp, open_ui: PageFactory, pages: list[Page],
    title: str, viewport: dict[str, int] = DESKTOP, locale: str = "en-US",
) -> tuple[Page, Page]:  # fmt: skip
    """A booked meeting opened by Alice in her desktop chat window, and an invitee's page
    joined with that viewport and locale (the Korean invitee for ko-KR, else the
    English one: the page speaks the invitee's language)."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    reservation, session_id = book_and_open(api, token, title=title, agenda=AGENDA)
    app = recorded_app.app
    main = main_window_page(browser, app)
    pages.append(main)
    agent_login(main, ALICE.username, ALICE.password)
    chat = desktop_page(
        browser, app.page_url("agent/index.html", session=session_id), {"width": 960, "height": 720}
    )
    pages.append(chat)
    invitee = 0 if locale == "ko-KR" else 1
    page = open_ui(_meeting_link(reservation, invitee), viewport=viewport, locale=locale)
    expect(by_id(page, "chat-peer-name")).to_have_text(ALICE.name, timeout=20_000)
    return chat, page


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_a_presentation_request_is_in_reach_over_an_open_agenda(
    browser, relay, recorded_app: RecordedApp, open_ui: PageFactory, locale: str
) -> None:
    """The customer left the agenda open when the agent asks to present: the panel folds
    away and "Show me" is in reach; opened again while the request waits, it opens below the
    request and shows its whole agenda."""
    pages: list[Page] = []
    try:
        chat, customer = _open_meeting_chat(
            browser, relay, recorded_app, open_ui, pages, TITLE, locale=locale
        )
        by_id(customer, "meeting-summary-toggle").click()
        expect(by_id(customer, "meeting-summary-panel")).to_be_visible()
        by_id(chat, "present-request").click()
        accept = by_id(customer, "presentation-accept")
        expect(accept).to_be_visible()
        expect(by_id(customer, "meeting-summary-panel")).to_be_hidden()
        assert accept.evaluate(ON_TOP_JS)
        short = locale[:2]
        screenshot(customer, f"meeting-customer-1280x800-{short}-request-over-agenda")
        by_id(customer, "meeting-summary-toggle").click()
        expect(by_id(customer, "meeting-summary-panel")).to_be_visible()
        assert accept.evaluate(ON_TOP_JS)
        assert by_id(customer, "presentation-decline").evaluate(ON_TOP_JS)
        prompt = by_id(customer, "presentation-prompt").bounding_box()
        panel = by_id(customer, "meeting-summary-panel")
        box = panel.bounding_box()
        assert prompt and box and box["y"] >= prompt["y"] + prompt["height"], (prompt, box)
        assert box["y"] + box["height"] <= DESKTOP["height"], box
        assert by_id(customer, "meeting-summary-agenda").locator("li").last.evaluate(ON_TOP_JS)
        screenshot(customer, f"meeting-customer-1280x800-{short}-agenda-reopened-below-request")
        with customer.expect_popup() as popup:
            accept.click()
        popup.value.close()
    finally:
        for page in pages:
            page.context.close()


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_a_phone_shows_the_meetings_title_on_two_lines(
    browser, relay, recorded_app: RecordedApp, open_ui: PageFactory, locale: str
) -> None:
    """At 390x844 the header's meeting line shows the title on two lines (a longer one ends in
    "…" on the second), not its first words; the header stays small."""
    pages: list[Page] = []
    try:
        _, phone = _open_meeting_chat(
            browser, relay, recorded_app, open_ui, pages, TITLE, viewport=PHONE, locale=locale
        )
        title = by_id(phone, "meeting-summary-title")
        expect(title).to_have_text(TITLE)
        shown = title.evaluate(TITLE_LINES_JS)
        assert shown["lines"] == 2, shown
        header = phone.locator(".cust-chat__header").bounding_box()
        assert header is not None and header["height"] <= 96, header
        screenshot(phone, f"meeting-customer-phone-{locale[:2]}-title")
    finally:
        for page in pages:
            page.context.close()


def test_a_plain_support_shows_no_meeting(
    browser, relay, recorded_app: RecordedApp, open_ui: PageFactory
) -> None:
    """A support made with New support has no meeting line on either side."""
    pages: list[Page] = []
    try:
        support = open_desktop_support(
            browser, recorded_app.app, open_ui, pages, {"width": 960, "height": 720}
        )
        expect(by_id(support.chat, "chat-peer-name")).to_have_text("Chris Park")
        expect(by_id(support.chat, "meeting-summary")).to_be_hidden()
        expect(by_id(support.chat, "waiting-reservation")).to_be_hidden()
        expect(by_id(support.customer, "meeting-summary")).to_be_hidden()
    finally:
        for page in pages:
            page.context.close()
