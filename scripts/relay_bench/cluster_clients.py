"""The clients of ``bench_cluster.py --relays``: one session's two sides, each a websocket
through the balancer (``?session=``) that reconnects as the product's clients do.

After a refusal the product's ``ui/common/session_socket.js`` backs off (0.5 s doubling, half
jitter) and, on a ``wrong_node`` close that says when the owner's lease ends, comes back then
(``suite/protocol/wrong_node.py``); these clients do the same. ``retry_every`` (seconds)
instead retries at a fixed pause whatever the answer: the bench's clients before the hint
(0.1 s), kept to measure against.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from suite.protocol import Channel, MessageType, Role
from suite.protocol.wrong_node import lease_hint_of_reason, wrong_node_delay_s
from tests.support.chat_client import hello_frame
from tests.support.relay import RelayProcess

WAIT_S = 60.0
BACKOFF_FIRST_S = 0.5  # as ui/common/session_socket.js
BACKOFF_MAX_S = 15.0


@dataclass
class Target:
    """Where the clients go: a URL (the balancer or one node) and the nodes behind it."""

    url: str
    ws_url: str
    context: ssl.SSLContext | None
    nodes: list[RelayProcess]
    cluster: Any = None  # tests.support.cluster.Cluster behind the balancer, else None


@dataclass
class Side:
    role: Role
    token: str
    ws: ClientConnection | None = None
    node: str = ""
    last_id: int = 0
    seen: set[int] = field(default_factory=set)
    welcomed_at: float = 0.0  # time.time() of the last welcome
    tries: int = 0  # sockets opened (or tried) so far
    wrong_nodes: int = 0  # wrong_node closes so far
    wrong_node_at: list[float] = field(default_factory=list)  # time.time() of each


@dataclass
class Session:
    session_id: str
    agent: Side
    customer: Side


class Retry:
    """One round of tries of one socket: how long to wait after each failure."""

    def __init__(self, retry_every: float | None):
        self.retry_every = retry_every
        self.attempt = 0
        self.wrong_nodes = 0

    def pause_s(self, reason: str | None) -> float:
        if self.retry_every is not None:
            return self.retry_every
        ceiling = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**self.attempt)
        self.attempt += 1
        delay = ceiling / 2 + random.random() * ceiling / 2
        hint = lease_hint_of_reason(reason)
        if hint is None:
            return delay
        delay = wrong_node_delay_s(hint, self.wrong_nodes, delay, random.random())
        self.wrong_nodes += 1
        return delay


async def connect_side(
    target: Target, session: Session, side: Side, deadline: float,
    retry_every: float | None = None,
) -> None:  # fmt: skip
    """Open ``side``'s socket through ``target`` until a node welcomes it."""
    retry = Retry(retry_every)
    while time.monotonic() < deadline:
        side.tries += 1
        try:
            ws = await connect(
                f"{target.ws_url}?session={session.session_id}", ssl=target.context,
                open_timeout=WAIT_S, max_size=2**22,
            )  # fmt: skip
        except (OSError, TimeoutError, Exception):  # refused, or the balancer had no node
            await asyncio.sleep(retry.pause_s(None))
            continue
        reason = None
        try:
            await ws.send(hello_frame(side.role, session.session_id, side.token, Channel.CHAT,
                                      side.last_id))  # fmt: skip
            answer = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        except ConnectionClosed as closed:  # wrong_node while the dead owner's lease lives
            reason = closed.rcvd.reason if closed.rcvd else None
            answer = {}
        except Exception:
            answer = {}
        if answer.get("type") == MessageType.WELCOME:
            side.ws = ws
            side.welcomed_at = time.time()
            side.node = ws.response.headers.get("X-Relay-Node", "") if ws.response else ""
            for message in answer["missed"]:
                side.last_id = max(side.last_id, message["id"])
            return
        if reason is not None and reason.startswith("wrong_node"):
            side.wrong_nodes += 1
            side.wrong_node_at.append(time.time())
        await ws.close()
        await asyncio.sleep(retry.pause_s(reason))
    raise TimeoutError(f"no node welcomed session {session.session_id}")
