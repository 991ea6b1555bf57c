"""The agent app's local API from a test: an HTTP client with the token, and a recorder of the
windows the API asks for (the desktop tests drive the real ones).

- :data:`SECRET`: the per-launch token the test servers are guarded with.
- :class:`RecordingDesktop`: stands in for the pywebview windows.
- :class:`LocalClient`: ``request(method, path, body)`` with the token, Host and Origin set
  by hand; returns (status, parsed JSON or raw bytes, response).
- :func:`present`: ``POST /local/presentation`` for one session.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

from suite.agent.app.local_guard import TOKEN_HEADER
from suite.agent.app.local_state import Notice

SECRET = "test-secret-0123456789"


class RecordingDesktop:
    """Stands in for the pywebview windows: records what the API asked of them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.chat_windows: set[str] = set()
        self.revisions: list[int] = []
        self.browser_opens = True  # what webbrowser.open answers (False: no browser here)

    def open_chat(self, session_id: str) -> None:
        self.calls.append(("open_chat", session_id))
        self.chat_windows.add(session_id)

    def show_notice(self, notice: Notice) -> None:
        self.calls.append(("show_notice", notice.sessions))
        self.revisions.append(notice.revision)

    def end_from_notice(self, session_id: str) -> bool:
        self.calls.append(("end_from_notice", session_id))
        return session_id in self.chat_windows

    def close_chat(self, session_id: str) -> bool:
        self.calls.append(("close_chat", session_id))
        was_open = session_id in self.chat_windows
        self.chat_windows.discard(session_id)
        return was_open

    def open_url(self, url: str) -> None:
        self.calls.append(("open_url", url))

    def open_help(self) -> None:
        self.calls.append(("open_help", None))

    def broadcast(self, message: dict[str, Any]) -> None:
        self.calls.append(("broadcast", message))

    def set_notice_title(self, title: str) -> bool:
        self.calls.append(("set_notice_title", title))
        return True

    def set_chat_title(self, session_id: str, title: str) -> bool:
        self.calls.append(("set_chat_title", (session_id, title)))
        return session_id in self.chat_windows

    def open_in_browser(self, url: str) -> bool:
        self.calls.append(("open_in_browser", url))
        return self.browser_opens

    def call_from_notice(self, session_id: str, media: str) -> bool:
        self.calls.append(("call_from_notice", (session_id, media)))
        return session_id in self.chat_windows


class LocalClient:
    """http.client against the local server, so Host and Origin can be set by hand."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = SECRET,
        host: str | None = None,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, http.client.HTTPResponse]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        sent = {"Host": host or f"127.0.0.1:{self.port}", **(headers or {})}
        if token is not None:
            sent[TOKEN_HEADER] = token
        if origin is not None:
            sent["Origin"] = origin
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            conn.request(method, path, data, sent)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return response.status, parsed, response


def present(client: LocalClient, session_id: str, action: str, **extra: Any) -> tuple[int, Any]:
    """``POST /local/presentation`` (start, pause, resume, stop, monitor, windows)."""
    status, body, _ = client.request(
        "POST", "/local/presentation", {"session_id": session_id, "action": action, **extra}
    )
    return status, body
