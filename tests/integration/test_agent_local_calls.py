"""``/local/calls``: the agent app's side of calls (CH9): what its windows can do, the camera and
microphone gate per support, the system-browser fallback signed in through a one-time link
from a real relay, and the notice's Call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.local_state import LocalState
from suite.agent.app.settings import LocalSettings
from tests.support.api import Api
from tests.support.local_api import SECRET, LocalClient, RecordingDesktop
from tests.support.relay import ALICE


@dataclass
class CallApp:
    client: LocalClient
    desktop: RecordingDesktop
    state: LocalState
    session_id: str


@pytest.fixture
def call_app(tmp_path, relay) -> Iterator[CallApp]:
    """The local API logged in to the relay as Alice, with one support of hers."""
    settings = LocalSettings(tmp_path / "config")
    state, desktop, server = LocalState(), RecordingDesktop(), LocalServer()
    server.start(guard(build_app(settings, desktop, state=state), SECRET, server.port))
    client = LocalClient(server.port)
    status, body, _ = client.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password},
    )  # fmt: skip
    assert status == 200, body
    session_id = Api(relay.url).new_support(body["token"])["session_id"]
    yield CallApp(client, desktop, state, session_id)
    server.stop()
    settings.close()


def test_what_the_windows_can_do_and_the_setting(call_app):
    """GET /local/calls says whether the windows can use the camera and microphone and whether
    the agent wants calls in the browser (settings.calls, checked like every setting)."""
    client = call_app.client
    status, body, _ = client.request("GET", "/local/calls")
    assert status == 200
    assert body == {"media": {"available": False, "reason": body["media"]["reason"]},
                    "open_in_browser": False, "active": []}  # fmt: skip
    assert "no windows" in body["media"]["reason"]  # RecordingDesktop has no media_support
    assert client.request("PUT", "/local/settings", {"calls": {"open_in_browser": True}})[0] == 200
    assert client.request("GET", "/local/calls")[1]["open_in_browser"] is True
    for bad in ({"open_in_browser": "yes"}, {"ring": True}, []):
        status, body, _ = client.request("PUT", "/local/settings", {"calls": bad})
        assert (status, body["error"]["code"]) == (400, "bad_request"), bad


def test_the_camera_gate_opens_with_a_call_and_closes_at_its_end(call_app):
    """A chat window's start opens the gate for its support only; end closes it; bad requests
    are refused with the field named."""
    client, sid = call_app.client, call_app.session_id
    gate = call_app.state.calls
    status, body, _ = client.request("POST", "/local/calls", {"session_id": sid, "action": "start"})
    assert (status, body) == (200, {"active": True})
    assert gate.active(sid) and not gate.active("another")
    assert client.request("GET", "/local/calls")[1]["active"] == [sid]
    status, body, _ = client.request("POST", "/local/calls", {"session_id": sid, "action": "end"})
    assert (status, body) == (200, {"active": False})
    assert not gate.active(sid)
    for bad in ({"session_id": sid, "action": "ring"}, {"session_id": "../x", "action": "start"}):
        status, body, _ = client.request("POST", "/local/calls", bad)
        assert (status, body["error"]["code"]) == (400, "bad_request"), bad


def test_the_call_opens_in_the_browser_signed_in_to_that_support(call_app, relay, caplog):
    """POST /local/calls/browser gets a one-time link from the relay and hands it to the system
    browser (with the call's media); the link signs a browser in to that very support once;
    the app logs no ticket."""
    client, desktop, sid = call_app.client, call_app.desktop, call_app.session_id
    with caplog.at_level(logging.DEBUG):
        status, body, _ = client.request(
            "POST", "/local/calls/browser", {"session_id": sid, "media": "video"}
        )
    assert status == 200 and body["opened"] is True, body
    [(kind, url)] = [c for c in desktop.calls if c[0] == "open_in_browser"]
    assert url.startswith(f"{relay.url}/agent#handoff=") and url.endswith("&call=video")
    ticket = url.split("#handoff=")[1].split("&")[0]
    assert ticket not in caplog.text and ticket not in relay.log_text()
    status, signed_in, _ = Api(relay.url).request(
        "POST", "/api/handoffs/redeem", {"ticket": ticket}
    )
    assert status == 200 and signed_in["session_id"] == sid

    status, body, _ = client.request("POST", "/local/calls/browser", {"session_id": "nope"})
    assert (status, body["error"]["code"]) == (404, "session_not_found")
    status, body, _ = client.request(
        "POST", "/local/calls/browser", {"session_id": sid, "media": "hologram"}
    )
    assert (status, body["error"]["code"]) == (400, "bad_request")
    desktop.browser_opens = False
    status, body, _ = client.request("POST", "/local/calls/browser", {"session_id": sid})
    assert (status, body["error"]["code"]) == (502, "no_browser")
    assert client.request("POST", "/local/logout")[0] == 204
    status, body, _ = client.request("POST", "/local/calls/browser", {"session_id": sid})
    assert (status, body["error"]["code"]) == (409, "not_logged_in")


def test_the_notice_call_goes_to_the_chat_window(call_app):
    """The notice's Call asks the support's chat window to call (video by default); without a
    chat window it says so."""
    client, desktop, sid = call_app.client, call_app.desktop, call_app.session_id
    status, body, _ = client.request("POST", "/local/notice/call", {"session_id": sid})
    assert (status, body["error"]["code"]) == (404, "window_not_found")
    desktop.chat_windows.add(sid)
    assert client.request("POST", "/local/notice/call", {"session_id": sid})[0] == 204
    status, _, _ = client.request(
        "POST", "/local/notice/call", {"session_id": sid, "media": "audio"}
    )
    assert status == 204
    assert [c[1] for c in desktop.calls if c[0] == "call_from_notice"][-2:] == [
        (sid, "video"), (sid, "audio"),
    ]  # fmt: skip
    status, body, _ = client.request("POST", "/local/notice/call", {"session_id": sid, "media": 1})
    assert (status, body["error"]["code"]) == (400, "bad_request")
