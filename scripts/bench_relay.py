#!/usr/bin/env python3
"""Load and throughput benchmark for one relay process on loopback.

Chat mode: N agent/customer pairs (one support session each, 2N websockets) each side sending one
`send_chat` per second; delivery latency is measured at the *other* side of the session (the
sender's own copy is its acknowledgement and is reported apart). Idle memory is the relay's RSS
once every socket has said hello and gone quiet, minus its RSS before the first socket, divided
by the number of sockets.

Binary mode: one presenter and one viewer on the screen channel of one session (docs/protocol.md,
"Screen channel"); the presenter sends 200 KB full-screen region frames (a valid 32-byte header,
random bytes for the image) with at most --binary-window frames unseen by the viewer, and the
viewer acknowledges each frame on arrival and counts the bytes. The relay's own window per
viewer is 512 KiB, so 2 frames of 200 KB is the default; frames it drops (latest wins) are
reported as not forwarded. It runs twice: against the relay as shipped (FastWebSocket) and
against a relay started with `--stock-websocket` (plain gevent-websocket), so the table shows
the speed-up.

Goals (2-core machine): 2,000 sessions with p99 <= 50 ms, <= 50 KB per idle websocket,
>= 50 MB/s of binary frames forwarded.

    .venv/bin/python scripts/bench_relay.py                    # 2,000 sessions, 30 s, all modes
    .venv/bin/python scripts/bench_relay.py --quick            # smoke run: 50 sessions, 3 s
    .venv/bin/python scripts/bench_relay.py --mode binary --relay-arg=--some-flag

The table goes to stdout, progress to stderr. Exits 1 if the relay could not be driven at all
(setup failed); missed goals are shown in the table, not in the exit code, unless --strict.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import platform
import resource
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

logger = logging.getLogger("bench_relay")

REPO_ROOT = Path(__file__).resolve().parents[1]
PROTOCOL_VERSION = 1
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 30.0
CONNECT_CONCURRENCY = 100
WELCOME_TIMEOUT_S = 30.0
IDLE_SETTLE_S = 2.0
DELIVERY_GRACE_S = 5.0
BINARY_FRAME_BYTES = 200_000
PING_PROBE_INTERVAL_S = 0.02
BINARY_STALL_S = 2.0
# The screen channel's region-frame header (docs/protocol.md, "Screen channel"): magic,
# version, kind, seq, capture_ms, x, y, w, h, screen_w, screen_h, encoding, flags, reserved.
SCREEN_HEADER = struct.Struct("<2sBBIdHHHHHHBBH")
SCREEN_W, SCREEN_H = 1920, 1080
SCREEN_KEY_FRAME = 0b10
SCREEN_JPEG = 1


def screen_frame(seq: int, body: bytes) -> bytes:
    """A full-screen region frame: the header, then `body` standing in for the JPEG."""
    header = SCREEN_HEADER.pack(
        b"RS",
        1,
        1,
        seq,
        time.time() * 1000,
        0,
        0,
        SCREEN_W,
        SCREEN_H,
        SCREEN_W,
        SCREEN_H,
        SCREEN_JPEG,
        SCREEN_KEY_FRAME,
        0,
    )
    return header + body


GOAL_P99_MS = 50.0
GOAL_KB_PER_IDLE_WEBSOCKET = 50.0
GOAL_BINARY_MB_S = 50.0

AGENT_USERNAME = "bench-agent"
AGENT_PASSWORD = "bench-password-1"


class BenchError(RuntimeError):
    """The relay could not be started or driven; the message says which step failed."""


# -- the relay process -----------------------------------------------------------------------


def run_relay_cli(*args: str) -> None:
    """Run `python -m relay_server ARGS` to completion.

    Raises:
        BenchError: it exited non-zero (the message holds its output).
    """
    command = [sys.executable, "-m", "relay_server", *args]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise BenchError(
            f"{shlex.join(command[1:])} exited with {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


def relay_help() -> str:
    """The relay's `--help` text ('' if it cannot be run)."""
    result = subprocess.run(
        [sys.executable, "-m", "relay_server", "--help"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout if result.returncode == 0 else ""


class Relay:
    """One relay subprocess on its own data directory, with the agent account created."""

    def __init__(self, work_dir: Path, name: str, extra_args: Sequence[str] = ()) -> None:
        self.data_dir = work_dir / f"{name}-data"
        self.log_path = work_dir / f"{name}.log"
        self.ready_file = work_dir / f"{name}-ready.json"
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.ws_url = ""
        self.ps: psutil.Process | None = None

    def start(self) -> None:
        """Create the agent, start the relay and wait for its ready file.

        Raises:
            BenchError: the relay exited or was not ready within READY_TIMEOUT_S.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        run_relay_cli(
            "users",
            "--data",
            str(self.data_dir),
            "add",
            AGENT_USERNAME,
            "--password",
            AGENT_PASSWORD,
            "--name",
            "Bench Agent",
        )
        command = [
            sys.executable,
            "-m",
            "relay_server",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(self.data_dir),
            "--ready-file",
            str(self.ready_file),
            *self.extra_args,
        ]
        logger.info("starting relay: %s", shlex.join(command[1:]))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise BenchError(
                    f"relay exited with {self.process.returncode} before it was ready\n"
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
                ready = json.loads(self.ready_file.read_text())
                if isinstance(ready, dict) and {"url", "port", "pid"} <= ready.keys():
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise BenchError(
                    f"relay not ready after {READY_TIMEOUT_S:.0f} s\n{self.log_tail()}"
                )
            time.sleep(0.05)  # the ready file is the relay's documented readiness signal
        self.url = str(ready["url"]).rstrip("/")
        self.ws_url = "ws" + self.url.removeprefix("http") + "/ws"
        self.ps = psutil.Process(int(ready["pid"]))
        logger.info("relay pid %d listening at %s", self.ps.pid, self.url)

    def rss(self) -> int:
        assert self.ps is not None
        return self.ps.memory_info().rss

    def cpu_seconds(self) -> float:
        assert self.ps is not None
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        """SIGTERM the relay, SIGKILL it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            logger.warning("relay still running %.0f s after SIGTERM: killing it", STOP_TIMEOUT_S)
            self.process.kill()
            self.process.wait()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no relay log)"
        return f"--- end of {self.log_path} ---\n{text[-chars:]}"


@contextlib.contextmanager
def profiled(relay: Relay, profile_dir: Path | None, name: str) -> Iterator[None]:
    """Record the relay with py-spy (collapsed stacks) while the block runs, if asked."""
    if profile_dir is None:
        yield
        return
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        raise BenchError(f"--profile needs py-spy: {sys.executable} -m pip install py-spy")
    assert relay.ps is not None
    profile_dir.mkdir(parents=True, exist_ok=True)
    out = profile_dir / f"{name}.txt"
    spy = subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(relay.ps.pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
        logger.info("py-spy profile of the relay: %s", out)


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy (all cores), and how many were softirq.

    Softirq time (loopback TCP is processed there) belongs to no process: it is the kernel
    doing the relay's and the clients' networking.
    """
    times = psutil.cpu_times()
    # guest time is already counted in user time on Linux
    not_busy = ("idle", "iowait", "guest", "guest_nice")
    busy = sum(times) - sum(getattr(times, name, 0.0) for name in not_busy)
    return busy, getattr(times, "softirq", 0.0)


# -- HTTP setup: login, supports, joins ------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One support session with both participants' credentials."""

    index: int
    session_id: str
    agent_token: str
    customer_token: str


class Api:
    """Keep-alive JSON calls to the relay; one HTTP connection per calling thread."""

    def __init__(self, base_url: str) -> None:
        host_port = base_url.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self._local = threading.local()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """Send one request and return the decoded JSON body.

        Raises:
            BenchError: any status other than 200/201.
        """
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):  # a kept-alive connection the server closed is retried once
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT_S)
                self._local.conn = conn
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        if response.status not in (200, 201):
            raise BenchError(f"{method} {path} answered {response.status}: {data[:500]!r}")
        return json.loads(data)

    def new_pair(self, index: int, agent_token: str) -> Pair:
        """Create one support session and join it as a customer."""
        support = self.call("POST", "/api/supports", token=agent_token)["support"]
        joined = self.call(
            "POST", "/api/join", {"code": support["code"], "name": f"Customer {index}"}
        )
        return Pair(index, joined["session_id"], agent_token, joined["customer_token"])


def create_pairs(relay: Relay, count: int) -> list[Pair]:
    """Log the bench agent in and create `count` joined support sessions."""
    api = Api(relay.url)
    token = api.call(
        "POST", "/api/login", {"username": AGENT_USERNAME, "password": AGENT_PASSWORD}
    )["token"]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        pairs = list(pool.map(lambda i: api.new_pair(i, token), range(count)))
    logger.info("created %d sessions in %.1f s", count, time.monotonic() - started)
    return pairs


# -- websocket participants -------------------------------------------------------------------


async def open_participant(
    ws_url: str, role: str, session_id: str, token: str, channel: str | None = None
) -> tuple[ClientConnection, dict[str, Any]]:
    """Connect, say hello and wait for `welcome`.

    Returns:
        The open connection and the welcome message.

    Raises:
        BenchError: the relay answered something else or closed the socket.
    """
    ws = await connect(
        ws_url,
        compression=None,
        proxy=None,
        ping_interval=None,
        max_size=2**21,
        open_timeout=WELCOME_TIMEOUT_S,
        max_queue=None,
    )
    hello: dict[str, Any] = {
        "type": "hello",
        "protocol_version": PROTOCOL_VERSION,
        "role": role,
        "session_id": session_id,
        "token": token,
    }
    if channel is not None:
        hello["channel"] = channel
    try:
        await ws.send(json.dumps(hello))
        while True:
            raw = await asyncio.wait_for(ws.recv(), WELCOME_TIMEOUT_S)
            if isinstance(raw, bytes):
                continue
            message = json.loads(raw)
            if message.get("type") == "welcome":
                return ws, message
            if message.get("type") == "error":
                raise BenchError(f"{role} hello answered with error: {message}")
    except ConnectionClosed as exc:
        raise BenchError(f"{role} hello: relay closed the socket ({exc})") from exc
    except BaseException:
        await ws.close()
        raise


def raise_nofile_limit() -> int:
    """Raise this process's open-file limit to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# -- chat mode: one worker process holds a share of the pairs ---------------------------------


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
    conn.send(("connected", results.connected, results.failed, results.first_error))

    command = await loop.run_in_executor(None, conn.recv)
    if command[0] != "go":
        return
    duration_s: float = command[1]

    # client_id -> (monotonic send time, sender role); both sides of a pair live in this process.
    in_flight: dict[str, tuple[float, str]] = {}
    cpu_start = time.process_time()
    start = loop.time() + 0.2
    start_monotonic = time.monotonic() + 0.2
    end = start + duration_s
    all_delivered = asyncio.Event()
    sending_done = False

    async def send_loop(side: ChatSide, phase: float) -> None:
        at = start + phase
        prefix = f"{side.pair.index}{side.role[0]}"
        while at < end:
            await asyncio.sleep(at - loop.time())
            client_id = f"{prefix}{side.sent}"
            message = {"type": "send_chat", "client_id": client_id, "text": f"bench {client_id}"}
            in_flight[client_id] = (time.monotonic(), side.role)
            try:
                await side.ws.send(json.dumps(message))
            except ConnectionClosed:
                results.closed_early += 1
                del in_flight[client_id]
                return
            side.sent += 1
            at += 1.0

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

    # Spread the sends evenly over each second, so the load is 2N messages/s, not bursts.
    count = max(len(sides), 1)
    senders = [
        asyncio.create_task(send_loop(side, ((i * 7919 + seed) % count) / count))
        for i, side in enumerate(sides)
    ]
    receivers = [asyncio.create_task(receive_loop(side)) for side in sides]
    if sides and seed == 0:
        senders.append(asyncio.create_task(probe_loop(sides[0].ws)))
    senders.append(asyncio.create_task(lag_loop()))
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


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (nan if empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run_chat(
    relay: Relay,
    sessions: int,
    duration_s: float,
    processes: int,
    profile_dir: Path | None = None,
) -> list[Row]:
    """Run chat mode on a started relay; return the table rows."""
    rss_start = relay.rss()
    pairs = create_pairs(relay, sessions)
    rss_before_ws = relay.rss()

    context = multiprocessing.get_context("spawn")
    workers = []
    for n in range(processes):
        parent_end, child_end = context.Pipe()
        share = pairs[n::processes]
        proc = context.Process(
            target=chat_worker, args=(child_end, relay.ws_url, share, n), daemon=True
        )
        proc.start()
        workers.append((proc, parent_end))
    try:
        started = time.monotonic()
        connected = failed = 0
        first_error = ""
        for _, pipe in workers:
            _, ok, bad, error = pipe.recv()
            connected, failed = connected + ok, failed + bad
            first_error = first_error or error
        logger.info(
            "%d websockets open (%d failed) in %.1f s",
            connected,
            failed,
            time.monotonic() - started,
        )
        if first_error:
            logger.warning("first connect failure: %s", first_error)
        if connected == 0:
            raise BenchError(f"no websocket could join: {first_error}\n{relay.log_tail()}")

        time.sleep(IDLE_SETTLE_S)  # let the relay finish the handshakes' work before measuring
        rss_idle = relay.rss()

        logger.info("chatting for %.0f s", duration_s)
        relay_cpu_start = relay.cpu_seconds()
        machine_busy_start = machine_busy_seconds()
        run_started = time.monotonic()
        with profiled(relay, profile_dir, "chat"):
            for _, pipe in workers:
                pipe.send(("go", duration_s))
            results: list[ChatResults] = [pipe.recv()[1] for _, pipe in workers]
        run_elapsed = time.monotonic() - run_started
        relay_cpu = relay.cpu_seconds() - relay_cpu_start
        machine_busy_end = machine_busy_seconds()
        machine_busy = machine_busy_end[0] - machine_busy_start[0]
        softirq = machine_busy_end[1] - machine_busy_start[1]
        rss_after = relay.rss()

        for _, pipe in workers:
            pipe.send(("close",))
        for proc, pipe in workers:
            if pipe.poll(30):
                pipe.recv()
            proc.join(10)
    finally:
        for proc, _ in workers:
            if proc.is_alive():
                proc.kill()

    delivered = [ms for r in results for ms in r.delivered_ms]
    acked = [ms for r in results for ms in r.acked_ms]
    pings = [ms for r in results for ms in r.ping_ms]
    client_lag = [ms for r in results for ms in r.loop_lag_ms]
    thirds: list[list[float]] = [[], [], []]
    for r in results:
        for ms, sent_s in zip(r.delivered_ms, r.delivered_sent_s, strict=True):
            thirds[min(2, max(0, int(3 * sent_s / duration_s)))].append(ms)
    sent = sum(r.sent for r in results)
    undelivered = sum(r.undelivered for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for code, n in r.errors.items():
            errors[code] = errors.get(code, 0) + n
    closed_early = sum(r.closed_early for r in results)
    client_cpu = sum(r.cpu_s for r in results)
    per_ws_kb = (rss_idle - rss_before_ws) / max(connected, 1) / 1024
    others_cores = max(0.0, machine_busy - softirq - relay_cpu - client_cpu) / run_elapsed
    p99 = percentile(delivered, 0.99)

    rows = [
        Row("chat", "sessions", f"{connected // 2}", f"of {sessions} asked"),
        Row("chat", "websockets open", f"{connected}", f"{failed} failed" if failed else ""),
        Row("chat", "messages/s sent", f"{sent / duration_s:.0f}", f"{sent} in {duration_s:.0f} s"),
        Row(
            "chat",
            "deliveries/s (other side)",
            f"{len(delivered) / duration_s:.0f}",
            f"{undelivered} not delivered {DELIVERY_GRACE_S:.0f} s after the end",
        ),
        Row("chat", "delivery p50 (ms)", f"{percentile(delivered, 0.50):.1f}"),
        Row(
            "chat",
            "delivery p99 (ms)",
            f"{p99:.1f}",
            goal=f"<= {GOAL_P99_MS:.0f}",
            ok=p99 <= GOAL_P99_MS and undelivered == 0,
        ),
        Row("chat", "delivery max (ms)", f"{max(delivered, default=float('nan')):.1f}"),
        Row(
            "chat",
            "delivery p99 by third of the run (ms)",
            " / ".join(f"{percentile(t, 0.99):.0f}" for t in thirds),
            "growth here means per-message cost grows with stored history",
        ),
        Row(
            "chat",
            "relay ping RTT p50 / p99 / max (ms)",
            " / ".join(f"{percentile(pings, q):.1f}" for q in (0.5, 0.99, 1.0)),
            "a pong skips the chat path: high = event loop blocked",
        ),
        Row(
            "chat",
            "bench client loop lag p99 / max (ms)",
            f"{percentile(client_lag, 0.99):.1f} / {max(client_lag, default=float('nan')):.1f}",
            "high = the bench, not the relay, is late",
        ),
        Row("chat", "sender ack p99 (ms)", f"{percentile(acked, 0.99):.1f}", "own copy back"),
        Row(
            "chat",
            "relay RSS start / idle / end (MB)",
            f"{rss_start / 2**20:.0f} / {rss_idle / 2**20:.0f} / {rss_after / 2**20:.0f}",
        ),
        Row(
            "chat",
            "relay RSS per idle websocket (KB)",
            f"{per_ws_kb:.1f}",
            f"(idle - before sockets) / {connected}",
            goal=f"<= {GOAL_KB_PER_IDLE_WEBSOCKET:.0f}",
            ok=per_ws_kb <= GOAL_KB_PER_IDLE_WEBSOCKET,
        ),
        Row(
            "chat",
            "relay CPU (% of one core)",
            f"{100 * relay_cpu / run_elapsed:.0f}",
            f"{1000 * relay_cpu / max(sent, 1):.3f} ms CPU per chat message",
        ),
        Row(
            "chat",
            "bench client CPU (% of one core)",
            f"{100 * client_cpu / run_elapsed:.0f}",
            f"{processes} process(es)",
        ),
        Row(
            "chat",
            "kernel softirq CPU (cores)",
            f"{softirq / run_elapsed:.2f}",
            "loopback TCP for relay and clients",
        ),
        Row(
            "chat",
            "other processes' CPU (cores)",
            f"{others_cores:.2f}",
            f"of {psutil.cpu_count()} (py-spy counts here); high = the relay was not alone",
        ),
    ]
    if errors:
        rows.append(
            Row(
                "chat", "relay error replies", json.dumps(errors), results[0].first_relay_error[:80]
            )
        )
    if closed_early:
        rows.append(Row("chat", "sockets closed during the run", f"{closed_early}"))
    return rows


# -- binary mode ---------------------------------------------------------------------------------


@dataclass
class BinaryResult:
    frames_sent: int
    frames_received: int
    bytes_received: int
    seconds: float
    stalls: int

    @property
    def mb_per_s(self) -> float:
        return self.bytes_received / self.seconds / 1e6 if self.seconds else 0.0


async def forward_binary(
    ws_url: str, pair: Pair, seconds: float, frame_bytes: int, window: int
) -> BinaryResult:
    """Send frames presenter -> relay -> viewer for `seconds` with <= `window` in flight.

    The viewer acknowledges every frame as soon as it arrives (`screen_ack`, no painting), so
    the relay's per-viewer window never holds it back; the presenter keeps at most `window`
    frames unseen by the viewer (both ends live in this process). Frames the relay drops
    (latest wins) are counted as not forwarded.
    """
    viewer, _ = await open_participant(
        ws_url, "customer", pair.session_id, pair.customer_token, channel="screen"
    )
    presenter, _ = await open_participant(
        ws_url, "agent", pair.session_id, pair.agent_token, channel="screen"
    )
    await presenter.send(
        json.dumps({"type": "present_start", "screen_w": SCREEN_W, "screen_h": SCREEN_H})
    )
    body = os.urandom(frame_bytes - SCREEN_HEADER.size)
    highest = 0
    received = received_bytes = 0
    last_arrival = 0.0
    progress = asyncio.Event()

    async def view() -> None:
        nonlocal highest, received, received_bytes, last_arrival
        with contextlib.suppress(ConnectionClosed):
            async for frame in viewer:
                if not isinstance(frame, bytes):
                    continue  # screen_state, cursor: not what is measured here
                last_arrival = time.monotonic()
                received += 1
                received_bytes += len(frame)
                seq = SCREEN_HEADER.unpack_from(frame)[3]
                highest = max(highest, seq)
                await viewer.send(json.dumps({"type": "screen_ack", "seq": seq}))
                progress.set()

    viewing = asyncio.create_task(view())
    sent = stalls = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            # Frames the relay dropped never arrive: count in-flight from the highest seen.
            while sent - highest >= window:
                progress.clear()
                try:
                    await asyncio.wait_for(progress.wait(), BINARY_STALL_S)
                except TimeoutError:
                    stalls += 1
                    highest = sent  # give up on what is in flight
            sent += 1
            await presenter.send(screen_frame(sent, body))
        deadline = time.monotonic() + BINARY_STALL_S
        while highest < sent and time.monotonic() < deadline:
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), deadline - time.monotonic())
    finally:
        viewing.cancel()
        await asyncio.gather(presenter.close(), viewer.close(), return_exceptions=True)
    return BinaryResult(sent, received, received_bytes, max(last_arrival - started, 1e-9), stalls)


def run_binary(
    relay: Relay, seconds: float, window: int, profile_dir: Path | None = None, name: str = ""
) -> BinaryResult:
    """Create one session on `relay` and forward binary frames through it."""
    pair = create_pairs(relay, 1)[0]
    logger.info("forwarding %d KB frames for %.0f s", BINARY_FRAME_BYTES // 1000, seconds)
    with profiled(relay, profile_dir, f"binary-{name}"):
        return asyncio.run(forward_binary(relay.ws_url, pair, seconds, BINARY_FRAME_BYTES, window))


def binary_rows(label: str, result: BinaryResult, goal: bool) -> list[Row]:
    lost = result.frames_sent - result.frames_received
    note = f"{result.frames_received} frames in {result.seconds:.1f} s"
    if lost:
        note += f", {lost} not forwarded"
    if result.stalls:
        note += f", {result.stalls} stalls"
    return [
        Row(
            "binary",
            f"forwarded MB/s, {label}",
            f"{result.mb_per_s:.1f}",
            note,
            goal=f">= {GOAL_BINARY_MB_S:.0f}" if goal else "",
            ok=result.mb_per_s >= GOAL_BINARY_MB_S if goal else None,
        ),
        Row("binary", f"frames/s, {label}", f"{result.frames_received / result.seconds:.0f}"),
    ]


# -- the table -----------------------------------------------------------------------------------


@dataclass
class Row:
    mode: str
    metric: str
    value: str
    note: str = ""
    goal: str = ""
    ok: bool | None = None


def render(rows: Sequence[Row]) -> str:
    """A plain fixed-width table."""
    header = ("mode", "metric", "value", "goal", "met", "note")
    cells = [header] + [
        (r.mode, r.metric, r.value, r.goal, {True: "yes", False: "NO", None: ""}[r.ok], r.note)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                [
                    cell.ljust(width) if i != 2 else cell.rjust(width)
                    for i, (cell, width) in enumerate(zip(row, widths, strict=False))
                ]
                + [row[-1]]
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000, help="agent/customer pairs")
    parser.add_argument("--duration", type=float, default=30.0, help="chat seconds")
    parser.add_argument("--binary-seconds", type=float, default=10.0, help="per binary run")
    parser.add_argument("--binary-window", type=int, default=2, help="frames in flight")
    parser.add_argument("--mode", choices=("chat", "binary", "all"), default="all")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        help="chat client processes (the relay and the clients share the machine's cores)",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the stock gevent-websocket binary run"
    )
    parser.add_argument(
        "--relay-arg",
        action="append",
        default=[],
        help="extra argument for the relay (repeat for several)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 50 sessions, 3 s chat, 2 s per binary run"
    )
    parser.add_argument("--strict", action="store_true", help="exit 2 when a goal is missed")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record the relay with py-spy during each run (collapsed stacks in DIR)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.duration, args.binary_seconds = 50, 3.0, 2.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    nofile = raise_nofile_limit()
    if args.mode in ("chat", "all") and nofile < 2 * args.sessions + 100:
        logger.warning("open-file limit %d is too low for %d sockets", nofile, 2 * args.sessions)

    rows: list[Row] = []
    work_dir = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    try:
        with relay_running(work_dir, "relay", args.relay_arg) as relay:
            if args.mode in ("chat", "all"):
                rows += run_chat(
                    relay, args.sessions, args.duration, args.client_processes, args.profile
                )
            if args.mode in ("binary", "all"):
                fast = run_binary(
                    relay, args.binary_seconds, args.binary_window, args.profile, "fast"
                )
                rows += binary_rows("FastWebSocket", fast, goal=True)
        if args.mode in ("binary", "all") and not args.no_baseline:
            if "--stock-websocket" in relay_help():
                with relay_running(work_dir, "stock", [*args.relay_arg, "--stock-websocket"]) as r:
                    stock = run_binary(
                        r, args.binary_seconds, args.binary_window, args.profile, "stock"
                    )
                rows += binary_rows("stock gevent-websocket", stock, goal=False)
                ratio = f"{fast.mb_per_s / stock.mb_per_s:.1f}x" if stock.mb_per_s else "n/a"
                rows.append(Row("binary", "speed-up FastWebSocket / stock", ratio))
            else:
                rows.append(
                    Row(
                        "binary",
                        "stock gevent-websocket",
                        "n/a",
                        "the relay has no --stock-websocket flag",
                    )
                )
    except BenchError as exc:
        logger.error("benchmark failed: %s", exc)
        logger.error("work directory kept: %s", work_dir)
        return 1
    if not args.keep:
        subprocess.run(["rm", "-rf", str(work_dir)], check=False)

    cpus = psutil.cpu_count()
    print(
        f"relay benchmark: {args.sessions} sessions asked, {args.duration:.0f} s chat, "
        f"{BINARY_FRAME_BYTES // 1000} KB binary frames x {args.binary_window} in flight; "
        f"{cpus} CPUs, Python {platform.python_version()}"
    )
    print(render(rows))
    missed = [r for r in rows if r.ok is False]
    return 2 if args.strict and missed else 0


@contextlib.contextmanager
def relay_running(work_dir: Path, name: str, extra_args: Sequence[str]) -> Iterator[Relay]:
    relay = Relay(work_dir, name, extra_args)
    try:
        relay.start()
        yield relay
    finally:
        relay.stop()


if __name__ == "__main__":
    sys.exit(main())
