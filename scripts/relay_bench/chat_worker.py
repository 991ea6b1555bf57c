"""Chat mode's worker process: it holds a share of the pairs, chats and measures what arrives.

``chat_worker`` is the target of a spawned ``multiprocessing`` child, so it lives in this
importable module; ``ChatResults`` is what the child sends back through its pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import multiprocessing.connection
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from scripts.relay_bench.http_setup import Pair
from scripts.relay_bench.participants import open_participant, raise_nofile_limit

CONNECT_CONCURRENCY = 100
DELIVERY_GRACE_S = 5.0
PING_PROBE_INTERVAL_S = 0.02
START_LEAD_S = 0.3  # from the senders' creation to the first scheduled send
# One chat message as the relay reads it, with its client_id twice (id and text): a format
# string instead of a dict through json.dumps per send (the ids are plain ASCII).
SEND_CHAT = '{"type": "send_chat", "client_id": "%s", "text": "bench %s"}'


@dataclass
class ChatSide:
    """One participant's socket and what it counted."""

    pair: Pair
    role: str
    ws: ClientConnection
    sent: int = 0


@dataclass
class ChatResults:
    """What one worker measured (lists of milliseconds)."""

    connected: int = 0
    failed: int = 0
    first_error: str = ""
    sent: int = 0
    delivered_ms: list[float] = field(default_factory=list)
    delivered_sent_s: list[float] = field(default_factory=list)  # when each was sent, from start
    acked_ms: list[float] = field(default_factory=list)
    undelivered: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first_relay_error: str = ""
    closed_early: int = 0
    cpu_s: float = 0.0
    ping_ms: list[float] = field(default_factory=list)
    loop_lag_ms: list[float] = field(default_factory=list)
    send_late_ms: list[float] = field(default_factory=list)  # actual send - its scheduled time


def _freeze_what_lives() -> None:
    """Move this worker's long-lived objects (its sockets, their tasks, the senders) out of
    the cyclic collector's reach: otherwise its older passes scan all of them while the
    schedule runs, and every send due meanwhile goes out late (the "bench send lateness" row;
    at 9,950 sessions, 347 ms max at the start of a quiet run)."""
    gc.collect()
    gc.freeze()


def chat_worker(
    conn: multiprocessing.connection.Connection, ws_url: str, pairs: list[Pair], seed: int
) -> None:
    """Process entry point: connect `pairs`, report, run on "go", report, close on "close"."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker: %(message)s")
    raise_nofile_limit()
    asyncio.run(_chat_worker(conn, ws_url, pairs, seed))


async def _chat_worker(
    conn: multiprocessing.connection.Connection, ws_url: str, pairs: list[Pair], seed: int
) -> None:
    loop = asyncio.get_running_loop()
    results = ChatResults()
    sides: list[ChatSide] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def join(pair: Pair, role: str) -> None:
        token = pair.agent_token if role == "agent" else pair.customer_token
        async with gate:
            try:
                ws, _ = await open_participant(ws_url, role, pair.session_id, token)
            except Exception as exc:  # counted and reported, the run goes on with the rest
                results.failed += 1
                results.first_error = results.first_error or f"{type(exc).__name__}: {exc}"
                return
        sides.append(ChatSide(pair, role, ws))

    await asyncio.gather(*(join(p, r) for p in pairs for r in ("agent", "customer")))
    results.connected = len(sides)

    # client_id -> (monotonic send time, sender role); both sides of a pair live in this process.
    in_flight: dict[str, tuple[float, str]] = {}
    start = end = float("inf")  # set on "go"; the receivers run before it
    start_monotonic = 0.0
    all_delivered = asyncio.Event()
    sending_done = False

    async def receive_loop(side: ChatSide) -> None:
        try:
            async for raw in side.ws:
                now = time.monotonic()
                if isinstance(raw, bytes):
                    continue
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "chat_message":
                    sent = in_flight.get(message.get("client_id", ""))
                    if sent is None:
                        continue
                    sent_at, sender_role = sent
                    if sender_role == side.role:
                        results.acked_ms.append((now - sent_at) * 1000)
                    else:
                        results.delivered_ms.append((now - sent_at) * 1000)
                        results.delivered_sent_s.append(sent_at - start_monotonic)
                        del in_flight[message["client_id"]]
                        if sending_done and not in_flight:
                            all_delivered.set()
                elif kind == "error":
                    code = str(message.get("code"))
                    results.errors[code] = results.errors.get(code, 0) + 1
                    results.first_relay_error = results.first_relay_error or json.dumps(message)
        except ConnectionClosed:
            pass
        if loop.time() < end:
            results.closed_early += 1

    # The receivers run from here on, so each socket's frames of the joins (welcome,
    # participant_joined, ...) are read while the relay settles. Read on "go", with the
    # schedule's start fixed before the tasks were made, they held the first sends back: at
    # 9,950 sessions ~1,600 of them (~0.8 s of the schedule) reached the relay as one burst,
    # the first third's p99 of ~500 ms (docs/performance.md, "Quiet machine").
    receivers = [asyncio.create_task(receive_loop(side)) for side in sides]
    _freeze_what_lives()
    conn.send(("connected", results.connected, results.failed, results.first_error))

    command = await loop.run_in_executor(None, conn.recv)
    if command[0] != "go":
        return
    duration_s: float = command[1]
    interval_s: float = command[2]  # each side sends one message per interval_s
    cpu_start = time.process_time()

    async def send_loop(side: ChatSide, phase: float) -> None:
        at = start + phase
        prefix = f"{side.pair.index}{side.role[0]}"
        while at < end:
            await asyncio.sleep(at - loop.time())
            results.send_late_ms.append(max(0.0, loop.time() - at) * 1000)
            client_id = f"{prefix}{side.sent}"
            in_flight[client_id] = (time.monotonic(), side.role)
            try:
                await side.ws.send(SEND_CHAT % (client_id, client_id))
            except ConnectionClosed:
                results.closed_early += 1
                del in_flight[client_id]
                return
            side.sent += 1
            at += interval_s

    async def probe_loop(ws: ClientConnection) -> None:
        # A pong is written by the socket's reader greenlet, without the chat path: its delay
        # is how long the relay's event loop takes to get round to a socket.
        while loop.time() < end:
            sent = time.monotonic()
            try:
                pong = await ws.ping()
                await pong
            except ConnectionClosed:
                return
            results.ping_ms.append((time.monotonic() - sent) * 1000)
            await asyncio.sleep(PING_PROBE_INTERVAL_S)

    async def lag_loop() -> None:
        # How late this client's own event loop wakes up: if this is high, the latencies
        # measured here are the bench's, not the relay's (use --client-processes 2).
        while loop.time() < end:
            due = loop.time() + PING_PROBE_INTERVAL_S
            await asyncio.sleep(PING_PROBE_INTERVAL_S)
            results.loop_lag_ms.append(max(0.0, loop.time() - due) * 1000)

    # Spread the sends evenly over each interval, so the load is 2N/interval messages/s, not
    # bursts.
    # The tasks are made in the order of their phase: each takes its first step in that order,
    # so the earliest sends are scheduled first instead of waiting behind 10,000 first steps.
    count = max(len(sides), 1)
    phases = sorted(
        (interval_s * ((i * 7919 + seed) % count) / count, i) for i in range(len(sides))
    )
    senders = [asyncio.create_task(send_loop(sides[i], phase)) for phase, i in phases]
    if sides and seed == 0:
        senders.append(asyncio.create_task(probe_loop(sides[0].ws)))
    senders.append(asyncio.create_task(lag_loop()))
    _freeze_what_lives()  # the 10,000 sender tasks too
    # The schedule starts once the tasks exist (their first steps run after this, before it):
    # 10,000 task creations take tens of milliseconds.
    start = loop.time() + START_LEAD_S
    start_monotonic = time.monotonic() + START_LEAD_S
    end = start + duration_s
    await asyncio.gather(*senders)
    sending_done = True
    if in_flight:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_delivered.wait(), DELIVERY_GRACE_S)
    results.sent = sum(side.sent for side in sides)
    results.undelivered = len(in_flight)
    results.cpu_s = time.process_time() - cpu_start
    conn.send(("done", results))

    await loop.run_in_executor(None, conn.recv)  # "close"
    for task in receivers:
        task.cancel()
    await asyncio.gather(*(side.ws.close() for side in sides), return_exceptions=True)
    conn.send(("closed",))
