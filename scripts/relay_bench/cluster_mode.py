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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scripts.relay_bench.cluster_clients import WAIT_S, Session, Side, Target, connect_side
from scripts.relay_bench.failover import resume_after_kill
from suite.protocol import MessageType, Role, encode
from tests.support.api import Api
from tests.support.cluster import running_cluster
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.process_cpu import own_cpu_s
from tests.support.relay import ALICE, DEFAULT_AGENTS, RelayProcess, add_agent

CONNECTING = 16  # sessions whose sockets open at once


def cpu_s(node: RelayProcess) -> float:
    """The node's CPU seconds so far (user + system), 0 once it is gone."""
    if not node.running or node.process is None:
        return 0.0
    return own_cpu_s(node.process.pid)


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
        yield Target(cluster.proxy.url, cluster.proxy.ws_url, cluster.context, cluster.nodes,
                     cluster)  # fmt: skip


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


async def run_target(
    target: Target, count: int, seconds: float, rate: float, retry_every: float | None = None,
    sequential_sides: bool = False,
) -> dict[str, Any]:  # fmt: skip
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
                    await connect_side(target, session, side, time.monotonic() + WAIT_S,
                                       retry_every)  # fmt: skip
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
        killed, resumes, timeline, cpu = await resume_after_kill(
            target, sessions, retry_every, sequential_sides
        )
        result.update(killed_sessions=killed, resume_p50_s=percentile(resumes, 0.5),
                      resume_max_s=max(resumes, default=0.0), timeline=timeline,
                      cpu_s=cpu)  # fmt: skip
    for session in sessions:
        for side in (session.agent, session.customer):
            if side.ws is not None:
                await side.ws.close()
    return result


def run_relays(
    work: Path, count: int, seconds: float, rate: float,
    clients: list[float | None], one: bool = True, sides: tuple[str, ...] = ("concurrent",),
) -> list[dict[str, Any]]:  # fmt: skip
    """The baseline on one node (unless ``one`` is False), then three nodes with a failover
    for each kind of client (``clients``: None retries as the product does, a number every
    that many seconds) and each order of the sides' reconnects (``sides``: "concurrent" as
    the product's two machines, "sequential" the agent's side first); one result each."""
    results = []
    with running_postgres() as postgres:
        if one:
            with one_node(work / "one-node", postgres) as target:
                result = asyncio.run(run_target(target, count, seconds, rate))
                results.append({"run": "1 node, PostgreSQL, direct", **result})
        runs = [(retry_every, order) for retry_every in clients for order in sides]
        for n, (retry_every, order) in enumerate(runs):
            retry = "lease hint" if retry_every is None else f"every {retry_every} s"
            with three_nodes(work / f"three-nodes-{n}", postgres) as target:
                result = asyncio.run(run_target(target, count, seconds, rate, retry_every,
                                                order == "sequential"))  # fmt: skip
                run = f"3 nodes + Redis, HAProxy TLS; retry: {retry}; sides: {order}"
                results.append({"run": run, **result})
    return results
