"""The views that derive their state first and then patch the DOM: the file list and the chat.

The pure parts (describeTransferRow, MessageOrder) run in Chromium as the pages load them; the
file list is also checked on a real upload through the relay, the chat with a real ChatView.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.files import make_file
from tests.support.ui_pages import (
    PageFactory,
    by_id,
    close_pages,
    join_as_customer,
    open_page,
    rows,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own pages and support."""
    return shared_relay


KIB = 1024

T = {"id": "t1", "name": "a.pdf", "size": 1000, "sender": "customer"}
# (case, row, myRole, receiver) → what describeTransferRow returns (a subset of its fields)
ROW_CASES = [
    (
        "local file being checked",
        {"local": {"name": "a.pdf", "size": 1000, "phase": "checking", "done": 0}},
        "customer",
        {},
        {"state": "checking", "mine": True, "statusKey": "files.state.checking", "actions": []},
    ),
    (
        "local file hashed to 25%",
        {"local": {"name": "a.pdf", "size": 1000, "phase": "hashing", "done": 250}},
        "customer",
        {},
        {"state": "hashing", "done": 250, "params": {"percent": 25}, "actions": []},
    ),
    (
        "local file refused with a code",
        {
            "local": {
                "name": "a.pdf",
                "size": 1000,
                "phase": "failed",
                "done": 0,
                "error": {"code": "file_too_large", "message": "too big"},
            }
        },
        "customer",
        {},
        {"state": "failed", "statusKey": "error.file_too_large", "params": {"message": "too big"}},
    ),
    (
        "my upload at 40%: cancel",
        {"transfer": {**T, "state": "uploading", "uploaded": 400}},
        "customer",
        {},
        {
            "state": "uploading",
            "done": 400,
            "mine": True,
            "statusKey": "files.state.uploading",
            "params": {"percent": 40},
            "actions": ["cancel"],
        },
    ),
    (
        "ready for the browser receiver: cancel and download",
        {"transfer": {**T, "state": "ready"}},
        "agent",
        {"browserDownload": True},
        {
            "state": "ready",
            "mine": False,
            "statusKey": "files.state.ready_to_download",
            "actions": ["cancel", "download"],
        },
    ),
    (
        "ready for a customer, from the agent: download only (a cancel would take it from all)",
        {"transfer": {**T, "sender": "agent", "state": "ready"}},
        "customer",
        {"browserDownload": True},
        {"mine": False, "state": "ready", "actions": ["download"]},
    ),
    (
        "the agent's file uploading, for a customer: no cancel (the relay refuses it)",
        {"transfer": {**T, "sender": "agent", "state": "uploading", "uploaded": 400}},
        "customer",
        {},
        {"mine": False, "state": "uploading", "actions": []},
    ),
    (
        "another customer's file uploading: not mine, no cancel",
        {"transfer": {**T, "sender_id": "lee", "state": "uploading", "uploaded": 400}},
        "customer",
        {"myId": "kim"},
        {"mine": False, "statusKey": "files.state.uploading", "actions": []},
    ),
    (
        "my own file by participant id, uploading: cancel",
        {"transfer": {**T, "sender_id": "kim", "state": "uploading", "uploaded": 400}},
        "customer",
        {"myId": "kim"},
        {"mine": True, "actions": ["cancel"]},
    ),
    (
        "ready, sent by me: upload complete, withdraw the offer, and I may download it too",
        {"transfer": {**T, "state": "ready"}},
        "customer",
        {"browserDownload": True},
        {"statusKey": "files.state.ready", "done": 1000, "actions": ["withdraw", "download"]},
    ),
    (
        "ready, the customer's, at the agent: the agent stops it (not its own offer)",
        {"transfer": {**T, "state": "ready"}},
        "agent",
        {"browserDownload": True},
        {"mine": False, "actions": ["cancel", "download"]},
    ),
    (
        "cancelled by its sender once uploaded: withdrawn, on both sides",
        {"transfer": {**T, "state": "cancelled", "uploaded": 1000, "cancelled_by": "customer"}},
        "agent",
        {},
        {"state": "cancelled", "statusKey": "files.state.withdrawn", "actions": []},
    ),
    (
        "cancelled by the agent once uploaded, the customer's file: cancelled, not withdrawn",
        {"transfer": {**T, "state": "cancelled", "uploaded": 1000, "cancelled_by": "agent"}},
        "customer",
        {},
        {"statusKey": "files.state.cancelled", "actions": []},
    ),
    (
        "received, sent by me: download again",
        {"transfer": {**T, "state": "received"}},
        "customer",
        {"browserDownload": True},
        {"statusKey": "files.state.received", "mine": True, "actions": ["download"]},
    ),
    (
        "known from its chat entry only, before the file list came",
        {"entry": {"id": "t1", "name": "a.pdf", "size": 1000, "sender": "agent"}},
        "agent",
        {"browserDownload": True},
        {"state": "unknown", "mine": True, "name": "a.pdf", "statusKey": "", "actions": []},
    ),
    (
        "received, then the session ended: nothing to download any more",
        {"transfer": {**T, "state": "received"}, "gone": True},
        "agent",
        {"browserDownload": True},
        {"state": "received", "actions": []},
    ),
    (
        "uploading when the relay forgot it",
        {"transfer": {**T, "state": "uploading"}, "gone": True},
        "customer",
        {},
        {"state": "unavailable", "statusKey": "files.state.unavailable", "actions": []},
    ),
    (
        "a chat entry whose file the relay no longer has",
        {"entry": {"id": "t1", "name": "a.pdf", "size": 1000, "sender": "agent"}, "gone": True},
        "customer",
        {"browserDownload": True},
        {"state": "unavailable", "statusKey": "files.state.unavailable", "actions": []},
    ),
    (
        "ready for the viewer program: save",
        {"transfer": {**T, "state": "ready"}},
        "agent",
        {"native": True},
        {"actions": ["cancel", "save"]},
    ),
    (
        "my own file, ready, in the program: withdraw it, or save a copy",
        {"transfer": {**T, "state": "ready"}},
        "customer",
        {"native": True},
        {"mine": True, "statusKey": "files.state.ready", "actions": ["withdraw", "save"]},
    ),
    (
        "my own file, delivered, in the program: save a copy",
        {"transfer": {**T, "state": "received"}},
        "customer",
        {"native": True},
        {"mine": True, "actions": ["save"]},
    ),
    (
        "the program is saving at 50%",
        {"transfer": {**T, "state": "ready", "downloaded": 500}, "saving": {"phase": "saving"}},
        "agent",
        {"native": True},
        {"statusKey": "files.state.saving", "params": {"percent": 50}, "actions": ["cancel"]},
    ),
    (
        "the program saved it: open folder",
        {"transfer": {**T, "state": "ready"}, "saving": {"saved": "a (1).pdf"}},
        "agent",
        {"native": True},
        {
            "state": "received",
            "done": 1000,
            "statusKey": "files.state.saved",
            "params": {"name": "a (1).pdf"},
            "actions": ["open_folder"],
        },
    ),
    (
        "the program failed to save",
        {"transfer": {**T, "state": "ready"}, "saving": {"error": {"code": "file_save_failed"}}},
        "agent",
        {"native": True},
        {"state": "failed", "statusKey": "error.file_save_failed", "actions": []},
    ),
    (
        "received: download again in the browser",
        {"transfer": {**T, "state": "received"}},
        "agent",
        {"browserDownload": True},
        {"state": "received", "done": 1000, "actions": ["download"]},
    ),
    (
        "cancelled: nothing to press",
        {"transfer": {**T, "state": "cancelled", "uploaded": 300}},
        "customer",
        {},
        {"state": "cancelled", "done": 0, "statusKey": "files.state.cancelled", "actions": []},
    ),
    (
        "failed with the relay's reason",
        {"transfer": {**T, "state": "failed", "error": "checksum_mismatch"}},
        "customer",
        {},
        {"statusKey": "files.state.failed", "params": {"reason": "checksum_mismatch"}},
    ),
    (
        "an empty file is all there",
        {"transfer": {**T, "size": 0, "state": "uploading", "uploaded": 0}},
        "customer",
        {},
        {"params": {"percent": 100}},
    ),
]


def test_describe_transfer_row(open_ui: PageFactory) -> None:
    """describeTransferRow() derives state, progress, status key and actions for every kind of
    row (local, relay transfer, saved by the program), and null for a row with nothing yet."""
    page = open_ui("/")
    results = page.evaluate(
        """async (cases) => {
            const { describeTransferRow } = await import("/ui/common/files/transfer_row.js");
            const results = cases.map(([, row, role, receiver]) =>
                describeTransferRow(row, role, receiver));
            results.push(describeTransferRow({ saving: { phase: "saving" } }, "agent"));
            return results;
        }""",
        [[name, row, role, receiver] for name, row, role, receiver, _ in ROW_CASES],
    )
    assert results.pop() is None
    for (name, _, _, _, expected), got in zip(ROW_CASES, results, strict=True):
        assert {key: got[key] for key in expected} == expected, name


# (arrival order of ids) → where each goes: the id it is inserted before (None: at the end)
ORDER_CASES = [
    ([1, 2, 3], [None, None, None]),
    ([3, 1, 2], [None, 3, 3]),
    ([5, 1, 9, 7, 3], [None, 5, None, 9, 5]),
    ([10, 2, 30, 20, 1], [None, 10, None, 30, 2]),
]


def test_message_order_places_late_messages(open_ui: PageFactory) -> None:
    """MessageOrder keeps ids ascending whatever the arrival order, says which message each
    new one goes before, and refuses an id twice or a non-integer."""
    page = open_ui("/")
    result = page.evaluate(
        """async (cases) => {
            const { MessageOrder } = await import("/ui/common/chat/message_order.js");
            const errorOf = (fn) => { try { fn(); return null; } catch (e) { return e.name; } };
            const places = cases.map(([arrivals]) => {
                const order = new MessageOrder();
                const before = arrivals.map((id) => order.add(id));
                return { before, ids: order.ids, has: arrivals.every((id) => order.has(id)) };
            });
            const order = new MessageOrder();
            order.add(1);
            const twice = errorOf(() => order.add(1));
            return { places, twice, bad: errorOf(() => order.add("2")) };
        }""",
        [[arrivals] for arrivals, _ in ORDER_CASES],
    )
    for (arrivals, expected), got in zip(ORDER_CASES, result["places"], strict=True):
        assert got["before"] == expected, arrivals
        assert got["ids"] == sorted(arrivals) and got["has"]
    assert result["twice"] == result["bad"] == "RangeError"


def test_chat_shows_replayed_and_live_messages_in_id_order(open_ui: PageFactory) -> None:
    """A ChatView given a replay (welcome.missed) and live messages out of order, a duplicate
    and an own message still waiting, shows the messages by id with the waiting one last."""
    page = open_ui("/")
    order = page.evaluate(
        """async () => {
            const { ChatView } = await import("/ui/common/chat/chat_view.js");
            const { i18n } = await import("/ui/common/i18n.js");
            const { CHAT_STRINGS } = await import("/ui/common/strings/chat_strings.js");
            i18n.addStrings(CHAT_STRINGS);
            const handlers = new Map();
            // The socket is the edge: messages are fed in as the relay would send them.
            const socket = {
                status: "online",
                on(type, handler) { handlers.set(type, handler); return () => {}; },
                send() { return true; },
            };
            const emit = (message) => handlers.get(message.type)(message);
            const container = document.createElement("div");
            document.body.append(container);
            const chat = new ChatView(container, { socket, role: "customer", i18n });
            const message = (id, role = "agent") =>
                ({ type: "chat_message", id, role, text: `m${id}`, sent_at: 1000 + id });
            emit(message(5));
            chat._send("waiting for its id");
            emit({ type: "welcome", read_up_to: {}, missed: [message(2), message(4, "customer")] });
            emit(message(7));
            emit(message(3));
            emit(message(4, "customer"));
            emit(message(1));
            emit(message(6));
            return [...container.querySelectorAll(".rs-msg")].map(
                (node) => node.dataset.id ?? "waiting");
        }"""
    )
    assert order == ["1", "2", "3", "4", "5", "6", "7", "waiting"]


def test_cancel_keeps_focus_and_cancels_once_during_a_real_upload(
    browser, relay, request, tmp_path
) -> None:
    """During a real, throttled upload from the customer page the row is patched, not rebuilt:
    its element and the focused Cancel survive progress ticks, nothing in a live region changes
    on a tick, and Cancel pressed again before the relay answered sends no second cancel."""
    page = open_page(browser, relay.url + "/")
    try:
        join_as_customer(page, relay)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": 256 * KIB,
            },
        )
        source = tmp_path / "catalogue.pdf"
        make_file(source, 6 * 1024 * KIB)
        by_id(page, "file-input").set_input_files(str(source))
        row = rows(page).first
        expect(row).to_have_attribute("data-state", "uploading", timeout=20_000)
        cancel = row.get_by_test_id("file-cancel")
        cancel.focus()
        item = row.element_handle()
        button = cancel.element_handle()
        page.evaluate(
            """() => {
                window.__liveChanges = 0;
                const root = document.querySelector('[data-testid="chat-transcript"]');
                new MutationObserver((records) => {
                    for (const record of records) {
                        const node = record.target.nodeType === 1
                            ? record.target : record.target.parentElement;
                        const live = node.closest("[aria-live]");
                        if (live && live.getAttribute("aria-live") !== "off") {
                            window.__liveChanges += 1;
                        }
                    }
                }).observe(root, { subtree: true, childList: true, characterData: true });
            }"""
        )
        bar = row.get_by_test_id("file-progress")
        for _ in range(3):  # three progress ticks from the relay
            value = bar.evaluate("bar => bar.value")
            page.wait_for_function(
                """([value]) => document.querySelector('[data-testid="file-progress"]').value
                    > value""",
                arg=[value],
            )
            assert page.evaluate("(item) => item.isConnected", item)
            assert row.element_handle().evaluate("(node, item) => node === item", item)
            assert page.evaluate("(button) => document.activeElement === button", button)
        assert page.evaluate("window.__liveChanges") == 0

        # Cancel, held at the relay's door until another tick came and Cancel was pressed again.
        cancels = []
        held = []
        page.route(
            "**/api/files/*",
            lambda route: (
                (cancels.append(route.request.url), held.append(route))
                if route.request.method == "DELETE"
                else route.fallback()
            ),
        )
        cancel.click()
        expect(cancel).to_be_disabled()
        value = bar.evaluate("bar => bar.value")
        page.wait_for_function(
            """([value]) => document.querySelector('[data-testid="file-progress"]').value
                > value""",
            arg=[value],
        )
        row.get_by_test_id("file-cancel").click(force=True)
        assert len(held) == 1
        held[0].continue_()
        expect(row).to_have_attribute("data-state", "cancelled")
        assert len(cancels) == 1
        expect(by_id(page, "file-announcer")).to_contain_text("catalogue.pdf")
    finally:
        close_pages([page], request)
