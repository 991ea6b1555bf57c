"""The chat beside the screen in the viewer, in real Chromium.

The agent is a real chat socket on the relay; the customer uses the viewer page (desktop
1280×800, phone 390×844, the one-time viewer's /view/native) and, in one test, the relay's
chat tab at the same time. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import (
    bubble_with_text,
    by_id,
    customer_join,
    open_page,
    screenshot,
    send_chat,
)
from tests.support.viewer_presenter import (
    PresentationSession,
    Presenter,
    open_native,
    open_viewer,
    sample_image,
    start_session,
    wait_for_stats,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer."""
    return shared_relay


DESKTOP_800 = {"width": 1280, "height": 800}
PHONE_390 = {"width": 390, "height": 844}
SCREEN = (1280, 720)


def _agent(session: PresentationSession) -> ChatClient:
    agent = ChatClient(session.ws_url, "agent", session.session_id, session.agent_token)
    assert agent.connect()["type"] == "welcome"
    return agent


def _present(session: PresentationSession) -> Presenter:
    presenter = Presenter(session)
    presenter.start(SCREEN)
    presenter.frame(1, 0, 0, sample_image(*SCREEN, noise=False), SCREEN, "png")
    return presenter


def _agent_gets(agent: ChatClient, text: str) -> dict:
    """The agent's next chat_message with `text` (others are skipped)."""
    while True:
        message = agent.recv_type("chat_message")
        if message["text"] == text:
            return message


def _agent_reads(agent: ChatClient, up_to_id: int) -> None:
    while True:
        read = agent.recv_type("marked_read")
        if read["role"] == "customer" and read["up_to_id"] >= up_to_id:
            return


def _box(page: Page, test_id: str) -> dict:
    box = by_id(page, test_id).bounding_box()
    assert box is not None, f"{test_id} is not displayed"
    return box


def test_desktop_viewer_chats_both_ways_and_counts_unread_when_collapsed(browser, relay) -> None:
    """At 1280×800 the chat is open beside the picture; the customer's message reaches the
    agent and the reply appears; collapsed, each agent message counts on the Chat button,
    with the latest one shown over the picture; clicking it opens the chat and reads them (the
    agent sees marked_read)."""
    session = start_session(relay)
    agent = _agent(session)
    presenter = _present(session)
    page = open_viewer(browser, session, viewport=DESKTOP_800)
    try:
        wait_for_stats(page, lambda s: s["framesPainted"] >= 1 and s["status"] == "online")
        chat, main = _box(page, "viewer-chat"), _box(page, "viewer-viewport")
        assert chat["x"] >= main["x"] + main["width"] - 1, "the chat is beside the picture"
        assert chat["width"] >= 320 and chat["height"] >= 600
        assert main["width"] >= 880, "the picture keeps most of the window"
        canvas = _box(page, "viewer-canvas")
        assert canvas["x"] + canvas["width"] <= chat["x"] + 1, (
            "no part of the picture under the chat"
        )
        expect(by_id(page, "viewer-chat-toggle")).to_be_hidden()

        send_chat(page, "Can we talk price?")
        sent = _agent_gets(agent, "Can we talk price?")
        assert sent["role"] == "customer"
        expect(bubble_with_text(page, "Can we talk price?")).to_have_attribute("data-state", "sent")
        agent.chat("Of course: 10% off this week.", "a-1")
        reply = bubble_with_text(page, "Of course: 10% off this week.")
        expect(reply).to_be_visible()
        _agent_reads(agent, sent["id"] + 1)  # the open chat reads the reply at once
        screenshot(page, "viewer-chat-desktop-open")

        by_id(page, "viewer-chat-close").click()
        expect(by_id(page, "viewer-chat")).to_be_hidden()
        toggle = by_id(page, "viewer-chat-toggle")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        badge = by_id(page, "viewer-chat-unread")
        expect(badge).to_be_hidden()
        agent.chat("Did you see the second row?", "a-2")
        expect(badge).to_have_text("1")
        agent.chat("It has the yearly price.", "a-3")
        expect(badge).to_have_text("2")
        assert page.title().startswith("(2) ")
        wait_for_stats(page, lambda s: s["chat"]["unread"] == 2 and not s["chat"]["open"])
        preview = by_id(page, "viewer-chat-preview")
        expect(preview).to_be_visible()
        expect(by_id(page, "viewer-chat-preview-text")).to_have_text("It has the yearly price.")
        screenshot(page, "viewer-chat-desktop-collapsed-unread")

        preview.click()  # the latest message opens the chat
        expect(by_id(page, "viewer-chat")).to_be_visible()
        expect(badge).to_be_hidden()
        expect(preview).to_be_hidden()
        expect(bubble_with_text(page, "It has the yearly price.")).to_be_visible()
        expect(by_id(page, "chat-input")).to_be_focused()
        last = _agent_gets(agent, "It has the yearly price.")
        _agent_reads(agent, last["id"])
        assert not page.title().startswith("(")
        assert page.rs_errors == []  # type: ignore[attr-defined]
    finally:
        presenter.close()
        agent.close()
        page.context.close()


def test_phone_viewer_chat_is_a_sheet_over_the_screen(browser, relay) -> None:
    """At 390×844 the chat starts as a Chat button; an agent message counts on it; the sheet
    opens over the lower screen with the picture fitted above it, delivers both ways, and
    closes again."""
    session = start_session(relay)
    agent = _agent(session)
    presenter = _present(session)
    page = open_viewer(browser, session, viewport=PHONE_390)
    try:
        wait_for_stats(page, lambda s: s["framesPainted"] >= 1 and s["status"] == "online")
        sheet = by_id(page, "viewer-chat")
        expect(sheet).to_be_hidden()
        toggle = by_id(page, "viewer-chat-toggle")
        expect(toggle).to_be_visible()
        button = _box(page, "viewer-chat-toggle")
        assert button["height"] >= 44 and button["x"] + button["width"] <= PHONE_390["width"]
        agent.chat("Hi! Tap Chat to talk while you watch.", "a-1")
        expect(by_id(page, "viewer-chat-unread")).to_have_text("1")
        screenshot(page, "viewer-chat-phone-collapsed-unread")

        toggle.click()
        expect(sheet).to_be_visible()
        box = _box(page, "viewer-chat")
        assert (box["x"], box["width"]) == (0, PHONE_390["width"]), "the sheet spans the phone"
        assert abs(box["y"] + box["height"] - PHONE_390["height"]) <= 1, "it sits at the bottom"
        main = _box(page, "viewer-viewport")
        assert box["y"] < main["y"] + 400, "it lies over the screen area"
        canvas = _box(page, "viewer-canvas")
        assert canvas["y"] + canvas["height"] <= box["y"] + 1, "the picture is above the sheet"
        assert canvas["width"] >= 380, "and still as wide as the phone"
        expect(by_id(page, "viewer-chat-unread")).to_be_hidden()
        expect(bubble_with_text(page, "Hi! Tap Chat to talk while you watch.")).to_be_visible()
        input_box = _box(page, "chat-input")
        assert input_box["y"] + input_box["height"] <= PHONE_390["height"], "composer on screen"

        send_chat(page, "Yes, I can see it")
        _agent_gets(agent, "Yes, I can see it")
        agent.chat("Great", "a-2")
        expect(bubble_with_text(page, "Great")).to_be_visible()
        screenshot(page, "viewer-chat-phone-sheet-open")

        by_id(page, "viewer-chat-close").click()
        expect(sheet).to_be_hidden()
        expect(toggle).to_be_visible()
        expect(toggle).to_be_focused()
        assert page.rs_errors == []  # type: ignore[attr-defined]
    finally:
        presenter.close()
        agent.close()
        page.context.close()


def test_the_chat_tab_keeps_working_beside_the_viewer(browser, relay) -> None:
    """The customer's chat tab and the viewer chat at the same time: neither is replaced
    (4005), a message from either shows in both, and reading in the viewer clears the tab's
    unread count."""
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    tab = open_page(browser, relay.url + "/", viewport=DESKTOP_800)
    viewer = None
    agent = None
    try:
        customer_join(tab, support["code"], name="Chris Park")
        stored = tab.evaluate("JSON.parse(sessionStorage.getItem('rs.customer.session'))")
        session = PresentationSession(
            relay.url, stored["session_id"], token, stored["customer_token"]
        )
        agent = _agent(session)
        viewer = open_viewer(browser, session, viewport=DESKTOP_800)
        wait_for_stats(viewer, lambda s: s["status"] == "online")

        send_chat(viewer, "Sent from the viewer")
        _agent_gets(agent, "Sent from the viewer")
        expect(bubble_with_text(tab, "Sent from the viewer")).to_be_visible()
        send_chat(tab, "Sent from the tab")
        _agent_gets(agent, "Sent from the tab")
        expect(bubble_with_text(viewer, "Sent from the tab")).to_be_visible()
        agent.chat("Both work", "a-1")
        expect(bubble_with_text(viewer, "Both work")).to_be_visible()
        expect(bubble_with_text(tab, "Both work")).to_be_visible()

        expect(by_id(tab, "connection-status")).to_have_attribute("data-status", "online")
        expect(by_id(tab, "notice-panel")).to_be_hidden()
        assert viewer.evaluate("window.__rsViewer.stats().notice") is None
        assert tab.evaluate("window.__rsTest.state().step") == "chat"
        screenshot(viewer, "viewer-chat-beside-chat-tab-viewer")
        screenshot(tab, "viewer-chat-beside-chat-tab-tab")
        assert tab.rs_errors == [] and viewer.rs_errors == []  # type: ignore[attr-defined]
    finally:
        if agent is not None:
            agent.close()
        if viewer is not None:
            viewer.context.close()
        tab.context.close()


def test_one_time_viewer_page_has_the_chat(browser, relay) -> None:
    """In the one-time viewer program's page (/view/native, no chat tab anywhere) the chat
    is open beside the screen and delivers both ways over the program's own socket."""
    session = start_session(relay)
    agent = _agent(session)
    page = open_native(browser, session)
    try:
        wait_for_stats(page, lambda s: s["status"] == "online")
        assert page.evaluate("document.documentElement.dataset.native") == "true"
        expect(by_id(page, "viewer-chat")).to_be_visible()
        send_chat(page, "Hello from the viewer program")
        assert _agent_gets(agent, "Hello from the viewer program")["role"] == "customer"
        agent.chat("Welcome!", "a-1")
        expect(bubble_with_text(page, "Welcome!")).to_be_visible()
        screenshot(page, "viewer-chat-native")
        assert page.rs_errors == []  # type: ignore[attr-defined]
    finally:
        agent.close()
        page.context.close()


def test_a_file_is_an_item_of_the_viewers_conversation(browser, relay, tmp_path) -> None:
    """The agent's file shows in the viewer's chat panel between the messages, with "Upload
    complete" and Download, in Korean too; a reloaded viewer and the one-time viewer program's
    page show it in the same place."""
    from suite.files.client import FileTransferClient

    session = start_session(relay)
    agent = _agent(session)
    presenter = _present(session)
    page = open_viewer(browser, session, viewport=DESKTOP_800, locale="ko-KR")
    native = None
    try:
        wait_for_stats(page, lambda s: s["framesPainted"] >= 1 and s["status"] == "online")
        agent.chat("견적서를 보내 드릴게요.", "a-1")
        source = tmp_path / "2027 견적서.pdf"
        source.write_bytes(b"%PDF-1.4 " + b"x" * 150_000)
        FileTransferClient(relay.url, f"Bearer {session.agent_token}").send(
            session.session_id, source
        )
        agent.chat("확인해 보세요.", "a-2")
        expect(bubble_with_text(page, "확인해 보세요.")).to_be_visible()
        card = by_id(page, "file-row")
        expect(card).to_have_count(1)
        expect(card).to_have_attribute("data-state", "ready")
        expect(card.get_by_test_id("file-status")).to_have_text("업로드 완료 · 다운로드 가능")
        expect(card.get_by_test_id("file-download")).to_be_visible()
        order = """() => [...document.querySelectorAll(
            '[data-testid="viewer-chat"] [data-testid="chat-transcript"] > .rs-msg')]
            .map((li) => li.dataset.kind
                || (li.textContent.includes("견적서를") ? "first" : "last"))"""
        assert page.evaluate(order) == ["first", "file", "last"]
        chat, card_box = _box(page, "viewer-chat"), card.bounding_box()
        assert (
            card_box is not None and card_box["x"] + card_box["width"] <= chat["x"] + chat["width"]
        )
        keep_shot(
            screenshot(page, "viewer-chat-file-item-ko"),
            reviewers_folder("files-chat"),
            "after_viewer_chat_file_item_ko.png",
        )
        page.reload()
        expect(by_id(page, "file-row")).to_have_attribute("data-state", "ready")
        assert page.evaluate(order) == ["first", "file", "last"]
        native = open_native(browser, session)
        expect(by_id(native, "file-row")).to_have_attribute("data-state", "ready")
        expect(by_id(native, "file-download")).to_be_visible()
        assert page.rs_errors == []  # type: ignore[attr-defined]
    finally:
        presenter.close()
        agent.close()
        page.context.close()
        if native is not None:
            native.context.close()


FILE_LIST_RACE = """async () => {
    const { FileTransferView } = await import("/ui/common/files/file_transfer_view.js");
    const { i18n } = await import("/ui/common/i18n.js");
    const view = new FileTransferView({ i18n, myRole: "customer", cancel: async () => {} });
    const entry = (id) => ({ role: "agent", file: { id, name: `${id}.pdf`, size: 10 } });
    const transfer = (id, state) => ({ id, sender: "agent", name: `${id}.pdf`, size: 10, state });
    // "old" was in the chat before the list was asked for and the relay no longer lists it;
    // "new" is offered while the list is on its way: its entry first, then file_offered.
    const old = view.attachmentFor(entry("old"));
    const mark = view.listMark();
    const fresh = view.attachmentFor(entry("new"));
    view.load([], mark);
    const before = fresh.dataset.state;
    view.upsert(transfer("new", "offered"));
    view.upsert(transfer("new", "ready"));
    return { old: old.dataset.state, before, after: fresh.dataset.state };
}"""


def test_a_file_offered_while_the_list_is_asked_for_is_not_gone(open_ui) -> None:
    """A file list asked for before a file's chat entry came (it lacks that file) leaves the
    file's card alone, which then follows its file_* messages to ready, while a file the
    chat had before the list was asked for and the list lacks says it is no longer
    available."""
    page = open_ui("/")
    states = page.evaluate(FILE_LIST_RACE)
    assert states == {"old": "unavailable", "before": "unknown", "after": "ready"}, states
