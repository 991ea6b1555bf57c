"""Set up an agent and a customer in one support session, through the real relay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.api import Api
from tests.support.chat_client import ChatClient


@dataclass
class Conversation:
    api: Api
    token: str
    support: dict[str, Any]
    joined: dict[str, Any]
    agent: ChatClient
    customer: ChatClient

    @property
    def session_id(self) -> str:
        return self.support["session_id"]

    def reconnect_customer(self, last_seen_id: int = 0) -> dict[str, Any]:
        self.customer.close()
        self.customer = ChatClient(
            self.customer.ws_url,
            "customer",
            self.session_id,
            self.joined["customer_token"],
            last_seen_id,
        )
        return self.customer.connect()


def start_conversation(
    relay, agent: str = "alice", password: str = "alice-password-1"
) -> Conversation:
    """Agent logs in, opens a support, connects; a customer joins by code and connects."""
    api = Api(relay.url)
    token = api.login(agent, password)
    support = api.new_support(token)
    ws_url = relay.url.replace("http", "ws", 1) + "/ws"
    agent_client = ChatClient(ws_url, "agent", support["session_id"], token)
    welcome = agent_client.connect()
    assert welcome["type"] == "welcome", welcome
    joined = api.join(code=support["code"], name="Kim Customer")
    agent_client.recv_type("session_updated")
    customer = ChatClient(ws_url, "customer", support["session_id"], joined["customer_token"])
    welcome = customer.connect()
    assert welcome["type"] == "welcome", welcome
    agent_client.recv_type("participant_joined")
    return Conversation(api, token, support, joined, agent_client, customer)


@dataclass
class Guest:
    """One more customer in a conversation: its join answer and its open chat socket."""

    name: str
    joined: dict[str, Any]
    chat: ChatClient

    @property
    def token(self) -> str:
        return self.joined["customer_token"]

    @property
    def participant_id(self) -> str:
        return self.joined["participant_id"]


def invite_another(talk: Conversation, name: str) -> Guest:
    """The agent presses "Invite another" (``renew_code`` while customers are in); a new
    customer joins with that code and opens its chat socket; the agent sees it arrive."""
    talk.agent.send({"type": "renew_code"})
    code = talk.agent.recv_type("session_updated")["session"]["code"]
    joined = talk.api.join(code=code, name=name)
    talk.agent.recv_type("session_updated")
    chat = ChatClient(talk.customer.ws_url, "customer", talk.session_id, joined["customer_token"])
    welcome = chat.connect()
    assert welcome["type"] == "welcome", welcome
    while talk.agent.recv_type("participant_joined")["participant_id"] != joined["participant_id"]:
        pass
    return Guest(name, joined, chat)
