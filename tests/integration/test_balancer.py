"""Three relay nodes on one PostgreSQL server behind HAProxy, run with deploy/haproxy/haproxy.cfg:
TLS at the balancer, websocket upgrade, health checks, and session affinity (every socket and
file transfer of a session reaches the node that created it; another session may land on
another node). Here each node has its own database and no shared hub, so a node knows only
the sessions it created and a request routed to the wrong node fails: affinity alone is what
these tests prove (nodes sharing one database and a hub: test_cluster.py).
"""

from __future__ import annotations

import hashlib
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from suite.net.serial_tls import SerialTLSConnection
from suite.protocol import Channel, CloseCode, MessageType, Role
from tests.support.api import Api
from tests.support.certificates import make_certificates
from tests.support.chat_client import hello_frame
from tests.support.haproxy import SERVER_NAMES, HAProxy, haproxy_missing, running_haproxy
from tests.support.postgres import PostgresServer
from tests.support.relay import ALICE, DEFAULT_AGENTS, RelayProcess, add_agent

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(haproxy_missing() is not None, reason=str(haproxy_missing())),
]

NODE_HEADER = "X-Relay-Node"
AFFINITY_HEADER = "X-Relay-Affinity"
# Each wait ends on its status. Handshakes that seemed to take over 10 s (then an HAProxy 408)
# were upgrade requests lost in the client's TLS: sockets open through SerialTLSConnection.
WAIT_S = 30.0


@dataclass
class Cluster:
    proxy: HAProxy
    nodes: list[RelayProcess]
    context: ssl.SSLContext
    api: Api
    token: str  # alice's, valid on every node (in every node's database)

    def why(self) -> str:
        """For a failed assertion: the servers' states and the end of HAProxy's log (each
        request's server, and any check that marked a node down under load)."""
        return f"{self.proxy.server_states()}\n{self.proxy.log_text()[-4000:]}"


@pytest.fixture(scope="module")
def cluster(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    # One PostgreSQL server, a database per node and no shared hub (affinity alone; nodes on
    # one database with a hub: test_cluster.py). Each database starts as a copy of the first
    # after alice signed in there, so her token works on every node.
    work = tmp_path_factory.mktemp("cluster")
    first = postgres.create_database("node")
    for agent in DEFAULT_AGENTS:
        add_agent(work, agent, postgres.store_args(first))
    (work / "data").mkdir()
    signing_in = RelayProcess(work / "data", work, postgres.store_args(first))
    nodes: list[RelayProcess] = [signing_in]
    try:
        signing_in.start()
        token = Api(signing_in.url).login(ALICE.username, ALICE.password)
        signing_in.stop()
        nodes.clear()
        databases = [first]
        for _ in SERVER_NAMES[1:]:
            databases.append(f"{first}_{len(databases) + 1}")
            postgres.sql(f"CREATE DATABASE {databases[-1]} TEMPLATE {first}")
        for name, database in zip(SERVER_NAMES, databases, strict=True):
            node_dir = work / name
            (node_dir / "data").mkdir(parents=True)
            args = (*postgres.store_args(database), "--node-name", name, "--trust-proxy")
            nodes.append(RelayProcess(node_dir / "data", node_dir, args))
            nodes[-1].start()
        certificates = make_certificates(work / "tls")
        context = ssl.create_default_context(cafile=str(certificates.ca_cert))
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        with running_haproxy(work / "haproxy", addresses, certificates) as proxy:
            yield Cluster(proxy, nodes, context, Api(proxy.url, context), token)
    finally:
        for node in nodes:
            node.stop()


def open_socket(cluster: Cluster, session_id: str) -> ClientConnection:
    """A websocket through the balancer with the session hint the clients add."""
    url = f"{cluster.proxy.ws_url}?session={session_id}"
    return connect(url, ssl=cluster.context, open_timeout=WAIT_S, max_size=2**22,
                   create_connection=SerialTLSConnection)  # fmt: skip


def welcomed(
    ws: ClientConnection, role: Role, session_id: str, token: str, channel: Channel
) -> dict[str, Any]:
    """Say hello and return the first answer: ``welcome``, or ``{"closed": code}`` when the
    relay refused (a node that does not hold the session closes with ``session_not_found``)."""
    ws.send(hello_frame(role, session_id, token, channel=channel))
    try:
        return json.loads(ws.recv(timeout=WAIT_S))
    except ConnectionClosed as closed:
        return {"closed": closed.rcvd.code if closed.rcvd else None}


def new_session(cluster: Cluster) -> tuple[str, str]:
    """Alice creates a session through the balancer; returns (session id, node that holds it)."""
    status, body, headers = cluster.api.request("POST", "/api/supports", token=cluster.token)
    assert status == 201, body
    session_id = body["support"]["session_id"]
    assert headers[AFFINITY_HEADER] == session_id
    return session_id, headers[NODE_HEADER]


def test_health_and_readiness_answer_through_tls_at_the_balancer(cluster: Cluster) -> None:
    """/health and /ready answer over https verified against the test CA, from a named node,
    and HAProxy's /ready checks keep every node UP."""
    status, body, headers = cluster.api.request("GET", "/health")
    assert (status, body["status"]) == (200, "ok")
    assert headers[NODE_HEADER] in SERVER_NAMES
    status, body, _ = cluster.api.request("GET", "/ready")
    assert (status, body) == (200, {"status": "ready", "store": "postgresql", "hub": "local"})
    assert set(cluster.proxy.server_states().values()) == {"UP"}
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(cluster.proxy.url + "/health", timeout=WAIT_S)


def test_sessions_spread_over_nodes_and_each_ones_sockets_reach_its_node(cluster: Cluster):
    """Three sessions created through the balancer land on more than one node, and each
    session's chat and screen sockets reach the node that created it (any other node would
    refuse a session it does not hold)."""
    sessions = [new_session(cluster) for _ in range(3)]
    assert len({node for _, node in sessions}) >= 2, f"{sessions}\n{cluster.why()}"
    for session_id, node in sessions:
        for channel in (Channel.CHAT, Channel.SCREEN, Channel.CHAT):
            with open_socket(cluster, session_id) as ws:
                assert ws.response is not None
                assert ws.response.headers[NODE_HEADER] == node, cluster.why()
                answer = welcomed(ws, Role.AGENT, session_id, cluster.token, channel)
                assert answer["type"] == MessageType.WELCOME, f"{answer}\n{cluster.why()}"


def test_a_socket_without_the_session_hint_can_miss_the_node(cluster: Cluster) -> None:
    """Without ``?session=`` the balancer spreads sockets over the nodes, and those landing
    elsewhere are refused: the hint is what keeps a session on its node (so this test fails
    if the balancer stopped spreading, which would make the affinity test prove nothing)."""
    session_id, node = new_session(cluster)
    landed = set()
    for _ in range(len(SERVER_NAMES)):
        with connect(cluster.proxy.ws_url, ssl=cluster.context, open_timeout=WAIT_S,
                     create_connection=SerialTLSConnection) as ws:  # fmt: skip
            assert ws.response is not None
            landed.add(ws.response.headers[NODE_HEADER])
            answer = welcomed(ws, Role.AGENT, session_id, cluster.token, Channel.CHAT)
            if ws.response.headers[NODE_HEADER] != node:
                assert answer == {"closed": CloseCode.SESSION_NOT_FOUND}, answer
            else:
                assert answer["type"] == MessageType.WELCOME, answer
    assert len(landed) >= 2


def test_a_file_goes_up_and_down_on_the_sessions_node(cluster: Cluster) -> None:
    """A customer in the session (joined on its node), then a file offered, uploaded and
    downloaded through the balancer: every request reaches the session's node, the transfer's
    own URLs included (learned from the offer's answer), and the bytes arrive intact."""
    session_id, node = new_session(cluster)
    owner = cluster.nodes[SERVER_NAMES.index(node)]
    status, support, _ = cluster.api.request(
        "GET", f"/api/supports/{session_id}", token=cluster.token
    )
    assert status == 200, support
    # Access codes are the hub's (shared across nodes); until then the customer joins on the
    # node directly, as the code would resolve there.
    customer = Api(owner.url).join(code=support["support"]["code"], name="Kim")
    with open_socket(cluster, session_id) as ws:
        hello = welcomed(ws, Role.CUSTOMER, session_id, customer["customer_token"], Channel.CHAT)
        assert hello["type"] == MessageType.WELCOME, hello
        assert ws.response is not None and ws.response.headers[NODE_HEADER] == node

        data = bytes(range(256)) * 400
        offer = {"name": "brochure.pdf", "size": len(data), "type": "application/pdf",
                 "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
        path = f"/api/sessions/{session_id}/files"
        status, body, headers = cluster.api.request("POST", path, offer, cluster.token)
        assert status == 201, body
        transfer_id = body["transfer"]["id"]
        assert (headers[NODE_HEADER], headers[AFFINITY_HEADER]) == (node, transfer_id)

        for _ in range(len(SERVER_NAMES)):  # round robin would have hit every node
            status, body, headers = cluster.api.request(
                "GET", f"/api/files/{transfer_id}", token=cluster.token
            )
            assert (status, headers[NODE_HEADER]) == (200, node), body
        upload = _raw(cluster, "PUT", f"/api/files/{transfer_id}/content?offset=0", data,
                      cluster.token)  # fmt: skip
        assert upload == (200, node)
        # The customer's page downloads with a one-time ticket URL, as customer_files.js does.
        ticket_request = urllib.request.Request(
            f"{cluster.proxy.url}/api/files/{transfer_id}/ticket",
            method="POST",
            headers={"Authorization": f"Customer {customer['customer_token']}"},
        )
        with _opener(cluster).open(ticket_request, timeout=WAIT_S) as response:
            assert response.headers[NODE_HEADER] == node
            ticket_url = json.loads(response.read())["url"]
        with _opener(cluster).open(cluster.proxy.url + ticket_url, timeout=WAIT_S) as response:
            assert response.headers[NODE_HEADER] == node
            assert response.read() == data


def _opener(cluster: Cluster) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=cluster.context)
    )


def _raw(cluster: Cluster, method: str, path: str, data: bytes, token: str) -> tuple[int, str]:
    request = urllib.request.Request(
        cluster.proxy.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )
    with _opener(cluster).open(request, timeout=WAIT_S) as response:
        return response.status, response.headers[NODE_HEADER]
