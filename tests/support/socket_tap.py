"""A tap on a page's chat websocket: records the `send_chat` frames the page sends.

Playwright routes the page's next websocket through the test (`page.route_web_socket`); every
frame still goes to the real relay and back unchanged: the tap only watches.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, WebSocketRoute, expect

from tests.support.ui_pages import by_id

WS_PATH = re.compile(r"/ws(\?|$)")


class SocketTap:
    """Route the page's chat socket through the test; call `reconnect()` to put it in place."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sent_chats: list[dict] = []
        # The page's socket URL carries ?session=<id> (the balancer's hint, docs/protocol.md).
        page.route_web_socket(WS_PATH, self._route)

    def reconnect(self) -> None:
        """Drop the page's current socket and wait until the routed one is welcomed."""
        self.page.evaluate(
            """async () => {
                window.__rsTest.dropSocket();
                while (window.__rsTest.state().status === "online") {
                    await new Promise((resolve) => setTimeout(resolve, 10));
                }
            }"""
        )
        expect(by_id(self.page, "connection-status")).to_have_attribute("data-status", "online")

    def client_ids(self) -> list[str]:
        return [frame["client_id"] for frame in self.sent_chats]

    def _route(self, route: WebSocketRoute) -> None:
        server = route.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message) if isinstance(message, str) else None
            if isinstance(frame, dict) and frame.get("type") == "send_chat":
                self.sent_chats.append(frame)
            server.send(message)

        route.on_message(from_page)
