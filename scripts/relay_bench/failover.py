"""``bench_cluster.py --relays``'s failover: one node killed (SIGKILL) under load, each of its
sessions timed until a message goes through again, and the timeline of where the seconds go.

The timeline (seconds after the kill): the dead node's lease left at the kill (Redis PTTL);
HAProxy marking the node down (its stats socket, polled every 20 ms); the first and last
takeover (the surviving nodes' logs, ``took session ... over``); the first and last side
welcomed again, the last session chatting again; and what the clients sent meanwhile
(sockets tried, ``wrong_node`` closes).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from scripts.relay_bench.cluster_clients import WAIT_S, Session, Target, connect_side
from suite.protocol import MessageType, encode
from tests.support.haproxy import SERVER_NAMES

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


async def resume_after_kill(
    target: Target, sessions: list[Session], retry_every: float | None
) -> tuple[int, list[float], dict[str, Any]]:
    """Kill the node that owns the first session; returns (its sessions, resume times, the
    timeline)."""
    victim = sessions[0].agent.node
    theirs = [s for s in sessions if s.agent.node == victim]
    lease_left_ms = -1
    if target.cluster is not None:
        redis = target.cluster.redis.client()  # the node's id in the hub is not its name
        node_id = redis.get(f"rs:owner:{theirs[0].session_id}")
        lease_left_ms = int(redis.pttl(f"rs:node:{node_id}"))
    found: dict[str, float] = {}
    stop = threading.Event()
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
        for side in (session.agent, session.customer):
            if side.ws is not None:
                await side.ws.close()
                side.ws = None
            try:
                await connect_side(target, session, side, deadline, retry_every)
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
    resumes = [answer for answer in answers if answer is not None]
    stop.set()
    if watcher is not None:
        watcher.join()
    takeovers = _takeovers(target, victim, killed_wall)
    welcomes = sorted(side.welcomed_at - killed_wall for side in sides if side.ws is not None)

    def after(wall: float | None) -> float | None:
        return None if wall is None else round(wall - killed_wall, 3)

    timeline = {
        "lease_left_at_kill_s": round(lease_left_ms / 1000, 3),
        "haproxy_down_s": after(found.get("down")),
        "first_takeover_s": after(takeovers[0]) if takeovers else None,
        "last_takeover_s": after(takeovers[-1]) if takeovers else None,
        "takeovers": len(takeovers),
        "first_welcome_s": round(welcomes[0], 3) if welcomes else None,
        "last_welcome_s": round(welcomes[-1], 3) if welcomes else None,
        "last_resumed_s": round(max(resumes), 3) if resumes else None,
        "unresumed": len(answers) - len(resumes),
        "sockets_tried": sum(side.tries for side in sides) - tries_before,
        "wrong_node_closes": sum(side.wrong_nodes for side in sides) - wrong_before,
    }
    return len(theirs), resumes, timeline
