"""Calling the agent's attention on the relay's /agent page: sound and the
browser's Notification API while the page is in the background, nothing while the agent looks
at it, nothing when Settings › Alerts turns them off.

The page runs in real Chromium with the notification permission granted. An init script wraps
the real ``Notification`` constructor and ``OscillatorNode.start`` to record what the page
shows and plays. Playwright's Chromium keeps every page "visible" (another tab or window in
front, a minimised window, even headed under Xvfb: tried), so the same script lets the test
put the page in the background: ``document.hidden`` answers true and ``visibilitychange``
fires, as when the agent switches to another tab.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.support.api import Api
from tests.support.ui_pages import (
    agent_login,
    bubble_with_text,
    by_id,
    close_pages,
    customer_join,
    screenshot,
    send_chat,
    start_support,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support; the attention settings it
    changes in alice's account ``shared_relay`` puts back."""
    return shared_relay


AGENT_VIEWPORT = {"width": 1280, "height": 800}
RECORD_ATTENTION_JS = """
(() => {
  const record = { notifications: [], tones: 0 };
  window.__attentionRecord = record;
  const Real = window.Notification;
  if (Real) {
    window.Notification = class RecordedNotification extends Real {
      constructor(title, options = {}) {
        super(title, options);
        record.notifications.push({ title, body: options.body ?? "", tag: options.tag ?? "" });
      }
    };
  }
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    record.tones += 1;
    return start.apply(this, args);
  };
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { get: () => hidden, configurable: true });
  Object.defineProperty(Document.prototype, "visibilityState", {
    get: () => (hidden ? "hidden" : "visible"), configurable: true,
  });
  window.__setBackground = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
})();
"""


@pytest.fixture
def pages(browser, relay, request) -> Iterator[list[Page]]:
    opened: list[Page] = []
    yield opened
    close_pages(opened, request)


def open_agent(browser, relay, pages: list[Page]) -> Page:
    """The /agent page with notifications allowed and the recorder in place, alice signed in."""
    context = browser.new_context(viewport=AGENT_VIEWPORT, locale="en-US")
    context.grant_permissions(["notifications"], origin=relay.url)
    context.add_init_script(RECORD_ATTENTION_JS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.rs_errors = errors  # type: ignore[attr-defined]
    pages.append(page)
    page.goto(relay.url + "/agent")
    agent_login(page)
    return page


def open_customer(browser, relay, pages: list[Page], code: str) -> Page:
    context = browser.new_context(viewport=AGENT_VIEWPORT, locale="en-US")
    page = context.new_page()
    pages.append(page)
    page.goto(relay.url + "/")
    customer_join(page, code, name="Chris Park")
    return page


def record(page: Page) -> dict:
    return page.evaluate("window.__attentionRecord")


def wait_for_calls(page: Page, count: int) -> list[dict]:
    """Wait until the page has handled `count` attention events; returns their log."""
    page.wait_for_function(f"() => window.__rsTest.attention().length >= {count}")
    return page.evaluate("window.__rsTest.attention()")


def test_join_and_message_in_the_background_notify_and_sound(browser, relay, pages):
    """With the page in the background, a customer's join and message each show a browser
    notification (who, what) and play the chime; with the page in front, a message does neither."""
    agent = open_agent(browser, relay, pages)
    code = start_support(agent)
    agent.evaluate("window.__setBackground(true)")

    customer = open_customer(browser, relay, pages, code)
    agent.wait_for_function("() => window.__attentionRecord.notifications.length >= 1")
    first = record(agent)
    assert first["notifications"] == [
        {"title": "Chris Park joined", "body": "Your customer is in the chat.",
         "tag": first["notifications"][0]["tag"]},
    ]  # fmt: skip
    assert first["notifications"][0]["tag"].startswith("remotesales-")
    assert first["tones"] == 2  # the join's two rising notes

    send_chat(customer, "Can we talk price?")
    agent.wait_for_function("() => window.__attentionRecord.notifications.length >= 2")
    second = record(agent)
    assert second["notifications"][1]["title"] == "New message from Chris Park"
    assert second["notifications"][1]["body"] == "Can we talk price?"
    assert second["tones"] == 3  # plus the message's one note
    screenshot(agent, "attention-agent-background-chat")

    # The agent comes back: the next message is seen in the chat, so nothing calls.
    agent.evaluate("window.__setBackground(false)")
    send_chat(customer, "Hello?")
    expect(bubble_with_text(agent, "Hello?")).to_be_visible()
    log = wait_for_calls(agent, 3)
    assert log[2]["event"] == "message" and log[2]["away"] is False
    assert len(record(agent)["notifications"]) == 2
    assert record(agent)["tones"] == 3


def test_alerts_turned_off_in_settings_call_nothing(browser, relay, pages):
    """Settings › Alerts with sound and notifications off (saved with the account): a join and a
    message in the background show no notification and play nothing."""
    agent = open_agent(browser, relay, pages)
    by_id(agent, "settings-button").click()
    by_id(agent, "tab-alerts").click()
    form = by_id(agent, "attention-settings")
    expect(form).to_be_visible()
    expect(by_id(agent, "attention-sound")).to_be_checked()
    expect(by_id(agent, "attention-notifications")).to_be_checked()
    expect(by_id(agent, "attention-volume-value")).to_have_text("60%")
    screenshot(agent, "attention-settings-browser")
    by_id(agent, "attention-sound").uncheck()
    expect(by_id(agent, "attention-status")).to_have_text("Saved.")
    expect(by_id(agent, "attention-volume")).to_be_disabled()
    by_id(agent, "attention-notifications").uncheck()
    token = agent.evaluate("JSON.parse(sessionStorage.getItem('rs.agent.auth')).token")
    prefs = Api(relay.url).request("GET", "/api/me/preferences", token=token)[1]["preferences"]
    assert prefs["attention"] == {"sound": False, "volume": 60, "notifications": False}
    agent.get_by_role("button", name="Back").last.click()

    code = start_support(agent)
    agent.evaluate("window.__setBackground(true)")
    customer = open_customer(browser, relay, pages, code)
    send_chat(customer, "Anyone there?")
    log = wait_for_calls(agent, 2)
    assert [entry["event"] for entry in log] == ["customer_joined", "message"]
    assert all(entry["away"] and not entry["sounded"] and not entry["notified"] for entry in log)
    assert record(agent) == {"notifications": [], "tones": 0}


def test_a_knock_in_the_background_notifies_and_sounds(browser, relay, pages):
    """A customer who picks the agent's icon number knocks: with the page in the background the
    agent gets "<name> is asking to join" and the chime, once per knock."""
    agent = open_agent(browser, relay, pages)
    start_support(agent)
    icon = int(agent.locator("#icon-number").inner_text())
    # (A knock while the socket connects: test_a_knock_while_the_socket_connects_notifies_once.)
    agent.evaluate("window.__setBackground(true)")
    join = {"icon": icon, "name": "Dana Lee"}
    status, body, _ = Api(relay.url).request("POST", "/api/join", join)
    assert status == 202 and body["status"] == "knocking", body
    agent.wait_for_function("() => window.__attentionRecord.notifications.length >= 1")
    [knock] = record(agent)["notifications"]
    assert knock["title"] == "Dana Lee is asking to join"
    assert knock["body"] == "Open the chat to let them in or refuse."
    # The chime starts once the audio context resumed: it may follow the notification.
    agent.wait_for_function("() => window.__attentionRecord.tones >= 2")
    assert record(agent)["tones"] == 2
    expect(agent.locator("#knock-list")).to_contain_text("Dana Lee")
    log = wait_for_calls(agent, 1)
    assert [entry["event"] for entry in log] == ["knock"]


class HeldSocket:
    """The agent page's chat socket through Playwright's WebSocket routing: while `held`, a new
    socket reaches no relay (what the page sends waits here: it is still connecting);
    `release()` connects it and delivers what waited; `drop()` closes the page's side so the
    page reconnects."""

    def __init__(self, page: Page) -> None:
        self.held = True
        self.waiting: list[tuple[WebSocketRoute, list[str | bytes]]] = []
        self.routes: list[WebSocketRoute] = []
        page.route_web_socket(re.compile(r"/ws(\?.*)?$"), self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        self.routes.append(ws)
        if not self.held:
            ws.connect_to_server()  # both ways forwarded as they are
            return
        sent: list[str | bytes] = []
        ws.on_message(lambda message: sent.append(message))
        self.waiting.append((ws, sent))

    def release(self) -> None:
        self.held = False
        waiting, self.waiting = self.waiting, []
        for ws, sent in waiting:
            server = ws.connect_to_server()
            ws.on_message(lambda message, server=server: server.send(message))
            for message in sent:
                server.send(message)

    def drop(self) -> None:
        self.routes[-1].close(code=1012, reason="service restart")


def test_a_knock_while_the_socket_connects_notifies_once(browser, relay, pages):
    """A knock that comes while the agent's socket is still connecting reaches the agent as
    the state its welcome brings: the agent was not told yet, so it notifies and chimes once;
    a reconnect or a reload that brings the same knock again does not."""
    agent = open_agent(browser, relay, pages)
    socket = HeldSocket(agent)
    by_id(agent, "new-support-button").click()
    expect(by_id(agent, "access-code")).to_have_text(re.compile(r"^\d{9}$"))
    icon = int(agent.locator("#icon-number").inner_text())
    agent.evaluate("window.__setBackground(true)")
    join = {"icon": icon, "name": "Dana Lee"}
    status, body, _ = Api(relay.url).request("POST", "/api/join", join)
    assert status == 202 and body["status"] == "knocking", body
    expect(by_id(agent, "connection-status")).not_to_have_attribute("data-status", "online")
    socket.release()
    expect(by_id(agent, "connection-status")).to_have_attribute("data-status", "online")
    expect(agent.locator("#knock-list")).to_contain_text("Dana Lee")
    agent.wait_for_function("() => window.__attentionRecord.notifications.length >= 1")
    [knock] = record(agent)["notifications"]
    assert knock["title"] == "Dana Lee is asking to join"
    agent.wait_for_function("() => window.__attentionRecord.tones >= 2")

    # A reconnect brings the same knock in its welcome's list again: not news.
    socket.drop()
    expect(by_id(agent, "connection-status")).not_to_have_attribute("data-status", "online")
    expect(by_id(agent, "connection-status")).to_have_attribute("data-status", "online")
    expect(agent.locator("#knock-list")).to_contain_text("Dana Lee")
    agent.wait_for_timeout(500)
    assert len(record(agent)["notifications"]) == 1
    assert record(agent)["tones"] == 2
    log = agent.evaluate("window.__rsTest.attention()")
    assert [entry["event"] for entry in log] == ["knock"]

    # Nor does a reload (a chat window opened again): the agent was told already.
    agent.reload()
    agent.evaluate("window.__setBackground(true)")
    expect(by_id(agent, "connection-status")).to_have_attribute("data-status", "online")
    expect(agent.locator("#knock-list")).to_contain_text("Dana Lee")
    agent.wait_for_timeout(500)
    assert record(agent) == {"notifications": [], "tones": 0}
    assert agent.evaluate("window.__rsTest.attention()") == []


WATCH_SESSION_JS = """
async () => {
  const { watchSession } = await import("/ui/agent/attention.js");
  const { MessageType: T } = await import("/ui/common/protocol.js");
  const handlers = new Map();
  const socket = {
    on: (type, handler) => { handlers.set(type, [...(handlers.get(type) ?? []), handler]); },
  };
  const emit = (type, message) => (handlers.get(type) ?? []).forEach((h) => h(message));
  const calls = [];
  const attention = { call: (event, d) => calls.push([event, d.sessionId, d.name, d.text ?? ""]) };
  watchSession(socket, { attention, sessionId: () => "s1", customerName: () => "Chris" });
  const chat = (id, role, text) =>
    ({ id, role, name: role === "customer" ? "Chris" : "Alice", text });
  emit(T.WELCOME, { last_id: 2, missed: [chat(1, "customer", "old"), chat(2, "agent", "hi")] });
  emit(T.CHAT_MESSAGE, chat(2, "agent", "hi"));            // replayed: no news
  emit(T.CHAT_MESSAGE, chat(3, "agent", "mine"));          // the agent's own
  emit(T.CHAT_MESSAGE, chat(4, "customer", "price?"));     // news
  emit(T.CHAT_MESSAGE, chat(4, "customer", "price?"));     // the same again
  emit(T.PARTICIPANT_JOINED, { role: "customer", name: "Chris", rejoined: true });
  emit(T.PARTICIPANT_JOINED, { role: "customer", name: "Chris", rejoined: false });
  emit(T.PARTICIPANT_JOINED, { role: "agent", name: "Alice", rejoined: false });
  emit(T.CONTROL_STATE, { requested: true, requested_by: { customer_id: "c", name: "Chris P" } });
  emit(T.CONTROL_STATE, { requested: true, requested_by: { customer_id: "c", name: "Chris P" } });
  emit(T.CONTROL_STATE, { requested: false });
  emit(T.KNOCKS_CHANGED, { knocks: [{ id: "k1", name: "Dana" }] });
  emit(T.KNOCKS_CHANGED, { knocks: [{ id: "k1", name: "Dana" }] });
  emit(T.KNOCKS_CHANGED, { knocks: [{ id: "k1", name: "Dana" }, { id: "k2", name: null }] });
  emit(T.KNOCKS_CHANGED, { knocks: [] });
  return calls;
}
"""


def test_watch_session_calls_only_for_news(open_ui):
    """Replays, the agent's own messages, a rejoin, a request still pending and a knock already
    seen call nothing; each new message, first join, new request and new knock calls once."""
    page = open_ui("/agent")
    assert page.evaluate(WATCH_SESSION_JS) == [
        ["message", "s1", "Chris", "price?"],
        ["customer_joined", "s1", "Chris", ""],
        ["control_request", "s1", "Chris P", ""],
        ["knock", "s1", "Dana", ""],
        ["knock", "s1", "", ""],  # no name: not the chat's customer ("A customer" in the words)
    ]
