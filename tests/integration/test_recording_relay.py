"""The relay's side of recording (P9): who may say it records, who is told, chat copies."""

from __future__ import annotations

import json

from tests.support.api import Api
from tests.support.chat_client import ChatClient, open_socket
from tests.support.relay import ROOT
from tests.support.screen_socket import screen_hello
from tests.support.viewer_presenter import Presenter, start_session

WAIT_S = 10.0


def next_of(presenter: Presenter, kind: str) -> dict:
    while True:
        message = presenter.received.get(timeout=WAIT_S)
        if message["type"] == kind:
            return message


def test_recording_state_reaches_the_customer_and_chat_reaches_the_recorder(relay_factory):
    """The presenter's set_recording tells every chat socket (and later joiners through
    welcome.session.recording); only while recording does the presenter get the chat lines;
    a customer may not say it; the presenter leaving ends the mark; the agent's welcome carries
    the admin's recording_policy as it is now."""
    relay = relay_factory(agents=(ROOT,))
    root = Api(relay.url).login(ROOT.username, ROOT.password)
    session = start_session(relay)
    customer = ChatClient(session.ws_url, "customer", session.session_id, session.customer_token)
    assert customer.connect()["session"]["recording"] is False
    presenter = Presenter(session)
    assert presenter.welcome["session"]["recording_policy"] == "off"

    customer.chat("before", "c1")
    customer.recv_type("chat_message")
    presenter.send({"type": "set_recording", "recording": True})
    assert customer.recv_type("recording_state")["recording"] is True
    customer.chat("during", "c2")
    assert next_of(presenter, "chat_message")["text"] == "during"  # "before" never came
    viewer = open_socket(session.ws_url)  # a viewer that joins now: told in its welcome
    viewer.send(screen_hello("customer", session.session_id, session.customer_token))
    assert json.loads(viewer.recv(timeout=WAIT_S))["session"]["recording"] is True
    viewer.send(json.dumps({"type": "set_recording", "recording": False}))  # not the presenter
    while (reply := json.loads(viewer.recv(timeout=WAIT_S)))["type"] != "error":
        pass
    assert (reply["code"], reply["in_reply_to"]) == ("not_allowed", "set_recording")
    viewer.close()

    presenter.close()  # a presenter that is gone records no more
    assert customer.recv_type("recording_state")["recording"] is False
    status, body, _ = Api(relay.url).request(
        "PUT", "/api/admin/options", json={"values": {"recording.policy": "always"}}, token=root
    )
    assert status == 200, body
    again = Presenter(session)
    assert again.welcome["session"]["recording_policy"] == "always"
    again.close()
    customer.close()


def test_a_policy_change_reaches_every_presenter_at_once(relay_factory):
    """The admin's new recording.policy goes to each presenter's socket as recording_policy
    the moment it is saved (a running recording follows it), and to no customer."""
    relay = relay_factory(agents=(ROOT,))
    root = Api(relay.url).login(ROOT.username, ROOT.password)
    session = start_session(relay)
    customer = ChatClient(session.ws_url, "customer", session.session_id, session.customer_token)
    customer.connect()
    presenter = Presenter(session)
    for policy in ("always", "off"):
        status, body, _ = Api(relay.url).request(
            "PUT", "/api/admin/options", json={"values": {"recording.policy": policy}},
            token=root,
        )  # fmt: skip
        assert status == 200, body
        assert next_of(presenter, "recording_policy") == {"type": "recording_policy",
                                                          "policy": policy}  # fmt: skip
    customer.chat("after", "c1")  # the customer's next message is its chat line, nothing else
    assert customer.recv()["type"] == "chat_message"
    presenter.close()
    customer.close()
