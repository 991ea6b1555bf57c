"""Control handover through a real relay (P3): request, grant, input, revoke, refusals."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from relay_server.web.ws_endpoint import enable_no_delay
from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation
from tests.support.screen_socket import screen_sockets

NOTHING = {"type": "control_state", "mouse": False, "keyboard": False, "requested": False}
MOVE = {"type": "mouse_input", "action": "move", "x": 3, "y": 4}
KEY = {"type": "key_input", "action": "down", "key": "a", "code": "KeyA", "modifiers": []}


def _state(client: ChatClient) -> dict:
    return client.recv_type("control_state")


def _live(relay):
    talk = start_conversation(relay)
    presenter, (viewer,) = screen_sockets(relay, talk)
    assert _state(viewer) == NOTHING and _state(presenter) == NOTHING
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    return talk, presenter, viewer


def test_request_grant_input_and_revoke(relay):
    """The viewer asks, the agent's chat sees it and grants the keyboard; keys reach the
    presenter, clicks are refused; after revoke nothing reaches it."""
    talk, presenter, viewer = _live(relay)
    assert talk.agent.received[1] == NOTHING  # right after welcome
    viewer.send({"type": "request_control"})
    assert _state(talk.agent) == {**NOTHING, "requested": True}
    assert _state(viewer) == {**NOTHING, "requested": True}
    assert _state(presenter) == {**NOTHING, "requested": True}
    talk.agent.send({"type": "grant_control", "keyboard": True})
    assert _state(viewer) == {**NOTHING, "keyboard": True}
    assert _state(presenter) == {**NOTHING, "keyboard": True}
    assert _state(talk.agent) == {**NOTHING, "keyboard": True}
    viewer.send(KEY)
    assert presenter.recv_type("key_input") == KEY
    viewer.send(MOVE)
    error = viewer.recv_type("error")
    assert (error["code"], error["message"]) == ("not_allowed", "control not granted: mouse")
    talk.agent.send({"type": "grant_control", "mouse": True})
    assert _state(viewer) == {**NOTHING, "mouse": True, "keyboard": True}
    viewer.send(MOVE)
    assert presenter.recv_type("mouse_input") == MOVE
    talk.agent.send({"type": "revoke_control"})
    assert _state(viewer) == NOTHING and _state(presenter) == {**NOTHING, "mouse": False}
    viewer.send(KEY)
    assert viewer.recv_type("error")["message"] == "control not granted: keyboard"
    presenter.send({"type": "cursor", "x": 1, "y": 1, "visible": True})  # a marker
    viewer.recv_type("cursor")
    assert not [m for m in presenter.received if m["type"] == "key_input"][1:]


def test_a_raw_client_without_a_grant_moves_nothing(relay):
    """A customer screen socket sending input (and trying to grant itself) is refused each
    time; the presenter receives no input at all."""
    talk, presenter, viewer = _live(relay)
    for message in (MOVE, KEY, {"type": "key_input", "action": "text", "text": "hi"}):
        viewer.send(message)
        assert viewer.recv_type("error")["code"] == "not_allowed"
    viewer.send({"type": "grant_control", "mouse": True, "keyboard": True})
    assert viewer.recv_type("error")["code"] == "not_allowed"
    talk.customer.send({"type": "grant_control", "mouse": True})  # on the chat channel
    assert talk.customer.recv_type("error")["code"] == "not_allowed"
    viewer.send({"type": "mouse_input", "action": "move", "x": -5, "y": 0})
    assert viewer.recv_type("error")["code"] == "bad_message"
    presenter.send({"type": "cursor", "x": 1, "y": 1, "visible": True})
    viewer.recv_type("cursor")
    assert not [m for m in presenter.received if m["type"].endswith("_input")]
    assert relay_health(talk)["screen"]["presentations"] == 1


@pytest.mark.parametrize("how", ["viewer_closes", "pause", "stop", "hotkey", "remove_customer"])
def test_disconnect_pause_stop_and_the_presenters_revoke_clear_the_grant(relay, how):
    """Each of these ends the grant and tells the presenter and the agent's chat (and the
    viewer, when it is still there)."""
    talk, presenter, viewer = _live(relay)
    talk.agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
    assert _state(presenter) == {**NOTHING, "mouse": True, "keyboard": True}
    assert _state(talk.agent)["mouse"] is True
    assert _state(viewer)["keyboard"] is True
    if how == "viewer_closes":
        viewer.close()
    elif how == "hotkey":
        presenter.send({"type": "revoke_control"})  # what the presenter sends on Ctrl+Alt+End
    elif how == "remove_customer":
        talk.agent.send({"type": "remove_customer"})
    else:
        presenter.send({"type": f"present_{how}"})
    assert _state(presenter) == NOTHING
    assert _state(talk.agent) == NOTHING
    if how != "viewer_closes":
        assert _state(viewer) == NOTHING
        viewer.send(MOVE)
        assert viewer.recv_type("error")["code"] == "not_allowed"


def test_a_flood_of_input_is_rate_limited(relay):
    """Far more than 240 moves at once: the excess is dropped, a few answered with
    rate_limited (not one error each, which would overflow the flooder's own send queue and
    close it), an `up` still gets through, and the viewer stays connected."""
    talk, presenter, viewer = _live(relay)
    talk.agent.send({"type": "grant_control", "mouse": True})
    _state(viewer)
    for i in range(400):
        viewer.send({"type": "mouse_input", "action": "move", "x": i % 60, "y": 1})
    viewer.send({"type": "mouse_input", "action": "up", "x": 1, "y": 1, "button": "left"})
    assert viewer.recv_type("error")["code"] == "rate_limited"
    assert presenter.recv_type("mouse_input", timeout=10)
    last = None
    while last is None or last["action"] != "up":
        last = presenter.recv_type("mouse_input")
    forwarded = [m for m in presenter.received if m["type"] == "mouse_input"]
    assert 200 <= len(forwarded) < 400
    viewer.send({"type": "request_control"})  # still connected: its errors were throttled
    while not _state(viewer)["requested"]:
        pass
    errors = [m for m in viewer.received if m["type"] == "error"]
    assert 1 <= len(errors) <= 12
    assert relay_health(talk)["screen"]["inputs_refused"] >= 400 - len(forwarded)


def relay_health(talk) -> dict:
    return talk.api.request("GET", "/health")[1]


def test_the_relay_turns_nagle_off_on_websocket_sockets():
    """enable_no_delay sets TCP_NODELAY on the handler's real TCP socket (small input frames
    must not wait for a delayed ACK), and says False where there is no TCP socket."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            assert enable_no_delay(SimpleNamespace(handler=SimpleNamespace(socket=accepted)))
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    unix_a, unix_b = socket.socketpair()
    with unix_a, unix_b:
        assert not enable_no_delay(SimpleNamespace(handler=SimpleNamespace(socket=unix_a)))
    assert not enable_no_delay(object())
