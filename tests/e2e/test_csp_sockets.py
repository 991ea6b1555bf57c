"""The relay's Content-Security-Policy in real Chromium: `connect-src 'self'` lets its pages
open sockets to the relay itself and to nowhere else."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.ui_pages import bubble_with_text, send_chat

pytestmark = pytest.mark.e2e

# Opens a websocket from the page; resolves with what happened to it.
OPEN_SOCKET = """(url) => new Promise((resolve) => {
  document.addEventListener("securitypolicyviolation",
    (e) => resolve({outcome: "blocked", directive: e.effectiveDirective}), {once: true});
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (error) {
    resolve({outcome: "blocked", directive: String(error)});
    return;
  }
  ws.onopen = () => { ws.close(); resolve({outcome: "open"}); };
  ws.onerror = () => setTimeout(() => resolve({outcome: "error"}), 1000);
})"""


def test_pages_open_sockets_to_the_relay_only(chat_pages: tuple[Page, Page], relay_factory):
    """The customer page still chats over its websocket, a page script can open another socket
    to its own relay, and one to a relay on another port is blocked by connect-src (it opened
    with `connect-src 'self' ws: wss:`)."""
    agent, customer = chat_pages
    send_chat(customer, "Is this socket allowed?")
    expect(bubble_with_text(agent, "Is this socket allowed?")).to_be_visible()

    own = customer.evaluate("() => location.origin.replace(/^http/, 'ws') + '/ws'")
    assert customer.evaluate(OPEN_SOCKET, own) == {"outcome": "open"}
    other = relay_factory()
    assert customer.evaluate(OPEN_SOCKET, other.ws_url) == {
        "outcome": "blocked", "directive": "connect-src",
    }  # fmt: skip
