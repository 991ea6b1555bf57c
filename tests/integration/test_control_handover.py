"""Control handover through a real relay (P3): request, grant, input, revoke, refusals."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest
from websockets.frames import Frame, Opcode

from relay_server.screen.control_grants import INPUT_BURST
from relay_server.sessions.supports import customer_id
from relay_server.web.ws_endpoint import enable_no_delay
from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation
from tests.support.screen_socket import screen_sockets

NOTHING = {"type": "control_state", "mouse": False, "keyboard": False, "requested": False}
# The agent's chat and the presenter also see who asked and who holds each kind.
NOBODY = {**NOTHING, "requested_by": None, "mouse_holder": None, "keyboard_holder": None}
MOVE = {"type": "mouse_input", "action": "move", "x": 3, "y": 4}
KEY = {"type": "key_input", "action": "down", "key": "a", "code": "KeyA", "modifiers": []}


def _state(client: ChatClient) -> dict:
    return client.recv_type("control_state")


def _live(relay):
    talk = start_conversation(relay)
    presenter, (viewer,) = screen_sockets(relay, talk)
    assert _state(viewer) == NOTHING and _state(presenter) == NOBODY
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    return talk, presenter, viewer


def test_request_grant_input_and_revoke(relay):
    """The viewer asks, the agent's chat sees who asked and grants the keyboard; keys reach the
    presenter, clicks are refused; after revoke nothing reaches it."""
    talk, presenter, viewer = _live(relay)
    kim = _kim(talk)
    assert talk.agent.received[1] == NOBODY  # right after welcome
    viewer.send({"type": "request_control"})
    asked = {**NOBODY, "requested": True, "requested_by": kim}
    assert _state(talk.agent) == asked
    assert _state(viewer) == {**NOTHING, "requested": True}
    assert _state(presenter) == asked
    talk.agent.send({"type": "grant_control", "keyboard": True})
    keyboard = {**NOBODY, "keyboard": True, "keyboard_holder": kim}
    assert _state(viewer) == {**NOTHING, "keyboard": True}
    assert _state(presenter) == keyboard
    assert _state(talk.agent) == keyboard
    viewer.send(KEY)
    assert presenter.recv_type("key_input") == KEY
    viewer.send(MOVE)
    error = viewer.recv_type("error")
    assert (error["code"], error["message"]) == ("not_allowed", "control not granted: mouse")
    talk.agent.send({"type": "grant_control", "mouse": True, "customer_id": kim["customer_id"]})
    assert _state(viewer) == {**NOTHING, "mouse": True, "keyboard": True}
    both = {**keyboard, "mouse": True, "mouse_holder": kim}
    assert _state(talk.agent) == both and _state(presenter) == both
    viewer.send(MOVE)
    assert presenter.recv_type("mouse_input") == MOVE
    talk.agent.send({"type": "revoke_control"})
    assert _state(viewer) == NOTHING and _state(presenter) == NOBODY
    viewer.send(KEY)
    assert viewer.recv_type("error")["message"] == "control not granted: keyboard"
    presenter.send({"type": "cursor", "x": 1, "y": 1, "visible": True})  # a marker
    viewer.recv_type("cursor")
    assert not [m for m in presenter.received if m["type"] == "key_input"][1:]


def test_a_grant_naming_another_customer_is_refused(relay):
    """grant_control with a customer_id that has no viewer open (a removed or unknown
    customer) is not_allowed and hands nothing to the viewer that is there."""
    talk, presenter, viewer = _live(relay)
    talk.agent.send({"type": "grant_control", "mouse": True, "customer_id": "0" * 12})
    error = talk.agent.recv_type("error")
    assert (error["code"], error["in_reply_to"]) == ("not_allowed", "grant_control")
    viewer.send(MOVE)
    assert viewer.recv_type("error")["message"] == "control not granted: mouse"


def _kim(talk) -> dict:
    """Who the agent is shown for the conversation's customer."""
    return {"customer_id": customer_id(talk.joined["customer_token"]), "name": "Kim Customer"}


def test_a_raw_client_without_a_grant_moves_nothing(relay_factory):
    """A customer screen socket sending input (and trying to grant itself) is refused each
    time; the presenter receives no input at all."""
    relay = relay_factory("--health-details")  # its counters, read below
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
    kim = _kim(talk)
    held = {**NOBODY, "mouse": True, "keyboard": True, "mouse_holder": kim, "keyboard_holder": kim}
    assert _state(presenter) == held
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
    assert _state(presenter) == NOBODY
    assert _state(talk.agent) == NOBODY
    if how == "remove_customer":  # its sockets are closed at once
        assert viewer.close_code() == 4004
    elif how != "viewer_closes":
        assert _state(viewer) == NOTHING
        viewer.send(MOVE)
        assert viewer.recv_type("error")["code"] == "not_allowed"


def test_a_flood_of_input_is_rate_limited(relay_factory):
    """Far more than 240 moves at once: the excess is dropped, a few answered with
    rate_limited (not one error each, which would overflow the flooder's own send queue and
    close it), the `up` of a forwarded `down` still gets through, and the viewer stays
    connected."""
    relay = relay_factory("--health-details")  # its counters, read below
    talk, presenter, viewer = _live(relay)
    talk.agent.send({"type": "grant_control", "mouse": True})
    _state(viewer)
    viewer.send({"type": "mouse_input", "action": "down", "x": 1, "y": 1, "button": "left"})
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


def _one_write(client: ChatClient, messages: list[dict]) -> None:
    """Send many text frames in a single TCP write, as a flooding client can."""
    assert client.ws is not None
    blob = b"".join(
        Frame(Opcode.TEXT, json.dumps(m).encode()).serialize(mask=True, extensions=[])
        for m in messages
    )
    client.ws.socket.sendall(blob)


def test_two_thousand_releases_in_one_write_never_disconnect_the_presenter(relay):
    """A viewer holding control writes 2,000 `up` events at once: they go through the input
    rate limit like every kind (most are dropped), the presenter's socket stays open, and the
    viewer's later input still reaches it."""
    talk, presenter, viewer = _live(relay)
    talk.agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
    assert _state(viewer)["mouse"] is True
    up = {"type": "mouse_input", "action": "up", "x": 1, "y": 1, "button": "left"}
    key_up = {"type": "key_input", "action": "up", "key": "a", "code": "KeyA", "modifiers": []}
    _one_write(viewer, [up] * 2000 + [key_up] * 2000)
    presenter.send({"type": "cursor", "x": 1, "y": 1, "visible": True})  # the socket is open
    viewer.recv_type("cursor")
    if not [m for m in viewer.received if m["type"] == "error"]:
        # The presenter's socket is its own: under load its cursor can pass the relay before
        # the relay has read the whole burst on the viewer's socket.
        viewer.recv_type("error")
    assert {m["code"] for m in viewer.received if m["type"] == "error"} == {"rate_limited"}
    forwarded = [m for m in presenter.received if m["type"].endswith("_input")]
    assert len(forwarded) <= INPUT_BURST + 20
    marker = {**MOVE, "x": 42}
    while not [m for m in presenter.received if m == marker]:  # waits for the bucket to refill
        viewer.send(marker)
        try:
            presenter.recv(timeout=0.2)
        except TimeoutError:
            pass
    presenter.send({"type": "cursor", "x": 2, "y": 2, "visible": True})
    assert viewer.recv_type("cursor")["x"] == 2


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
