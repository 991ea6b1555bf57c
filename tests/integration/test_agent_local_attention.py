"""``POST /local/attention`` over real HTTP: the checks of what a page may send,
nothing while the window is active, and a clear reason when this desktop shows no
notifications (a real private D-Bus session bus with no notification server on it, or none).

The windows are a recorder (the desktop test drives the real ones and a real server).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import TOKEN_HEADER, guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.local_state import Notice
from suite.agent.app.settings import LocalSettings
from suite.agent.app.system_notifications import notify_message
from tests.support.desktop_services import ServiceMissing, session_bus

SECRET = "attention-secret-0123456789"


class AlertingDesktop:
    """The windows, reduced to whether the chat window is active and what was flashed."""

    def __init__(self) -> None:
        self.active = False
        self.alerted: list[str] = []

    def open_chat(self, session_id: str) -> None: ...

    def show_notice(self, notice: Notice) -> None: ...

    def end_from_notice(self, session_id: str) -> bool:
        return False

    def close_chat(self, session_id: str) -> bool:
        return False

    def open_url(self, url: str) -> None: ...

    def open_help(self) -> None: ...

    def call_attention(self, session_id: str) -> dict[str, bool | None]:
        if self.active:
            return {"active": True, "alerted": False}
        self.alerted.append(session_id)
        return {"active": False, "alerted": True}


@pytest.fixture
def local(tmp_path) -> Iterator[tuple[Any, AlertingDesktop, LocalSettings]]:
    settings = LocalSettings(tmp_path / "config")
    desktop = AlertingDesktop()
    server = LocalServer()
    server.start(guard(build_app(settings, desktop), SECRET, server.port))

    def post(body: Any) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
        conn.request(
            "POST", "/local/attention", json.dumps(body).encode(),
            {TOKEN_HEADER: SECRET, "Content-Type": "application/json"},
        )  # fmt: skip
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, json.loads(data) if data else None

    yield post, desktop, settings
    server.stop()
    settings.close()


MESSAGE = {"session_id": "s1", "event": "message", "title": "New message from Chris", "body": "Hi"}
BAD = [
    ({**MESSAGE, "session_id": "../x"}, "'session_id' must be"),
    ({**MESSAGE, "event": "shout"}, "'event' must be one of"),
    ({**MESSAGE, "title": ""}, "'title' must be a string of 1-200"),
    ({**MESSAGE, "title": 7}, "'title' must be a string"),
    ({**MESSAGE, "body": "x" * 501}, "'body' must be a string of at most 500"),
]


@pytest.mark.parametrize(("body", "message"), BAD)
def test_bad_calls_are_refused_with_the_field_named(local, body, message):
    """A malformed call answers 400 bad_request naming the field, and flashes nothing."""
    post, desktop, _ = local
    status, answer = post(body)
    assert status == 400 and answer["error"]["code"] == "bad_request"
    assert message in answer["error"]["message"]
    assert desktop.alerted == []


def test_nothing_happens_while_the_window_is_active(local, monkeypatch):
    """The agent looks at the chat window: no flash, no notification."""
    post, desktop, _ = local
    desktop.active = True
    status, answer = post(MESSAGE)
    assert status == 200
    assert answer == {"active": True, "alerted": False, "notified": False,
                      "notification_error": None}  # fmt: skip


def test_without_a_session_bus_the_answer_says_so(local, monkeypatch):
    """No D-Bus session bus: the window still flashes, and the answer says why no
    notification was shown."""
    post, desktop, _ = local
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    status, answer = post(MESSAGE)
    assert status == 200 and answer["active"] is False and answer["alerted"] is True
    assert answer["notified"] is False
    assert answer["notification_error"] == "no D-Bus session bus is running"
    assert desktop.alerted == ["s1"]


def test_without_a_notification_server_the_answer_says_so(local, monkeypatch):
    """A real session bus with no notification server on it: "no notification server is
    running"; with notifications off in the settings the server is not even asked."""
    post, _, settings = local
    try:
        bus = session_bus({})
        address = bus.__enter__()
    except ServiceMissing as error:
        pytest.skip(str(error))
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        _, answer = post(MESSAGE)
        assert answer["notified"] is False
        assert answer["notification_error"] == "no notification server is running"
        settings.update({"attention": {"sound": True, "volume": 60, "notifications": False}})
        _, answer = post(MESSAGE)
        assert answer == {"active": False, "alerted": True, "notified": False,
                          "notification_error": None}  # fmt: skip
    finally:
        bus.__exit__(None, None, None)


def test_notify_message_is_plain_text_and_capped():
    """The Notify call names the app, escapes markup in a customer's text and caps its size."""
    signature, args = notify_message("T" * 300, "<b>cheap</b> & fast" + "x" * 600, replaces_id=4)
    assert signature == "susssasa{sv}i"
    app_name, replaces, icon, title, body, actions, hints, expire = args
    assert (app_name, replaces, icon, expire) == ("RemoteSales", 4, "", -1)
    assert actions == ["default", "Open"]  # a click on the body opens the chat window
    assert title == "T" * 200
    assert body.startswith("&lt;b&gt;cheap&lt;/b&gt; &amp; fast")
    assert hints["urgency"] == ("y", 1)
