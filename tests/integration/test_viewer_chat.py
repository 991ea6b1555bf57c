"""The chat beside the screen: a customer's viewer socket carries the chat too.

The viewer page and the one-time viewer chat over their own screen socket, so they never take
the customer's chat socket (4005) from the chat tab; both see the same conversation.
"""

from __future__ import annotations

from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation


def _viewer(relay, talk, last_seen_id: int = 0) -> tuple[ChatClient, dict]:
    viewer = ChatClient(
        relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"], last_seen_id
    )
    welcome = viewer.connect(channel="screen")
    assert welcome["type"] == "welcome", welcome
    return viewer, welcome


def test_a_viewer_gets_the_history_and_both_ways_of_the_chat(relay):
    """A viewer's welcome replays the chat; its send_chat reaches the agent and the chat tab,
    and the agent's reply, typing and read marks reach the viewer; nobody is replaced."""
    talk = start_conversation(relay)
    talk.customer.chat("Hello from the chat tab", "c-1")
    first = talk.agent.recv_type("chat_message")
    viewer, welcome = _viewer(relay, talk)
    assert [m["text"] for m in welcome["missed"]] == ["Hello from the chat tab"]
    assert welcome["last_id"] == first["id"]

    viewer.chat("Can we talk price?", "v-1")
    from_viewer = talk.agent.recv_type("chat_message")
    assert (from_viewer["role"], from_viewer["text"]) == ("customer", "Can we talk price?")
    assert talk.customer.recv_type("chat_message", timeout=5)["text"] == "Hello from the chat tab"
    assert talk.customer.recv_type("chat_message")["client_id"] == "v-1"
    assert viewer.recv_type("chat_message")["client_id"] == "v-1"  # its acknowledgement

    talk.agent.send({"type": "typing", "active": True})
    assert viewer.recv_type("typing")["role"] == "agent"
    talk.agent.chat("Of course: 10% off this week.", "a-1")
    reply = viewer.recv_type("chat_message")
    assert (reply["role"], reply["text"]) == ("agent", "Of course: 10% off this week.")
    viewer.send({"type": "mark_read", "up_to_id": reply["id"]})
    read = talk.agent.recv_type("marked_read")
    assert (read["role"], read["up_to_id"]) == ("customer", reply["id"])

    # The chat tab was never replaced: it still sends and receives.
    talk.customer.chat("Still here in the tab", "c-2")
    assert viewer.recv_type("chat_message")["text"] == "Still here in the tab"
    viewer.close()


def test_a_viewer_resumes_after_its_last_seen_id(relay):
    """A reconnecting viewer names its last chat id and gets only what came after it."""
    talk = start_conversation(relay)
    talk.agent.chat("one", "a-1")
    talk.agent.chat("two", "a-2")
    first = talk.customer.recv_type("chat_message")
    talk.customer.recv_type("chat_message")
    viewer, welcome = _viewer(relay, talk, last_seen_id=first["id"])
    assert [m["text"] for m in welcome["missed"]] == ["two"]
    viewer.close()


def test_the_presenter_gets_no_chat_and_may_not_send_it(relay):
    """The agent's screen socket stays free of chat: its welcome has no history and its
    send_chat is refused naming the message, with nothing stored."""
    talk = start_conversation(relay)
    talk.agent.chat("before", "a-1")
    presenter = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token)
    welcome = presenter.connect(channel="screen")
    assert (welcome["missed"], welcome["read_up_to"]) == ([], {})
    presenter.chat("from the presenter", "p-1")
    error = presenter.recv_type("error")
    assert (error["code"], error["client_id"]) == ("not_allowed", "p-1")
    talk.agent.chat("after", "a-2")
    assert talk.customer.recv_type("chat_message")["text"] == "before"
    assert talk.customer.recv_type("chat_message")["text"] == "after"
    presenter.close()


def test_a_removed_customers_viewer_can_no_longer_chat(relay):
    """After remove_customer the old token's viewer is closed (4004) and the next customer's
    viewer does not see the earlier chat."""
    talk = start_conversation(relay)
    viewer, _ = _viewer(relay, talk)
    talk.customer.chat("old customer's words", "c-1")
    viewer.recv_type("chat_message")
    talk.agent.send({"type": "remove_customer"})
    assert viewer.close_code() == 4004
    support = talk.agent.recv_type("customer_removed")["session"]
    joined = talk.api.join(code=support["code"], name="Next Customer")
    talk.joined = joined
    _, welcome = _viewer(relay, talk)
    assert welcome["missed"] == []
