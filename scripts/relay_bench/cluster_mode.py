"""``bench_cluster.py --relays``: chat on real relays, one node against three on one database.

One relay on PostgreSQL (local hub, direct HTTP) is the baseline; then three relays on the
same kind of database with a Redis hub behind HAProxy (TLS, ``deploy/haproxy/haproxy.cfg``):
every session is created through the balancer (so sessions spread over the nodes), both
participants connect through it with ``?session=``, and each side sends ``rate`` messages a
second for ``seconds``; the delay is send → delivery to the other side. Then one node is
killed (SIGKILL) and every session it owned is timed until a message goes through again, its
clients reconnecting through the balancer as they do (retry on a close or ``wrong_node``).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from suite.protocol import Channel, MessageType, Role, encode
from tests.support.api import Api
from tests.support.chat_client import hello_frame
from tests.support.cluster import running_cluster
from tests.support.haproxy import SERVER_NAMES
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.relay import ALICE, DEFAULT_AGENTS, RelayProcess, add_agent

WAIT_S = 60.0
CONNECTING = 16  # sessions whose sockets open at once


@dataclass
class Target:
    """Where the clients go: a URL (the balancer or one node) and the nodes behind it."""

    url: str
    ws_url: str
    context: ssl.SSLContext | None
    nodes: list[RelayProcess]


@dataclass
class Side:
    role: Role
    token: str
    ws: ClientConnection | None = None
    node: str = ""
    last_id: int = 0
    seen: set[int] = field(default_factory=set)


@dataclass
class Session:
    session_id: str
    agent: Side
    customer: Side


def cpu_s(node: RelayProcess) -> float:
    """The node's CPU seconds so far (user + system), 0 once it is gone."""
    if not node.running or node.process is None:
        return 0.0
    fields = Path(f"/proc/{node.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


@contextmanager
def one_node(work: Path, postgres: PostgresServer) -> Iterator[Target]:
    database = postgres.create_database("one")
    for agent in DEFAULT_AGENTS:
        add_agent(work, agent, postgres.store_args(database))
    (work / "one" / "data").mkdir(parents=True)
    node = RelayProcess(work / "one" / "data", work / "one", postgres.store_args(database))
    node.start()
    try:
        yield Target(node.url, node.url.replace("http", "ws", 1) + "/ws", None, [node])
    finally:
        node.stop()


@contextmanager
def three_nodes(work: Path, postgres: PostgresServer) -> Iterator[Target]:
    with running_cluster(work, postgres) as cluster:
        yield Target(cluster.proxy.url, cluster.proxy.ws_url, cluster.context, cluster.nodes)


def open_sessions(target: Target, count: int) -> list[Session]:
    api = Api(target.url, target.context)
    token = api.login(ALICE.username, ALICE.password)
    sessions = []
    for _ in range(count):
        status, body, _ = api.request("POST", "/api/supports", token=token)
        assert status == 201, body
        support = body["support"]
        while True:  # the join follows wrong_node as ui/common/http.js does
            status, joined, _ = api.request(
                "POST", f"/api/join?session={support['session_id']}",
                json={"code": support["code"], "name": "Kim"},
            )  # fmt: skip
            if status != 409:
                break
            time.sleep(0.1)
        assert status == 200, joined
        sessions.append(
            Session(
                support["session_id"],
                Side(Role.AGENT, token),
                Side(Role.CUSTOMER, joined["customer_token"]),
            )
        )
    return sessions


async def connect_side(target: Target, session: Session, side: Side, deadline: float) -> None:
    """Open ``side``'s socket through ``target`` until a node welcomes it."""
    while time.monotonic() < deadline:
        try:
            ws = await connect(
                f"{target.ws_url}?session={session.session_id}", ssl=target.context,
                open_timeout=WAIT_S, max_size=2**22,
            )  # fmt: skip
        except (OSError, TimeoutError, Exception):  # refused, or the balancer had no node
            await asyncio.sleep(0.1)
            continue
        try:
            await ws.send(hello_frame(side.role, session.session_id, side.token, Channel.CHAT,
                                      side.last_id))  # fmt: skip
            answer = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        except Exception:
            await ws.close()
            await asyncio.sleep(0.1)  # wrong_node while the dead owner's lease lives
            continue
        if answer.get("type") == MessageType.WELCOME:
            side.ws = ws
            side.node = ws.response.headers.get("X-Relay-Node", "") if ws.response else ""
            for message in answer["missed"]:
                side.last_id = max(side.last_id, message["id"])
            return
        await ws.close()
    raise TimeoutError(f"no node welcomed session {session.session_id}")


async def chat(sessions: list[Session], seconds: float, rate: float) -> tuple[int, list[float]]:
    """Each side sends ``rate`` messages a second; returns (messages sent, delivery delays)."""
    sent: dict[str, float] = {}
    delays: list[float] = []
    stop_at = time.monotonic() + seconds

    async def send(session: Session, side: Side, name: str) -> None:
        n = 0
        while time.monotonic() < stop_at:
            client_id = f"{session.session_id}:{name}:{n}"
            sent[client_id] = time.perf_counter()
            assert side.ws is not None
            await side.ws.send(encode(MessageType.SEND_CHAT, text="hello", client_id=client_id))
            n += 1
            await asyncio.sleep(1.0 / rate)

    async def receive(side: Side, other: str) -> None:
        assert side.ws is not None
        try:
            while True:
                frame = json.loads(await asyncio.wait_for(side.ws.recv(), 5.0))
                if frame.get("type") == MessageType.CHAT_MESSAGE:
                    side.last_id = max(side.last_id, frame["id"])
                    if f":{other}:" in frame["client_id"]:
                        delays.append(time.perf_counter() - sent[frame["client_id"]])
        except TimeoutError:
            return

    tasks = []
    for session in sessions:
        tasks += [send(session, session.agent, "a"), send(session, session.customer, "c")]
        tasks += [receive(session.agent, "c"), receive(session.customer, "a")]
    await asyncio.gather(*tasks)
    return len(sent), delays


async def resume_after_kill(target: Target, sessions: list[Session]) -> tuple[int, list[float]]:
    """Kill the node that owns the first session; returns (its sessions, resume times)."""
    victim = sessions[0].agent.node
    theirs = [s for s in sessions if s.agent.node == victim]
    killed_at = time.monotonic()
    target.nodes[SERVER_NAMES.index(victim)].kill()

    async def resume(session: Session) -> float:
        deadline = time.monotonic() + WAIT_S
        for side in (session.agent, session.customer):
            if side.ws is not None:
                await side.ws.close()
            await connect_side(target, session, side, deadline)
        assert session.agent.ws is not None and session.customer.ws is not None
        client_id = f"{session.session_id}:after"
        await session.agent.ws.send(encode(MessageType.SEND_CHAT, text="after",
                                           client_id=client_id))  # fmt: skip
        while True:
            frame = json.loads(await asyncio.wait_for(session.customer.ws.recv(), WAIT_S))
            if frame.get("client_id") == client_id:
                return time.monotonic() - killed_at

    return len(theirs), list(await asyncio.gather(*(resume(s) for s in theirs)))


async def run_target(target: Target, count: int, seconds: float, rate: float) -> dict[str, Any]:
    sessions = open_sessions(target, count)
    # Each side has WAIT_S of its own (one deadline for them all failed every run of 1,000
    # sessions: 2,000 sockets one after another on a loaded machine), CONNECTING at a time.
    # A session whose sides were not welcomed in time is left out of the chat and counted
    # (``unconnected``) instead of ending the run: a loaded machine drops a few.
    gate = asyncio.Semaphore(CONNECTING)

    async def connect(session: Session) -> bool:
        async with gate:
            try:
                for side in (session.agent, session.customer):
                    await connect_side(target, session, side, time.monotonic() + WAIT_S)
            except TimeoutError:
                for side in (session.agent, session.customer):
                    if side.ws is not None:
                        await side.ws.close()
                        side.ws = None
                return False
            return True

    connected = await asyncio.gather(*(connect(session) for session in sessions))
    sessions = [session for session, ok in zip(sessions, connected, strict=True) if ok]
    cpu_before = sum(cpu_s(node) for node in target.nodes)
    sent, delays = await chat(sessions, seconds, rate)
    cpu = sum(cpu_s(node) for node in target.nodes) - cpu_before
    result: dict[str, Any] = {
        "sessions": count,
        "unconnected": count - len(sessions),
        "nodes": len({s.agent.node for s in sessions}),
        "sent": sent,
        "delivered": len(delays),
        "p50_ms": percentile(delays, 0.5) * 1000,
        "p99_ms": percentile(delays, 0.99) * 1000,
        "cpu_ms_per_message": cpu * 1000 / max(1, len(delays)),
    }
    if len(target.nodes) > 1:
        killed, resumes = await resume_after_kill(target, sessions)
        result.update(killed_sessions=killed, resume_p50_s=percentile(resumes, 0.5),
                      resume_max_s=max(resumes))  # fmt: skip
    for session in sessions:
        for side in (session.agent, session.customer):
            if side.ws is not None:
                await side.ws.close()
    return result


def run_relays(work: Path, count: int, seconds: float, rate: float) -> list[dict[str, Any]]:
    """The baseline on one node, then three nodes with a failover; one result each."""
    results = []
    with running_postgres() as postgres:
        with one_node(work / "one-node", postgres) as target:
            results.append({"run": "1 node, PostgreSQL, direct",
                            **asyncio.run(run_target(target, count, seconds, rate))})  # fmt: skip
        with three_nodes(work / "three-nodes", postgres) as target:
            results.append({"run": "3 nodes, one PostgreSQL + Redis, HAProxy TLS",
                            **asyncio.run(run_target(target, count, seconds, rate))})  # fmt: skip
    return results
