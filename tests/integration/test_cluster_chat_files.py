"""Two relay nodes on ONE PostgreSQL database and one Redis hub: a file sent in a session on
node 1 is still served after node 1 is killed (SIGKILL) and node 2 takes the session over.
Its bytes went to the store (``shared_files``, ``chat_files/<session>/<transfer>``) once
complete, before anyone was told it was ready (relay_server/files/kept.py); the upload itself
went to node 1, the session's owner. The session's end deletes them."""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from relay_server.sessions.relay import SESSION_LEASE_S
from suite.protocol import MessageType, Role
from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.cluster import Nodes, running_nodes
from tests.support.conversation import start_conversation
from tests.support.files import send_file
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

TAKEOVER_WAIT_S = SESSION_LEASE_S + 20.0  # the lease, plus a loaded machine's slowness


@pytest.fixture
def nodes(postgres: PostgresServer, tmp_path) -> Iterator[Nodes]:
    with running_nodes(tmp_path, postgres, 2, (ALICE,)) as running:
        yield running


def _get(url: str, authorization: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(
        url, headers={"Authorization": authorization, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _kept(postgres: PostgresServer, nodes: Nodes, session_id: str) -> list[tuple[str, int]]:
    return postgres.sql(
        "SELECT name, sum(length(data))::bigint FROM shared_files "
        f"WHERE name LIKE 'chat_files/{session_id}/%' GROUP BY name",
        nodes.database,
    )


def test_a_file_sent_on_a_killed_node_is_served_by_the_node_that_took_the_session_over(
    postgres: PostgresServer, nodes: Nodes
) -> None:
    node_one, node_two = nodes.nodes
    talk = start_conversation(node_one)
    session_id = talk.session_id
    customer = f"Customer {talk.joined['customer_token']}"
    data = os.urandom(2 * 1024 * 1024 + 12345)  # three pieces in the store
    digest = hashlib.sha256(data).hexdigest()
    send_file(talk.api, talk.token, session_id, "견적서-노드1.pdf", data)
    ready = talk.customer.recv_type("file_ready")["transfer"]
    transfer_id = ready["id"]
    assert _kept(postgres, nodes, session_id) == [
        (f"chat_files/{session_id}/{transfer_id}", len(data))
    ]
    talk.agent.close()
    talk.customer.close()

    node_one.kill()  # SIGKILL: nothing flushed, no hand-over
    killed_at = time.monotonic()
    # Straight at the file on node 2: 409 wrong_node while node 1's lease lives, then node 2
    # finds the file's session in the store and takes it over.
    status_url = f"{node_two.url}/api/files/{transfer_id}"
    while True:
        status, body = _get(status_url, customer)
        if status == 200 or time.monotonic() - killed_at > TAKEOVER_WAIT_S:
            break
        assert status == 409 and b"wrong_node" in body, (status, body)
        time.sleep(0.2)
    assert status == 200, body
    two = Api(node_two.url)
    auth = {"Authorization": customer}
    listed = two.request("GET", f"/api/sessions/{session_id}/files", headers=auth)
    assert listed[0] == 200, listed
    [transfer] = listed[1]["transfers"]
    assert (transfer["id"], transfer["name"], transfer["size"], transfer["sha256"],
            transfer["state"]) == (transfer_id, "견적서-노드1.pdf", len(data), digest,
                                   "ready")  # fmt: skip

    content = f"{node_two.url}/api/files/{transfer_id}/content"
    status, got = _get(content, customer)
    assert status == 200 and hashlib.sha256(got).hexdigest() == digest
    status, tail = _get(content, customer, {"Range": "bytes=1048576-"})  # a resumed download
    assert status == 206 and tail == data[1048576:]
    confirmed = two.request("POST", f"/api/files/{transfer_id}/received", {"sha256": digest},
                            headers=auth)  # fmt: skip
    assert confirmed[0] == 200 and confirmed[1]["transfer"]["state"] == "received", confirmed

    # The session ends on node 2: its files leave the database.
    agent = ChatClient(f"{node_two.ws_url}?session={session_id}", Role.AGENT, session_id,
                       talk.token)  # fmt: skip
    try:
        assert agent.connect()["type"] == MessageType.WELCOME
        agent.send({"type": "end_session"})
        agent.recv_type("session_ended")
    finally:
        agent.close()
    assert _kept(postgres, nodes, session_id) == []
