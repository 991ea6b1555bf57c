"""Support history (A10) on /agent and usage history (AD2) on /admin, in real Chromium against a
real relay: a real session (chat both ways, notes, a file) ends, then the agent finds it by a
word of the notes and one of the transcript, opens it, edits its notes; the admin reads it.
"""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.relay import ROOT
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

SHOTS = reviewers_folder("history")
WIDE = {"width": 1280, "height": 800}
PDF = b"%PDF-1.4 quartz price list"


@pytest.fixture
def relay(relay_factory):
    """This module's relay: alice and bob (agents) and root (admin)."""
    return relay_factory(agents=(ROOT,))


def keep(page: Page, name: str) -> None:
    """A screenshot in test-artifacts/, copied to the shots folder when it exists."""
    keep_shot(screenshot(page, name), SHOTS)


def send_file(api: Api, token: str, session_id: str) -> None:
    offer = {"name": "quartz-prices.pdf", "size": len(PDF), "type": "application/pdf",
             "sha256": hashlib.sha256(PDF).hexdigest()}  # fmt: skip
    status, body, _ = api.request("POST", f"/api/sessions/{session_id}/files", offer, token)
    assert status == 201, body
    request = urllib.request.Request(
        f"{api.base_url}/api/files/{body['transfer']['id']}/content?offset=0",
        data=PDF,
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def a_real_session(agent: Page, open_ui: PageFactory, relay) -> None:
    """Alice and a customer chat, she writes notes and sends a file, then ends the session."""
    code = start_support(agent)
    customer = open_ui("/", viewport=WIDE)
    customer_join(customer, code, name="Chris Park")
    send_chat(customer, "견적서를 이메일로 받을 수 있을까요?")
    send_chat(agent, "Of course. The Zephyr brochure comes with it.")
    expect(customer.get_by_text("The Zephyr brochure comes with it.")).to_be_visible()
    if by_id(agent, "notes-toggle").is_visible():  # narrow windows fold the notes away
        by_id(agent, "notes-toggle").click()
    by_id(agent, "notes-input").fill("Wants quartz pricing for 12 units; call back Tuesday.")
    by_id(agent, "notes-save").click()
    expect(by_id(agent, "notes-status")).not_to_be_empty()
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    session_id = agent.evaluate("window.__rsTest.state().sessionId")
    send_file(api, token, session_id)
    by_id(agent, "end-button").click()
    by_id(agent, "end-confirm").click()
    expect(agent.locator("#end-panel")).to_be_visible()


def search(page: Page, words: str) -> None:
    by_id(page, "history-q").fill(words)
    by_id(page, "history-search").click()


def test_agent_finds_opens_and_edits_a_past_session(open_ui: PageFactory, relay) -> None:
    """After a real session the history lists it; a note word and a transcript word find it; the
    detail shows transcript, notes, file and participants; edited notes are searchable."""
    agent = open_ui("/agent", viewport=WIDE)
    agent_login(agent)
    a_real_session(agent, open_ui, relay)
    agent.goto(relay.url + "/agent")  # back home, as after a reload
    by_id(agent, "history-button").click()
    rows = by_id(agent, "history-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Chris Park")
    expect(rows.first).to_contain_text("1 file")
    keep(agent, "agent-browser-history-list-en")

    search(agent, "quartz")  # a word of the notes
    expect(by_id(agent, "history-status")).to_have_text("1 session")
    search(agent, "견적서")  # a word of the transcript (Korean)
    expect(rows).to_have_count(1)
    search(agent, "zephyr brochure")
    expect(rows).to_have_count(1)
    search(agent, "tractor")
    expect(rows).to_have_count(0)
    expect(by_id(agent, "history-status")).to_contain_text("No sessions match")
    by_id(agent, "history-clear").click()
    expect(rows).to_have_count(1)

    rows.first.get_by_role("button").click()
    detail = by_id(agent, "history-detail")
    expect(by_id(agent, "history-detail-title")).to_have_text("Session with Chris Park")
    expect(by_id(agent, "history-transcript")).to_contain_text(
        "견적서를 이메일로 받을 수 있을까요?"
    )
    expect(by_id(agent, "history-transcript")).to_contain_text("The Zephyr brochure comes with it.")
    expect(by_id(agent, "history-notes")).to_have_value(
        "Wants quartz pricing for 12 units; call back Tuesday."
    )
    files = by_id(agent, "history-file-list")
    expect(files).to_contain_text("quartz-prices.pdf")
    expect(files).to_contain_text(hashlib.sha256(PDF).hexdigest())
    expect(files).to_contain_text("Sent by Agent")
    expect(by_id(agent, "history-participants")).to_contain_text("Chris Park")
    expect(by_id(agent, "history-usage")).to_contain_text("The screen was not shared")
    expect(detail).to_contain_text("No recording for this session.")
    keep(agent, "agent-browser-history-detail-en")

    by_id(agent, "history-notes").fill("Ordered 12 units of quartz.")
    by_id(agent, "history-notes-save").click()
    expect(by_id(agent, "history-notes-status")).to_have_text("Notes saved.")
    search(agent, "ordered")
    expect(rows).to_have_count(1)
    search(agent, "tuesday")
    expect(rows).to_have_count(0)

    by_id(agent, "history-clear").click()
    agent.get_by_test_id("language-select").select_option("ko")
    expect(by_id(agent, "history-status")).to_have_text("상담 1건")
    rows.first.get_by_role("button").click()
    expect(by_id(agent, "history-detail-title")).to_have_text("Chris Park 고객과의 상담")
    keep(agent, "agent-browser-history-detail-ko")

    # The admin reads it too, with the agent's name in the list (AD2).
    admin = open_ui("/admin#history", viewport=WIDE)
    by_id(admin, "login-username").fill(ROOT.username)
    by_id(admin, "login-password").fill(ROOT.password)
    by_id(admin, "login-button").click()
    admin_rows = by_id(admin, "history-row")
    expect(admin_rows).to_have_count(1)
    expect(admin_rows.first).to_contain_text("Alice Kim")
    keep(admin, "admin-usage-history-list-en")
    by_id(admin, "history-agent").fill("bob")
    by_id(admin, "history-search").click()
    expect(admin_rows).to_have_count(0)
    by_id(admin, "history-clear").click()
    admin_rows.first.get_by_role("button").click()
    expect(by_id(admin, "history-notes-text")).to_have_text("Ordered 12 units of quartz.")
    keep(admin, "admin-usage-history-en")
    admin.get_by_test_id("language-select").select_option("ko")
    expect(by_id(admin, "history-detail-title")).to_have_text("Chris Park 고객과의 상담")
    keep(admin, "admin-usage-history-ko")

    # The admin site works on a phone: the list scrolls inside its card, the page does not.
    admin.set_viewport_size({"width": 390, "height": 844})
    by_id(admin, "history-back").click()
    expect(admin_rows).to_have_count(1)
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390
    keep(admin, "admin-usage-history-phone-ko")


def test_the_filters_become_the_relays_query(open_ui: PageFactory) -> None:
    """history_query.js: local days as epoch bounds (the "to" day included), flags only when
    chosen, duration choices as seconds, text trimmed; "any" sends nothing."""
    page = open_ui("/agent")
    result = page.evaluate(
        """async () => {
            const q = await import("/ui/common/history/history_query.js");
            const built = q.historyQuery(
                { from: "2026-12-01", to: "2026-12-01", customer: " 김 ", q: " zephyr ",
                  presented: "yes", files: "any", duration: "medium", agent: "" },
                { page: 2 });
            const day = new Date(2026, 11, 1).getTime() / 1000;
            return { built: Object.fromEntries(new URLSearchParams(built)), day,
                     none: q.historyQuery({ presented: "any", duration: "any" }),
                     bad: q.localDayStart("12/01/2026"), pages: q.pageCount(51, 25),
                     size: q.formatBytes(1536) };
        }"""
    )
    day = result["day"]
    assert result["built"] == {
        "from": str(int(day)), "to": str(int(day + 86_400)), "customer": "김", "q": "zephyr",
        "presented": "yes", "min_duration_s": "300", "max_duration_s": "1800", "page": "2",
    }  # fmt: skip
    assert result["none"] == "" and result["bad"] is None
    assert (result["pages"], result["size"]) == (3, "1.5 KB")
