"""Call signalling through the real relay (CH9): who holds the call, where offers go, and that
a socket of another session, or a forged ``sender``, reaches nobody."""

from __future__ import annotations

import pytest

from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation
from tests.support.relay import RelayError, run_relay_cli


def _viewer(relay, talk) -> ChatClient:
    viewer = ChatClient(relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"])
    assert viewer.connect(channel="screen")["type"] == "welcome"
    return viewer


def test_the_viewer_takes_the_call_and_only_it_is_signalled(relay):
    """The call rings on the chat page and the viewer; the viewer accepts and holds it; the
    agent's offer reaches the viewer only, with ``sender`` set by the relay; hang-up ends it."""
    talk = start_conversation(relay)
    viewer = _viewer(relay, talk)
    talk.agent.send({"type": "start_call", "media": "video"})
    ringing = viewer.recv_type("call_state")
    assert ringing["state"] == "ringing" and ringing["here"] is False
    assert talk.customer.recv_type("call_state")["state"] == "ringing"
    customer_id = ringing["you"]

    viewer.send({"type": "answer_call", "call_id": ringing["call_id"], "accept": True})
    assert viewer.recv_type("call_state")["here"] is True
    on_chat_page = talk.customer.recv_type("call_state")
    assert (on_chat_page["state"], on_chat_page["here"]) == ("active", False)
    assert talk.agent.recv_type("call_state")["state"] == "ringing"  # its own start
    assert talk.agent.recv_type("call_state")["state"] == "active"

    talk.agent.send(
        {"type": "sdp_offer", "call_id": ringing["call_id"], "to": customer_id, "sdp": "v=0"}
    )
    offer = viewer.recv_type("sdp_offer")
    assert (offer["sender"], offer["sdp"]) == ("agent", "v=0")

    # The chat page, not holding the call, may not signal: refused, nothing reaches the agent.
    talk.customer.send(
        {"type": "sdp_answer", "call_id": ringing["call_id"], "to": "agent", "sdp": "v=0 x"}
    )
    assert talk.customer.recv_type("error")["code"] == "not_allowed"
    # A forged sender is overwritten by the relay.
    viewer.send(
        {"type": "sdp_answer", "call_id": ringing["call_id"], "to": "agent", "sdp": "v=0 a",
         "sender": "someone-else"}
    )  # fmt: skip
    answer = talk.agent.recv_type("sdp_answer")
    assert (answer["sender"], answer["sdp"]) == (customer_id, "v=0 a")

    talk.agent.send({"type": "hang_up", "call_id": ringing["call_id"]})
    ended = viewer.recv_type("call_state")
    assert (ended["state"], ended["reason"]) == ("ended", "hung_up")
    assert talk.customer.recv_type("call_state")["state"] == "ended"
    viewer.close()


def test_a_strangers_socket_cannot_inject_into_a_call(relay):
    """An agent and a customer of another session name this call's id and participants: both
    are refused, and the call's peers get nothing but what their own peers send."""
    talk = start_conversation(relay)
    talk.agent.send({"type": "start_call", "media": "audio"})
    ringing = talk.customer.recv_type("call_state")
    call_id, customer_id = ringing["call_id"], ringing["you"]
    talk.customer.send({"type": "answer_call", "call_id": call_id, "accept": True})
    talk.customer.recv_type("call_state")

    stranger = start_conversation(relay)
    for socket, to in ((stranger.agent, customer_id), (stranger.customer, "agent")):
        socket.send({"type": "sdp_offer", "call_id": call_id, "to": to, "sdp": "v=0 evil"})
        socket.send(
            {"type": "ice_candidate", "call_id": call_id, "to": to,
             "candidate": "candidate:1 1 udp 1 6.6.6.6 9 typ host"}
        )  # fmt: skip
        for _ in range(2):
            refused = socket.recv_type("error")
            assert (refused["code"], refused["message"]) == ("not_allowed", "no such call")

    # The next signal each real peer receives is its own peer's, not the stranger's.
    talk.agent.send({"type": "sdp_offer", "call_id": call_id, "to": customer_id, "sdp": "v=0 real"})
    assert talk.customer.recv_type("sdp_offer")["sdp"] == "v=0 real"
    talk.customer.send({"type": "sdp_answer", "call_id": call_id, "to": "agent", "sdp": "v=0 ok"})
    assert talk.agent.recv_type("sdp_answer")["sdp"] == "v=0 ok"


def test_turn_options_that_cannot_work_stop_the_relay_with_a_clear_message(tmp_path):
    """A TURN URL without the shared secret, or a bad URL, is refused at start-up (exit 2)."""
    for args, problem in (
        (("--turn-url", "turn:127.0.0.1:3478"), "--turn-url needs --turn-secret"),
        (("--stun-url", "http://example.com"), "not a STUN or TURN URL"),
    ):
        with pytest.raises(RelayError) as refused:
            run_relay_cli("--port", "0", "--data", str(tmp_path), *args)
        assert "exited with 2" in str(refused.value) and problem in str(refused.value)
