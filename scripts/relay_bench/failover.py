"""``bench_cluster.py --relays``'s failover: one node killed (SIGKILL) under load, each of its
sessions timed until a message goes through again, the timeline of where the seconds go, and
where the CPU went meanwhile.

A session's two sides reconnect at the same time, each on its own (``asyncio.gather``): in the
product they are two machines (the agent's app, the customer's browser) whose sockets both
break at the kill and both retry at once; neither waits for the other to be welcomed. The bench
used to reconnect the agent's side first and the customer's only once the agent was welcomed,
which added a second reconnect (its handshake, its ``wrong_node`` waits) to every session's
resume time; ``sequential_sides=True`` (``bench_cluster.py --sides sequential``) keeps that
order to compare against. The resume time is still the kill -> the first chat message after it
going through: the agent sends once both sides are welcomed.

The timeline (seconds after the kill): the dead node's lease left at the kill (Redis PTTL);
HAProxy marking the node down (its stats socket, polled every 20 ms); the first and last
takeover (the surviving nodes' logs, ``took session ... over``); the first and last side
welcomed again (and the last agent side, the last customer side), the last session chatting
again; what the clients sent meanwhile (sockets tried, ``wrong_node`` closes); and the
refusals after the dead node's lease ended: how many, how many sessions met one, the last
resume of those sessions and of the others.

The CPU (``cpu_s``): CPU seconds from the kill to the last resume of each surviving relay, of
PostgreSQL (the postmaster and its backends, reaped ones included), Redis, HAProxy and the
bench process itself (``tests/support/process_cpu.py``); then the kernel's softirq time (the
loopback TCP of all of them, no process's), everything else the machine ran (``others``:
other engineers' work on a shared machine), and the budget: the window's wall seconds times
the cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from typing import Any

from scripts.relay_bench.cluster_clients import WAIT_S, Session, Side, Target, connect_side
from scripts.relay_bench.relay_process import machine_busy_seconds
from suite.protocol import MessageType, encode
from tests.support.haproxy import SERVER_NAMES
from tests.support.process_cpu import own_cpu_s, tree_cpu_s

POLL_S = 0.02


def _marked_down(target: Target, victim: str, found: dict[str, float], stop: threading.Event):
    while not stop.is_set():
        try:
            if target.cluster.proxy.server_states().get(victim, "").startswith("DOWN"):
                found["down"] = time.time()
                return
        except OSError:
            pass
        stop.wait(POLL_S)


def _takeovers(target: Target, victim: str, since: float) -> list[float]:
    """When the surviving nodes took sessions over (their logs' ``ts``), after ``since``."""
    times = []
    for name, node in zip(SERVER_NAMES, target.nodes, strict=False):
        if name == victim:
            continue
        for line in node.log_text().splitlines():
            if '"took session' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("ts", 0) >= since:
                times.append(float(entry["ts"]))
    return sorted(times)


class CpuWindow:
    """The CPU seconds of the cluster's processes and the bench between :meth:`start` and
    :meth:`stop`, and the machine's busy time in the same window."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids  # name -> pid of each process tree measured (not the bench)
        self.before: dict[str, float] = {}
        self.busy_before = (0.0, 0.0)
        self.started = 0.0

    def _now(self) -> dict[str, float]:
        return {**tree_cpu_s(self.pids), "bench": own_cpu_s(os.getpid())}

    def start(self) -> None:
        self.before = self._now()
        self.busy_before = machine_busy_seconds()
        self.started = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Each process's CPU seconds in the window, then ``softirq``, ``others``,
        ``wall`` and ``budget`` (wall x cores)."""
        after = self._now()
        busy, softirq = machine_busy_seconds()
        wall = time.monotonic() - self.started
        used = {name: round(after[name] - self.before[name], 2) for name in after}
        softirq -= self.busy_before[1]
        others = busy - self.busy_before[0] - softirq - sum(used.values())
        budget = wall * (os.cpu_count() or 1)
        return {**used, "softirq": round(softirq, 2), "others": round(max(0.0, others), 2),
                "wall": round(wall, 2), "budget": round(budget, 2)}  # fmt: skip


async def _reconnect(
    target: Target, session: Session, side: Side, deadline: float, retry_every: float | None
) -> None:
    if side.ws is not None:
        await side.ws.close()
        side.ws = None
    await connect_side(target, session, side, deadline, retry_every)


async def resume_after_kill(
    target: Target,
    sessions: list[Session],
    retry_every: float | None,
    sequential_sides: bool = False,
) -> tuple[int, list[float], dict[str, Any], dict[str, float]]:
    """Kill the node that owns the first session; returns (its sessions, resume times, the
    timeline, the CPU seconds of each process from the kill to the last resume: ``{}``
    without a cluster)."""
    victim = sessions[0].agent.node
    theirs = [s for s in sessions if s.agent.node == victim]
    lease_left_ms = -1
    if target.cluster is not None:
        redis = target.cluster.redis.client()  # the node's id in the hub is not its name
        node_id = redis.get(f"rs:owner:{theirs[0].session_id}")
        lease_left_ms = int(redis.pttl(f"rs:node:{node_id}"))
    found: dict[str, float] = {}
    stop = threading.Event()
    cpu = None
    if target.cluster is not None:
        pids = target.cluster.pids()
        pids.pop(victim, None)
        cpu = CpuWindow(pids)
        cpu.start()
    killed_wall = time.time()
    killed_at = time.monotonic()
    target.nodes[SERVER_NAMES.index(victim)].kill()
    watcher = None
    if target.cluster is not None:
        watcher = threading.Thread(target=_marked_down, args=(target, victim, found, stop))
        watcher.start()
    sides = [side for s in theirs for side in (s.agent, s.customer)]
    tries_before = sum(side.tries for side in sides)
    wrong_before = sum(side.wrong_nodes for side in sides)

    async def resume(session: Session) -> float | None:
        """Seconds from the kill to the session's first message after it; None when a side
        was not welcomed within WAIT_S (counted as ``unresumed``)."""
        deadline = time.monotonic() + WAIT_S
        pair = (session.agent, session.customer)
        try:
            if sequential_sides:
                for side in pair:
                    await _reconnect(target, session, side, deadline, retry_every)
            else:
                await asyncio.gather(
                    *(_reconnect(target, session, side, deadline, retry_every) for side in pair)
                )
        except TimeoutError:
            return None
        assert session.agent.ws is not None and session.customer.ws is not None
        client_id = f"{session.session_id}:after"
        await session.agent.ws.send(encode(MessageType.SEND_CHAT, text="after",
                                           client_id=client_id))  # fmt: skip
        while True:
            frame = json.loads(await asyncio.wait_for(session.customer.ws.recv(), WAIT_S))
            if frame.get("client_id") == client_id:
                return time.monotonic() - killed_at

    answers = await asyncio.gather(*(resume(s) for s in theirs))
    cpu_s = cpu.stop() if cpu is not None else {}
    resumes = [answer for answer in answers if answer is not None]
    stop.set()
    if watcher is not None:
        watcher.join()
    takeovers = _takeovers(target, victim, killed_wall)
    welcomes = sorted(side.welcomed_at - killed_wall for side in sides if side.ws is not None)

    def last_welcome(role_sides: list[Side]) -> float | None:
        times = [side.welcomed_at - killed_wall for side in role_sides if side.ws is not None]
        return round(max(times), 3) if times else None

    def after(wall: float | None) -> float | None:
        return None if wall is None else round(wall - killed_wall, 3)

    # Refusals after the dead node's lease ended name a live owner (a survivor that has just
    # taken the session over, reached by the session's other side): that side then waits for
    # the fresh lease's hint. On a loaded machine a few were decided just before the end and
    # arrived after it.
    lease_end = killed_wall + max(0, lease_left_ms) / 1000
    late_refusals = [at for side in sides for at in side.wrong_node_at if at > lease_end]
    refused_late = [
        any(at > lease_end for side in (s.agent, s.customer) for at in side.wrong_node_at)
        for s in theirs
    ]

    def resume_max(late: bool) -> float | None:
        times = [
            t for t, r in zip(answers, refused_late, strict=True) if t is not None and r is late
        ]
        return round(max(times), 3) if times else None

    timeline = {
        "lease_left_at_kill_s": round(lease_left_ms / 1000, 3),
        "haproxy_down_s": after(found.get("down")),
        "first_takeover_s": after(takeovers[0]) if takeovers else None,
        "last_takeover_s": after(takeovers[-1]) if takeovers else None,
        "takeovers": len(takeovers),
        "first_welcome_s": round(welcomes[0], 3) if welcomes else None,
        "last_welcome_s": round(welcomes[-1], 3) if welcomes else None,
        "last_agent_welcome_s": last_welcome([s.agent for s in theirs]),
        "last_customer_welcome_s": last_welcome([s.customer for s in theirs]),
        "last_resumed_s": round(max(resumes), 3) if resumes else None,
        "unresumed": len(answers) - len(resumes),
        "sockets_tried": sum(side.tries for side in sides) - tries_before,
        "wrong_node_closes": sum(side.wrong_nodes for side in sides) - wrong_before,
        "wrong_node_after_lease_end": len(late_refusals),
        "sessions_refused_after_lease_end": sum(refused_late),
        "their_last_resumed_s": resume_max(True),
        "the_others_last_resumed_s": resume_max(False),
    }
    return len(theirs), resumes, timeline, cpu_s
