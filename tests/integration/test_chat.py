"""Chat through a real relay: delivery, idempotency, replay, malformed frames, ends."""

from __future__ import annotations

import json

import pytest

from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation


def test_chat_reaches_both_sides_with_one_id(relay):
    """A message is echoed to its sender (the acknowledgement) and delivered to the other side."""
    talk = start_conversation(relay)
    talk.customer.chat("Hello, is the blue model in stock?", "c-1")
    mine = talk.customer.recv_type("chat_message")
    theirs = talk.agent.recv_type("chat_message")
    assert mine == theirs
    assert mine["text"] == "Hello, is the blue model in stock?"
    assert (mine["role"], mine["name"], mine["client_id"]) == ("customer", "Kim Customer", "c-1")
    talk.agent.chat("Yes — 안녕하세요!", "a-1")
    reply = talk.customer.recv_type("chat_message")
    assert reply["text"] == "Yes — 안녕하세요!" and reply["id"] == mine["id"] + 1
    assert reply["name"] == "Alice Kim"


def test_typing_and_read_marks_are_relayed(relay):
    """Typing goes to the other side only; read marks go to everyone."""
    talk = start_conversation(relay)
    talk.customer.send({"type": "typing", "active": True})
    typing = talk.agent.recv_type("typing")
    assert typing["active"] is True and typing["role"] == "customer"
    talk.agent.send({"type": "mark_read", "up_to_id": 7})
    assert talk.customer.recv_type("marked_read") == {
        "type": "marked_read",
        "role": "agent",
        "up_to_id": 7,
    }


def test_resent_message_is_stored_once(relay):
    """Resending a client_id (a lost acknowledgement) answers with the stored copy only."""
    talk = start_conversation(relay)
    talk.customer.chat("only once", "dup-1")
    first = talk.customer.recv_type("chat_message")
    talk.customer.chat("only once", "dup-1")
    again = talk.customer.recv_type("chat_message")
    assert again["id"] == first["id"]
    talk.customer.chat("next", "dup-2")
    assert talk.customer.recv_type("chat_message")["id"] == first["id"] + 1
    agent_copies = [talk.agent.recv_type("chat_message"), talk.agent.recv_type("chat_message")]
    assert [m["client_id"] for m in agent_copies] == ["dup-1", "dup-2"]


def test_reconnect_replays_exactly_what_was_missed(relay):
    """A customer who comes back with last_seen_id gets the messages after it, once each."""
    talk = start_conversation(relay)
    talk.customer.chat("before", "c-1")
    seen = talk.customer.recv_type("chat_message")["id"]
    talk.customer.close()
    talk.agent.recv_type("participant_left")
    for n in range(3):
        talk.agent.chat(f"while you were away {n}", f"a-{n}")
        talk.agent.recv_type("chat_message")  # stored: the relay acknowledged it
    welcome = talk.reconnect_customer(last_seen_id=seen)
    assert [m["text"] for m in welcome["missed"]] == [f"while you were away {n}" for n in range(3)]
    assert welcome["last_id"] == seen + 3
    full = talk.reconnect_customer(last_seen_id=0)
    assert len(full["missed"]) == 4


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json {", "bad_json"),
        ("[1, 2]", "bad_message"),
        (json.dumps({"type": "teleport"}), "unknown_type"),
        (json.dumps({"type": "send_chat", "client_id": "x"}), "bad_message"),
        (json.dumps({"type": "send_chat", "client_id": "x", "text": 5}), "bad_message"),
        (json.dumps({"type": "send_chat", "client_id": "x", "text": "y" * 4001}), "text_too_long"),
        (json.dumps({"type": "typing", "active": "yes"}), "bad_message"),
        (json.dumps({"type": "remove_customer"}), "not_allowed"),
        (json.dumps({"type": "hello", "protocol_version": 1}), "bad_message"),
        (b"\x00\x01binary", "binary_not_expected"),
    ],
)
def test_malformed_frames_get_an_error_and_the_socket_stays_up(relay, frame, code):
    """Each bad frame is answered with `error`; a chat message right after still goes through."""
    talk = start_conversation(relay)
    talk.customer.send(frame)
    error = talk.customer.recv_type("error")
    assert error["code"] == code, error
    assert error["message"]
    talk.customer.chat("still here", "after-error")
    assert talk.agent.recv_type("chat_message")["text"] == "still here"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "screen_ack", "seq": 1},
        {"type": "present_start", "screen_w": 800, "screen_h": 600},
        {"type": "stroke_begin", "id": "s", "tool": "pen", "color": "#112233", "width": 3,
         "points": [[1, 2]]},
    ],
)  # fmt: skip
def test_a_screen_channel_message_on_the_chat_socket_is_named_as_off_channel(relay, frame):
    """A screen-channel message sent on the chat socket is refused as "X is not sent on the chat
    channel", in reply to X (it was answered "hello was already accepted"), and chat goes on."""
    talk = start_conversation(relay)
    talk.customer.send(frame)
    error = talk.customer.recv_type("error")
    assert error == {
        "type": "error",
        "code": "not_allowed",
        "message": f"{frame['type']} is not sent on the chat channel",
        "in_reply_to": frame["type"],
    }
    talk.customer.chat("still here", "after-off-channel")
    assert talk.agent.recv_type("chat_message")["text"] == "still here"


def test_a_second_hello_on_the_chat_socket_is_refused_as_such(relay):
    """A valid hello after the handshake is answered "hello was already accepted"."""
    talk = start_conversation(relay)
    hello = {"type": "hello", "protocol_version": 1, "role": "customer",
             "session_id": talk.session_id, "token": talk.joined["customer_token"]}  # fmt: skip
    talk.customer.send(hello)
    error = talk.customer.recv_type("error")
    assert (error["code"], error["in_reply_to"]) == ("not_allowed", "hello")
    assert error["message"] == "hello was already accepted"


def test_oversized_frame_closes_with_1009(relay):
    """A frame over 256 KiB closes the socket with 1009 (message too big)."""
    talk = start_conversation(relay)
    talk.customer.send("x" * (300 * 1024))
    assert talk.customer.close_code() == 1009


@pytest.mark.parametrize(
    ("overrides", "close_code"),
    [
        ({"protocol_version": 99}, 4002),
        ({"token": "forged"}, 4001),
        ({"session_id": "no-such-session"}, 4001),
        ({"role": "viewer"}, 4006),
        ({"type": "send_chat"}, 4006),
    ],
)
def test_bad_hello_is_closed_with_an_explained_code(relay, overrides, close_code):
    talk = start_conversation(relay)
    intruder = ChatClient(
        talk.customer.ws_url, "customer", talk.session_id, talk.joined["customer_token"]
    )
    intruder.connect_raw()
    intruder.send({**intruder.hello, **overrides})
    assert intruder.close_code() == close_code


def test_agent_hello_for_another_agents_session_is_refused(relay):
    talk = start_conversation(relay)
    bob = talk.api.login("bob", "bob-password-1")
    client = ChatClient(talk.agent.ws_url, "agent", talk.session_id, bob)
    client.connect_raw()
    client.send(client.hello)
    assert client.close_code() == 4001


def test_second_socket_for_a_role_replaces_the_first(relay):
    talk = start_conversation(relay)
    second = ChatClient(talk.agent.ws_url, "agent", talk.session_id, talk.token)
    assert second.connect()["type"] == "welcome"
    assert talk.agent.close_code() == 4005
    talk.customer.chat("to the new window", "c-9")
    assert second.recv_type("chat_message")["text"] == "to the new window"


def test_either_side_ends_and_both_see_the_end(relay):
    """The customer ends: both get session_ended with the agent's name and times, then 4000."""
    talk = start_conversation(relay)
    talk.customer.chat("thanks, bye", "c-1")
    talk.customer.send({"type": "end_session"})
    ended = [talk.customer.recv_type("session_ended"), talk.agent.recv_type("session_ended")]
    assert ended[0] == ended[1]
    summary = ended[0]
    assert summary["agent_name"] == "Alice Kim" and summary["ended_by"] == "customer"
    assert summary["customer_name"] == "Kim Customer"
    assert summary["ended_at"] >= summary["started_at"] > 0
    assert talk.customer.close_code() == 4000 and talk.agent.close_code() == 4000
    late = ChatClient(
        talk.customer.ws_url, "customer", talk.session_id, talk.joined["customer_token"]
    )
    late.connect_raw()
    late.send(late.hello)
    assert late.close_code() == 4000


def test_remove_customer_returns_to_waiting_with_a_new_code(relay):
    talk = start_conversation(relay)
    old_code = talk.support["code"]
    talk.agent.send({"type": "remove_customer"})
    removed = talk.agent.recv_type("customer_removed")
    assert removed["session"]["state"] == "waiting"
    assert removed["session"]["code"] not in (None, old_code)
    assert talk.customer.close_code() == 4004
    stale = ChatClient(
        talk.customer.ws_url, "customer", talk.session_id, talk.joined["customer_token"]
    )
    stale.connect_raw()
    stale.send(stale.hello)
    assert stale.close_code() == 4004  # removed, not merely unknown
    rejoined = talk.api.join(code=removed["session"]["code"], name="Second Customer")
    assert rejoined["session_id"] == talk.session_id


def test_agent_renews_an_expired_code(relay_factory):
    """A code past its lifetime is retired (the agent is told) and renew_code issues a new one."""
    relay = relay_factory("--code-lifetime", "1")
    from tests.support.api import Api

    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    agent = ChatClient(
        relay.url.replace("http", "ws", 1) + "/ws", "agent", support["session_id"], token
    )
    agent.connect()
    assert agent.recv_type("session_updated", timeout=5)["session"]["code"] is None
    status, body, _ = api.request("POST", "/api/join", json={"code": support["code"]})
    assert (status, body["error"]["code"]) == (410, "code_expired")
    agent.send({"type": "renew_code"})
    fresh = agent.recv_type("session_updated")["session"]["code"]
    assert fresh and fresh != support["code"]
    assert api.join(code=fresh)["session_id"] == support["session_id"]


def test_welcome_tells_read_state_and_reconnects_say_rejoined(relay):
    talk = start_conversation(relay)
    talk.agent.chat("hello", "a-1")
    message = talk.customer.recv_type("chat_message")
    talk.customer.send({"type": "mark_read", "up_to_id": message["id"]})
    talk.agent.recv_type("marked_read")
    welcome = talk.reconnect_customer(last_seen_id=message["id"])
    assert welcome["read_up_to"] == {"agent": 0, "customer": message["id"]}
    joined = talk.agent.recv_type("participant_joined")
    assert joined["rejoined"] is True and joined["role"] == "customer"


def test_a_refused_chat_message_is_named_by_its_client_id(relay):
    talk = start_conversation(relay)
    talk.customer.chat("y" * 4001, "too-long-1")
    error = talk.customer.recv_type("error")
    assert (error["code"], error["client_id"]) == ("text_too_long", "too-long-1")


def test_the_next_customer_does_not_see_the_removed_customers_chat(relay):
    """After remove_customer, a new customer starts with an empty transcript; the agent keeps it."""
    talk = start_conversation(relay)
    talk.customer.chat("my private address is ...", "c-1")
    talk.agent.recv_type("chat_message")
    talk.agent.send({"type": "remove_customer"})
    session = talk.agent.recv_type("customer_removed")["session"]
    assert session["code"] in session["invitation_text"] and session["join_url"].endswith(
        session["code"]
    )
    joined = talk.api.join(code=session["code"], name="Next Customer")
    nxt = ChatClient(relay.ws_url, "customer", talk.session_id, joined["customer_token"])
    welcome = nxt.connect()
    assert welcome["missed"] == []
    assert welcome["session"]["customer_name"] == "Next Customer"
    assert "code" not in welcome["session"] and "invitation_text" not in welcome["session"]
    nxt.chat("hi, I'm new", "n-1")
    assert talk.agent.recv_type("chat_message")["text"] == "hi, I'm new"
    again = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token)
    assert [m["text"] for m in again.connect()["missed"]] == [
        "my private address is ...",
        "hi, I'm new",
    ]
