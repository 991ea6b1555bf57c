"""Three relay nodes on ONE PostgreSQL database and one Redis hub, behind HAProxy
(deploy/haproxy/haproxy.cfg): a session lives on the node that owns it, another node answers
``wrong_node``, and when the owner dies (SIGKILL) or drains (SIGTERM) another node takes the
session over from the database with no acknowledged chat message lost or doubled.

The tests share one cluster and run in file order: the drain stops one node, the failover
kills another (each picks its victim among the nodes still up).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from relay_server.sessions.relay import SESSION_LEASE_S
from relay_server.sessions.takeover import RETRY_FRESH_OWNER_MS
from suite.agent.app.relay_client import RelayClient
from suite.net.policy import NetworkPolicy
from suite.protocol import Channel, CloseCode, MessageType, Role, encode
from suite.protocol.wrong_node import lease_hint_of_reason, wrong_node_delay_s
from tests.support.chat_client import hello_frame
from tests.support.cluster import Cluster, running_cluster
from tests.support.haproxy import SERVER_NAMES, haproxy_missing
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(haproxy_missing() is not None, reason=str(haproxy_missing())),
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

NODE_HEADER = "X-Relay-Node"
WAIT_S = 30.0  # each wait ends on its status; a loaded machine is slow to hand shake
RESUME_GOAL_S = 5.0  # a killed node's sessions resume within this, reconnects included


@pytest.fixture(scope="module")
def cluster(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster"), postgres) as running:
        yield running


class Participant:
    """One chat socket through the balancer that reconnects as the clients do: on a close
    or a refused connection it opens a new one with ``?session=`` and ``last_seen_id``, and
    keeps every message it got, by id."""

    def __init__(self, cluster: Cluster, role: Role, session_id: str, token: str):
        self.cluster, self.role, self.session_id, self.token = cluster, role, session_id, token
        self.messages: dict[int, dict[str, Any]] = {}
        self.duplicates: list[int] = []
        self.nodes_seen: list[str] = []
        self.ws: ClientConnection | None = None
        self.lease_hints: list[int] = []  # wrong_node closes' lease_left_ms

    def connect(self, deadline_s: float = WAIT_S) -> dict[str, Any]:
        """Open a socket and say hello until welcomed; returns the ``welcome``."""
        deadline = time.monotonic() + deadline_s
        wrong_nodes = 0
        while True:
            assert time.monotonic() < deadline, "no node welcomed the session in time"
            try:
                ws = connect(
                    f"{self.cluster.proxy.ws_url}?session={self.session_id}",
                    ssl=self.cluster.context, open_timeout=WAIT_S, max_size=2**22, legacy=True,
                )  # fmt: skip
            except (OSError, InvalidStatus, TimeoutError):
                time.sleep(0.1)  # the balancer has no node up for it yet
                continue
            last_seen = max(self.messages, default=0)
            try:
                ws.send(
                    hello_frame(self.role, self.session_id, self.token, Channel.CHAT, last_seen)
                )
                answer = json.loads(ws.recv(timeout=WAIT_S))
            except (ConnectionClosed, TimeoutError) as error:
                ws.close()
                # wrong_node while the dead owner's lease lives: again when it ends, as the
                # product's clients do (suite/protocol/wrong_node.py)
                rcvd = error.rcvd if isinstance(error, ConnectionClosed) else None
                hint = lease_hint_of_reason(rcvd.reason if rcvd else None)
                if hint is not None:
                    self.lease_hints.append(hint)
                time.sleep(wrong_node_delay_s(hint, wrong_nodes, 0.1, random.random()))
                wrong_nodes += hint is not None
                continue
            assert answer["type"] == MessageType.WELCOME, answer
            assert ws.response is not None
            self.nodes_seen.append(ws.response.headers[NODE_HEADER])
            self.ws = ws
            for message in answer["missed"]:
                self._keep(message)
            return answer

    def _keep(self, message: dict[str, Any]) -> None:
        if message["id"] in self.messages:
            self.duplicates.append(message["id"])
        self.messages[message["id"]] = message

    def say(self, text: str, client_id: str) -> int:
        """Send a chat message and wait for its acknowledgement (its echo with an id)."""
        assert self.ws is not None
        self.ws.send(encode(MessageType.SEND_CHAT, text=text, client_id=client_id))
        while True:
            message = self.wait_chat()
            if message["client_id"] == client_id:
                return message["id"]

    def wait_chat(self, text: str | None = None) -> dict[str, Any]:
        """The next chat message (or the one with ``text``), keeping every one seen."""
        assert self.ws is not None
        while True:
            frame = json.loads(self.ws.recv(timeout=WAIT_S))
            if frame["type"] == MessageType.CHAT_MESSAGE:
                self._keep(frame)
                if text is None or frame["text"] == text:
                    return frame

    def wait_closed(self) -> int | None:
        assert self.ws is not None
        try:
            while True:
                self.ws.recv(timeout=WAIT_S)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


def join_through_balancer(cluster: Cluster, session_id: str, code: str) -> dict[str, Any]:
    """The customer's join through the balancer with the session hint, following
    ``409 wrong_node`` until the balancer knows the session's node; returns the answer."""
    deadline = time.monotonic() + WAIT_S
    while True:
        status, body, _ = cluster.api(None).request(
            "POST", f"/api/join?session={session_id}", json={"code": code, "name": "Kim"}
        )
        if status != 409 or time.monotonic() > deadline:
            assert status == 200, body
            return body
        assert body["error"]["code"] == "wrong_node", body


def start_session(cluster: Cluster, node: int) -> tuple[str, dict[str, Any], str]:
    """Alice signs in and opens a session on ``node`` directly, a customer joins it through
    the balancer (following ``wrong_node``); returns (agent token, support, customer token)."""
    api = cluster.api(node)
    token = api.login(ALICE.username, ALICE.password)
    support = api.new_support(token)
    body = join_through_balancer(cluster, support["session_id"], support["code"])
    return token, support, body["customer_token"]


def test_a_session_lives_on_its_node_and_the_others_send_its_clients_there(cluster: Cluster):
    """Agent on node 1, the customer's join by code on node 2 (direct) gets 409 wrong_node
    naming the session, then joins through the balancer; chat goes both ways once, a token
    signed in on node 1 works on node 3, and the end reaches both sides."""
    api_one, api_two = cluster.api(0), cluster.api(1)
    token = api_one.login(ALICE.username, ALICE.password)
    support = api_one.new_support(token)
    session_id = support["session_id"]
    # A token signed in on node 1 is read on use by node 3 (one database).
    status, _, _ = cluster.api(2).request("GET", "/api/me", token=token)
    assert status == 200
    status, body, _ = api_two.request("POST", "/api/join", json={"code": support["code"]})
    assert status == 409, body
    assert body["error"]["code"] == "wrong_node"
    assert body["error"]["session_id"] == session_id
    # Node 1 created the session just now: come back soon (the balancer learns the owner from
    # its first answer), not when node 1's lease would end.
    assert 0 < body["error"]["lease_left_ms"] <= RETRY_FRESH_OWNER_MS, body
    body = join_through_balancer(cluster, session_id, support["code"])
    agent = Participant(cluster, Role.AGENT, session_id, token)
    customer = Participant(cluster, Role.CUSTOMER, session_id, body["customer_token"])
    try:
        agent.connect()
        customer.connect()
        assert agent.nodes_seen == customer.nodes_seen == [SERVER_NAMES[0]]
        for n in range(5):
            agent.say(f"agent {n}", f"a{n}")
            customer.wait_chat(f"agent {n}")
            customer.say(f"customer {n}", f"c{n}")
            agent.wait_chat(f"customer {n}")
        assert len(agent.messages) == len(customer.messages) == 10
        assert agent.duplicates == customer.duplicates == []
        agent.ws.send(encode(MessageType.END_SESSION))  # type: ignore[union-attr]
        assert customer.wait_closed() == CloseCode.SESSION_ENDED
    finally:
        agent.close()
        customer.close()


def test_the_agent_apps_client_follows_wrong_node_through_the_balancer(cluster: Cluster):
    """The agent app's relay client (suite/agent/app/relay_client.py) through the balancer:
    a join by code that the round robin sends to a node other than the session's owner is
    answered 409 wrong_node there and asked again with ?session=, until the owner answers;
    every join succeeds, and at least one was followed (3 nodes, round robin)."""
    api = cluster.api(0)
    token = api.login(ALICE.username, ALICE.password)
    policy = NetworkPolicy(ca_file=str(cluster.certificates.ca_cert), proxy_mode="none")
    client = RelayClient(cluster.proxy.url, policy=policy)
    for _ in SERVER_NAMES:
        support = api.new_support(token)  # on node 1, not yet known to the balancer
        body = client.call("POST", "/api/join", {"code": support["code"], "name": "Kim"})
        assert body is not None and body["customer_token"]
        assert body["session_id"] == support["session_id"]
    assert client.wrong_node_followed >= 1


def _resume_after(cluster: Cluster, stop: str) -> tuple[float, list[int]]:
    """A session on a live node, chat acknowledged both ways, then its node stopped
    (``kill`` or ``stop``); both sides reconnect through the balancer and chat again.
    Returns the seconds from the stop to the first message delivered after it, and the
    lease hints of the wrong_node closes the sides met meanwhile."""
    live = [i for i, node in enumerate(cluster.nodes) if node.running]
    owner = live[0]
    token, support, customer_token = start_session(cluster, owner)
    session_id = support["session_id"]
    agent = Participant(cluster, Role.AGENT, session_id, token)
    customer = Participant(cluster, Role.CUSTOMER, session_id, customer_token)
    try:
        agent.connect()
        customer.connect()
        assert agent.nodes_seen[-1] == SERVER_NAMES[owner]
        acknowledged = []
        for n in range(20):
            acknowledged.append(agent.say(f"before {n}", f"b{n}"))
            customer.wait_chat(f"before {n}")
        stopped_at = time.monotonic()
        getattr(cluster.nodes[owner], stop)()
        agent.connect()
        customer.connect()
        agent.say("after", "after-1")
        customer.wait_chat("after")
        resumed_s = time.monotonic() - stopped_at
        assert agent.nodes_seen[-1] != SERVER_NAMES[owner]
        assert agent.nodes_seen[-1] == customer.nodes_seen[-1]
        # Nothing acknowledged lost, nothing doubled, on either side.
        for participant in (agent, customer):
            texts = [m["text"] for _, m in sorted(participant.messages.items())]
            assert texts == [f"before {n}" for n in range(20)] + ["after"], texts
            assert participant.duplicates == []
        assert set(acknowledged) <= set(customer.messages)
        return resumed_s, agent.lease_hints + customer.lease_hints
    finally:
        agent.close()
        customer.close()


def test_a_draining_node_hands_its_session_over_at_once(cluster: Cluster) -> None:
    """SIGTERM on the owner: its lease goes after its last commit, the clients reconnect to
    another node, which takes the session over without waiting for the lease to expire."""
    resumed_s, _ = _resume_after(cluster, "stop")
    print(f"drain: chat resumed {resumed_s:.2f} s after SIGTERM")
    assert resumed_s < SESSION_LEASE_S + 2.0


def test_a_killed_nodes_session_resumes_on_another_node(cluster: Cluster) -> None:
    """SIGKILL on the owner mid-session: after its lease expires another node takes the
    session over from PostgreSQL, and chat resumes within the goal with nothing lost or
    doubled."""
    resumed_s, hints = _resume_after(cluster, "kill")
    print(f"failover: chat resumed {resumed_s:.2f} s after SIGKILL; lease hints {hints}")
    assert resumed_s <= RESUME_GOAL_S
    # The survivors' wrong_node closes said when the dead node's lease would end: the
    # clients came back then (a few tries), not every 100 ms (about 25 tries).
    assert hints and all(0 <= hint <= SESSION_LEASE_S * 1000 for hint in hints), hints
    assert len(hints) <= 6, hints
