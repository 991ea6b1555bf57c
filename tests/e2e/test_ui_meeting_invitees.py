"""An opened reservation (A11) leads with its invitees, not the access code.

Invitees come in by their personal links, so the waiting panel (the browser agent page at
1280x720 and the desktop chat window at its default 960x720, English and Korean) lists each
invitee's name and address and whether they have come in, above the code, the icon and the
invitation, which follow under "Invite another" for someone not on the list. Once the meeting
runs, the header's meeting panel shows who has come in as they arrive; and a long meeting title
in that header leaves "In chat since" whole (the title gives way, its whole text on hover).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.api import Api
from tests.support.desktop_ui import RecordedApp, main_window_page, recorded_local_app
from tests.support.relay import ALICE
from tests.support.reservations import book, book_and_open
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import PageFactory, agent_login, by_id, open_page, screenshot

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("meeting-invitees")
TITLE = "Zephyr quartz pricing for the Seoul office, second round with the purchasing team"
AGENT_WINDOW = {"width": 1280, "height": 720}
CHAT_WINDOW = {"width": 960, "height": 720}
# The waiting panel's "not in yet", the meeting panel's "in", its heading with one and both in.
STATES = {
    "en-US": ("Not in yet", "In", "Invitees (1 of 2 in)", "Invitees (2 of 2 in)"),
    "ko-KR": ("아직 입장 전", "입장함", "초대받은 분 (2명 중 1명 입장)",
              "초대받은 분 (2명 중 2명 입장)"),
}  # fmt: skip

# Whether the element shows all of its text (nothing cut by overflow or ellipsis).
WHOLE_JS = """(e) => {
  const r = e.getBoundingClientRect();
  return { width: r.width, cut: e.scrollWidth > e.clientWidth + 1, text: e.textContent };
}"""


@pytest.fixture
def recorded_app(relay, tmp_path: Path) -> Iterator[RecordedApp]:
    with recorded_local_app(tmp_path / "config", relay_url=relay.url) as app:
        yield app


def _top(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None, locator
    return box["y"]


def _assert_invitees_lead(page: Page, waiting: str) -> None:
    """Both invitees listed (name, address, not in yet) above "Invite another" and the code,
    and the list's top within the window."""
    rows = by_id(page, "waiting-invitee")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Kim Customer")
    expect(rows.nth(0)).to_contain_text("kim@example.com")
    expect(rows.nth(1)).to_contain_text("Lee Buyer")
    expect(rows.nth(1)).to_contain_text("lee@example.com")
    expect(by_id(page, "waiting-invitee-state")).to_have_text([waiting, waiting])
    other = by_id(page, "waiting-other-title")
    expect(other).to_be_visible()
    assert _top(by_id(page, "waiting-invitees")) < _top(other) < _top(by_id(page, "access-code"))
    box = rows.nth(1).bounding_box()
    assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"], box


def _meeting_link(reservation: dict, index: int) -> str:
    link = reservation["invitees"][index]["link_url"]
    return link[link.index("/?meet=") :]


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_browser_agent_pages_waiting_panel_leads_with_the_invitees(
    relay, open_ui: PageFactory, locale: str
) -> None:
    """Opened from the reservation list, the waiting panel lists the invitees first."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    book(api, token, title=TITLE)
    page = open_ui("/agent", viewport=AGENT_WINDOW, locale=locale)
    agent_login(page)
    by_id(page, "reservations-button").click()
    by_id(page, "reservation-open").click()
    expect(by_id(page, "waiting-reservation")).to_contain_text(TITLE)
    _assert_invitees_lead(page, STATES[locale][0])
    keep_shot(screenshot(page, f"meeting-waiting-browser-1280x720-{locale[:2]}"), SHOTS)


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_desktop_chat_window_leads_with_the_invitees_and_shows_them_come_in(
    browser, relay, recorded_app: RecordedApp, open_ui: PageFactory, locale: str
) -> None:
    """At 960x720 the waiting panel lists the invitees first; once they come, the header's
    meeting panel counts them in one by one, and "In chat since" stays whole beside the long
    title (which is cut with the whole title on hover)."""
    not_in, joined, one_in, both_in = STATES[locale]
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    reservation, session_id = book_and_open(api, token, title=TITLE)
    app = recorded_app.app
    main = main_window_page(browser, app)
    pages = [main]
    try:
        agent_login(main, ALICE.username, ALICE.password)
        url = app.page_url("agent/index.html", session=session_id)
        chat = open_page(browser, url, viewport=CHAT_WINDOW, locale=locale)
        pages.append(chat)
        expect(by_id(chat, "waiting-reservation")).to_contain_text(TITLE)
        _assert_invitees_lead(chat, not_in)
        short = locale[:2]
        keep_shot(screenshot(chat, f"meeting-waiting-desktop-960x720-{short}"), SHOTS)

        lee = open_ui(_meeting_link(reservation, 1))
        expect(by_id(lee, "chat-peer-name")).to_have_text(ALICE.name, timeout=20_000)
        expect(by_id(chat, "meeting-summary-title")).to_have_text(TITLE)
        since = chat.locator("#customer-since")
        expect(since).to_be_visible()
        shown = since.evaluate(WHOLE_JS)
        assert not shown["cut"] and shown["width"] > 0, shown
        title = by_id(chat, "meeting-summary-title").evaluate(WHOLE_JS)
        assert title["width"] >= 120, title  # the title's first words stay readable
        expect(by_id(chat, "meeting-summary-toggle")).to_have_attribute("title", TITLE)
        by_id(chat, "meeting-summary-toggle").click()
        people = by_id(chat, "meeting-summary-invitee")
        expect(by_id(chat, "meeting-summary-panel")).to_contain_text(one_in)
        expect(people.nth(0)).to_have_attribute("data-state", "waiting")
        expect(people.nth(1)).to_have_attribute("data-state", "joined")
        keep_shot(screenshot(chat, f"meeting-chat-desktop-960x720-{short}-one-in"), SHOTS)

        kim = open_ui(_meeting_link(reservation, 0), locale="ko-KR")
        expect(by_id(kim, "chat-peer-name")).to_have_text(ALICE.name, timeout=20_000)
        expect(by_id(chat, "meeting-summary-panel")).to_contain_text(both_in)
        expect(people.nth(0)).to_have_attribute("data-state", "joined")
        expect(people.nth(0)).to_contain_text(joined)
        keep_shot(screenshot(chat, f"meeting-chat-desktop-960x720-{short}-both-in"), SHOTS)
    finally:
        for page in pages:
            page.context.close()
