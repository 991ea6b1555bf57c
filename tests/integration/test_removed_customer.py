"""A removed customer keeps nothing: its sockets, slots, grant and requests.

The old customer is played by plain websocket clients speaking the documented protocol, as an
attacker holding the old customer token would.
"""

from __future__ import annotations

import hashlib
import time

from websockets.exceptions import ConnectionClosed

from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation
from tests.support.region_frames import region
from tests.support.screen_socket import screen_sockets

REMOVED = 4004
MAX_VIEWERS = 8
MOVE = {"type": "mouse_input", "action": "move", "x": 3, "y": 4}
KEY = {"type": "key_input", "action": "down", "key": "a", "code": "KeyA", "modifiers": []}
CLOSE_WITHIN_S = 1.0


def _customer_id(token: str) -> str:
    """What docs/protocol.md says the agent sees of a customer token."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def _remove_and_rejoin(relay, talk, name: str = "Lee Newcomer"):
    """The agent removes the customer; a new one joins with the new code and opens a chat."""
    talk.agent.send({"type": "remove_customer"})
    code = talk.agent.recv_type("customer_removed")["session"]["code"]
    joined = talk.api.join(code=code, name=name)
    customer = ChatClient(relay.ws_url, "customer", talk.session_id, joined["customer_token"])
    assert customer.connect()["type"] == "welcome"
    return joined, customer


def _screen_viewer(relay, talk, token: str) -> ChatClient:
    viewer = ChatClient(relay.ws_url, "customer", talk.session_id, token)
    assert viewer.connect(channel="screen")["type"] == "welcome"
    assert viewer.recv_type("screen_state")
    return viewer


def _try_send(client: ChatClient, message: dict) -> None:
    """Send as an attacker would: keep going whatever the relay did to the socket."""
    try:
        client.send(message)
    except ConnectionClosed:
        pass


def test_removing_a_customer_closes_every_socket_of_its_token_at_once(relay):
    """After remove_customer the old chat socket and all 8 old viewer sockets close with 4004
    within a second; the old token is refused with 4004 on both channels; the next customer's
    viewer gets a slot, the screen and the next file_offered, which the old sockets never see."""
    talk = start_conversation(relay)
    presenter, old_viewers = screen_sockets(relay, talk, viewers=MAX_VIEWERS)
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    for viewer in old_viewers:
        assert viewer.recv_type("screen_state")["state"] == "live"
    old_token = talk.joined["customer_token"]

    started = time.monotonic()
    joined, new_customer = _remove_and_rejoin(relay, talk)
    for old in (talk.customer, *old_viewers):
        assert old.close_code(timeout=CLOSE_WITHIN_S) == REMOVED
    assert time.monotonic() - started < CLOSE_WITHIN_S + 1.0
    for channel in ("chat", "screen"):
        again = ChatClient(relay.ws_url, "customer", talk.session_id, old_token)
        again.connect_raw()
        again.send({**again.hello, "channel": channel})
        assert again.close_code() == REMOVED, channel

    new_viewer = _screen_viewer(relay, talk, joined["customer_token"])  # was 4005: slots held
    presenter.send(region(1, 0, 0, 64, 32))
    assert new_viewer.recv_binary()[:2] == b"RS"
    status, offered = talk.api.request(
        "POST",
        f"/api/sessions/{talk.session_id}/files",
        {"name": "new.txt", "size": 3, "sha256": "0" * 64},
        token=talk.token,
    )[:2]
    assert status == 201, offered
    assert new_viewer.recv_type("file_offered")["transfer"]["name"] == "new.txt"
    for old in (talk.customer, *old_viewers):
        assert not [m for m in old.received if m["type"] == "file_offered"]


def test_a_grant_to_the_new_customer_lets_nothing_of_the_old_one_through(relay):
    """The old viewer asks for control and floods input after its removal; the agent sees the
    new customer's own request (name and id), grants it, and the presenter gets only the new
    customer's input: 0 events from the old socket."""
    talk = start_conversation(relay)
    presenter, (old_viewer,) = screen_sockets(relay, talk)
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    joined, _ = _remove_and_rejoin(relay, talk)
    _try_send(old_viewer, {"type": "request_control"})
    new_viewer = _screen_viewer(relay, talk, joined["customer_token"])
    new_viewer.send({"type": "request_control"})
    state = talk.agent.recv_type("control_state")
    while not state["requested"]:
        state = talk.agent.recv_type("control_state")
    asker = {"customer_id": _customer_id(joined["customer_token"]), "name": "Lee Newcomer"}
    assert state["requested_by"] == asker
    talk.agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
    state = talk.agent.recv_type("control_state")
    assert (state["mouse_holder"], state["keyboard_holder"]) == (asker, asker)
    for _ in range(50):
        _try_send(old_viewer, {**MOVE, "x": 60})
        _try_send(old_viewer, KEY)
    new_viewer.send(MOVE)
    assert presenter.recv_type("mouse_input") == MOVE
    presenter.send({"type": "cursor", "x": 1, "y": 1, "visible": True})  # a marker
    new_viewer.recv_type("cursor")
    inputs = [m for m in presenter.received if m["type"].endswith("_input")]
    assert inputs == [MOVE]
