"""Two relay nodes on ONE PostgreSQL database and one Redis hub: a node stopped (SIGSTOP) past
its lease while it serves a session, whose session another node then takes over, must not
overwrite the new owner's rows when it resumes (SIGCONT): its commit skips them (the
``session_fences`` row names the new owner) and it drops the session, closing its sockets
``1001 wrong_node`` (store/postgres.py, sessions/takeover.py)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator

import pytest

from relay_server.sessions.relay import SESSION_LEASE_S
from suite.protocol import CloseCode, MessageType, Role
from tests.support.chat_client import ChatClient
from tests.support.cluster import Nodes, running_nodes
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]


@pytest.fixture
def nodes(postgres: PostgresServer, tmp_path) -> Iterator[Nodes]:
    with running_nodes(tmp_path, postgres, 2, (ALICE,)) as running:
        yield running


def chat_rows(postgres: PostgresServer, nodes: Nodes, session_id: str) -> dict[int, str]:
    """The session's chat as PostgreSQL has it: id -> text."""
    rows = postgres.sql(
        f"SELECT id, doc::text FROM documents WHERE tbl = 'chat:{session_id}'", nodes.database
    )
    return {int(doc_id): json.loads(doc)["text"] for doc_id, doc in rows}


def test_a_stalled_node_does_not_overwrite_a_session_taken_over(
    postgres: PostgresServer, nodes: Nodes
) -> None:
    one = nodes.api(0)
    alice = one.login(ALICE.username, ALICE.password)
    session_id = one.new_support(alice)["session_id"]
    stale = ChatClient(nodes.nodes[0].ws_url, Role.AGENT, session_id, alice)
    assert stale.connect()["type"] == MessageType.WELCOME
    stale.chat("first, on node 1", "c1")
    assert stale.recv_type(MessageType.CHAT_MESSAGE)["id"] == 1
    process = nodes.nodes[0].process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)
    resumed = False
    try:
        time.sleep(SESSION_LEASE_S + 1.5)  # node 1's lease expires
        # Node 2 takes the session over (the agent's socket there names it) and goes on.
        ws_two = f"{nodes.nodes[1].ws_url}?session={session_id}"
        fresh = ChatClient(ws_two, Role.AGENT, session_id, alice, last_seen_id=1)
        try:
            assert fresh.connect()["type"] == MessageType.WELCOME
            fresh.chat("second, on node 2", "c2")
            assert fresh.recv_type(MessageType.CHAT_MESSAGE)["id"] == 2
            # A frame node 1 reads when it wakes: without fencing it would write its own
            # message 2 over node 2's.
            stale.chat("stale, on node 1", "c3")
            os.kill(process.pid, signal.SIGCONT)
            resumed = True
            assert stale.close_code(timeout=15) == CloseCode.GOING_AWAY
            assert chat_rows(postgres, nodes, session_id) == {
                1: "first, on node 1", 2: "second, on node 2"
            }  # fmt: skip
            # Node 2 still serves the session; node 1 sends its clients there.
            fresh.chat("third, on node 2", "c4")
            assert fresh.recv_type(MessageType.CHAT_MESSAGE)["id"] == 3
            status, body, _ = one.request("GET", f"/api/supports/{session_id}", token=alice)
            assert status == 409 and body["error"]["code"] == "wrong_node", body
        finally:
            fresh.close()
    finally:
        if not resumed:
            os.kill(process.pid, signal.SIGCONT)
        stale.close()


def test_a_stalled_node_does_not_overwrite_a_session_another_node_restored_at_its_start(
    postgres: PostgresServer, nodes: Nodes
) -> None:
    """The same stall, but the session changes hands when node 2 starts (it restores the live
    sessions no live node owns), not through a request: node 2 fences it there too."""
    one = nodes.api(0)
    alice = one.login(ALICE.username, ALICE.password)
    session_id = one.new_support(alice)["session_id"]
    stale = ChatClient(nodes.nodes[0].ws_url, Role.AGENT, session_id, alice)
    assert stale.connect()["type"] == MessageType.WELCOME
    stale.chat("first, on node 1", "c1")
    assert stale.recv_type(MessageType.CHAT_MESSAGE)["id"] == 1
    process = nodes.nodes[0].process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)
    resumed = False
    try:
        time.sleep(SESSION_LEASE_S + 1.5)  # node 1's lease expires
        nodes.nodes[1].restart()  # restores the session at its start
        assert "restored 1 live sessions" in nodes.nodes[1].log_text()
        ws_two = f"{nodes.nodes[1].ws_url}?session={session_id}"
        fresh = ChatClient(ws_two, Role.AGENT, session_id, alice, last_seen_id=1)
        try:
            assert fresh.connect()["type"] == MessageType.WELCOME
            fresh.chat("second, on node 2", "c2")
            assert fresh.recv_type(MessageType.CHAT_MESSAGE)["id"] == 2
            stale.chat("stale, on node 1", "c3")  # read by node 1 when it wakes
            os.kill(process.pid, signal.SIGCONT)
            resumed = True
            assert stale.close_code(timeout=15) == CloseCode.GOING_AWAY
            assert chat_rows(postgres, nodes, session_id) == {
                1: "first, on node 1", 2: "second, on node 2"
            }  # fmt: skip
            fresh.chat("third, on node 2", "c4")
            assert fresh.recv_type(MessageType.CHAT_MESSAGE)["id"] == 3
        finally:
            fresh.close()
    finally:
        if not resumed:
            os.kill(process.pid, signal.SIGCONT)
        stale.close()
