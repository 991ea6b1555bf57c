"""Slow and greedy HTTP clients against a real relay.

Clients that trickle headers or bodies, or stay idle after a response, are cut off by the
relay's header, body and keep-alive timeouts; one address holds at most a capped number of
connections; websockets are not timed out.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api, post_json_from
from tests.support.chat_client import ChatClient, open_socket
from tests.support.conversation import start_conversation
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent
from tests.support.waiting import wait_until

SHORT_TIMEOUT_S = 2.0
TIMEOUT_FLAGS = (
    "--header-timeout",
    str(SHORT_TIMEOUT_S),
    "--body-timeout",
    str(SHORT_TIMEOUT_S),
    "--keepalive-timeout",
    str(SHORT_TIMEOUT_S),
)
DESCRIPTOR_LIMIT = 256
SLOW_CONNECTIONS = 330
TRICKLE_EVERY_S = 0.5


def _address(relay: RelayProcess) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(relay.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _slow_openings(kind: int) -> bytes:
    """What a slow client of each kind sends first."""
    if kind == 0:  # headers that never end
        return b"GET /health HTTP/1.1\r\nHost: relay\r\n"
    if kind == 1:  # a body that never ends
        return (
            b"POST /api/join HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n{"
        )
    return b"GET /health HTTP/1.1\r\nHost: relay\r\n\r\n"  # one request, then idle


class SlowClients:
    """Many slow connections from many loopback addresses, each trickling one byte now and
    then (idle ones send nothing), until :meth:`stop`."""

    def __init__(self, address: tuple[str, int], count: int):
        self.sockets: list[tuple[int, socket.socket]] = []
        for n in range(count):
            source = f"127.3.{n // 200}.{n % 200 + 1}"
            sock = socket.socket()
            sock.settimeout(0.5)
            try:
                sock.bind((source, 0))
                sock.connect(address)  # completes once the kernel queues it, accepted or not
                sock.sendall(_slow_openings(n % 3))
            except OSError:
                sock.close()
                continue
            self.sockets.append((n % 3, sock))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(TRICKLE_EVERY_S):
            for kind, sock in self.sockets:
                if kind == 2:
                    continue
                try:
                    sock.send(b"X-Slow: 1\r\n" if kind == 0 else b" ")
                except OSError:
                    pass  # closed by the relay (or not accepted yet and the buffer is full)

    def closed_by_relay(self) -> int:
        """How many of the connections the relay has closed (EOF or reset) so far."""
        closed = 0
        for _, sock in self.sockets:
            sock.setblocking(False)
            try:
                while True:
                    data = sock.recv(65536)
                    if not data:
                        closed += 1
                        break
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        return closed

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for _, sock in self.sockets:
            sock.close()


@pytest.fixture
def limited_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    """A relay whose descriptor limit is 256 (soft and hard: it cannot raise it), short timeouts."""
    work_dir = tmp_path_factory.mktemp("relay")
    data_dir = work_dir / "data"
    data_dir.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data_dir, agent)
    program = [
        "prlimit",
        f"--nofile={DESCRIPTOR_LIMIT}:{DESCRIPTOR_LIMIT}",
        sys.executable,
        "-m",
        "relay_server",
    ]
    relay = RelayProcess(data_dir, work_dir, TIMEOUT_FLAGS, program=program)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


def test_more_slow_connections_than_descriptors_do_not_keep_customers_out(limited_relay):
    """With 330 slow connections held at a descriptor limit of 256, a new customer still joins
    and chats with the agent (whose idle websocket outlives every HTTP timeout)."""
    relay = limited_relay
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    agent = ChatClient(relay.ws_url, "agent", support["session_id"], token)
    assert agent.connect()["type"] == "welcome"

    slow = SlowClients(_address(relay), SLOW_CONNECTIONS)
    try:
        assert len(slow.sockets) > DESCRIPTOR_LIMIT, len(slow.sockets)
        started = time.monotonic()
        status, joined = post_json_from(
            relay.url,
            "/api/join",
            {"code": support["code"], "name": "Kim Customer"},
            "127.0.0.1",
            timeout_s=30,
        )
        assert status == 200, joined
        customer = ChatClient(
            relay.ws_url, "customer", support["session_id"], joined["customer_token"]
        )
        assert customer.connect()["type"] == "welcome"
        customer.chat("still here?", "c-1")
        assert agent.recv_type("chat_message", timeout=15)["text"] == "still here?"
        agent.chat("yes", "a-1")
        assert customer.recv_type("chat_message", timeout=15)["text"] == "still here?"  # echo
        assert customer.recv_type("chat_message", timeout=15)["text"] == "yes"
        took = time.monotonic() - started
        assert took < 10 * SHORT_TIMEOUT_S, f"the customer got through only after {took:.1f} s"
        customer.close()
        # Every slow connection that was accepted is closed by its timeout, not kept.
        wait_until(
            lambda: slow.closed_by_relay() == len(slow.sockets),
            "the relay to close every slow connection", 10 * SHORT_TIMEOUT_S, 0.2,
            detail=lambda: f"{slow.closed_by_relay()} of {len(slow.sockets)} closed",
        )  # fmt: skip
    finally:
        slow.stop()
        agent.close()
    log = relay.log_text()
    assert "open descriptor limit: 256 (soft), 256 (hard)" in log
    assert "Traceback" not in log, "every failed accept printed a traceback"


def _http_connection(address: tuple[str, int], source: str) -> socket.socket:
    sock = socket.create_connection(address, timeout=5, source_address=(source, 0))
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: relay\r\n\r\n")
    return sock


def _read_status(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0


def test_one_address_holds_at_most_the_capped_number_of_connections(relay_factory):
    """The fourth connection from an address capped at three is answered 503; other addresses
    are not affected, and a slot freed by a close is usable again."""
    relay = relay_factory("--max-connections-per-address", "3")
    address = _address(relay)
    held = [_http_connection(address, "127.4.0.1") for _ in range(3)]
    assert [_read_status(sock) for sock in held] == [200, 200, 200]
    extra = _http_connection(address, "127.4.0.1")
    answer = b""
    while chunk := extra.recv(4096):  # the relay closes after its answer
        answer += chunk
    extra.close()
    assert answer.startswith(b"HTTP/1.1 503 ") and b'"too_many_connections"' in answer, answer
    other = _http_connection(address, "127.4.0.2")
    assert _read_status(other) == 200
    other.close()
    held.pop().close()

    def served() -> bool:  # the relay sees the close at once; poll until its slot is back
        again = _http_connection(address, "127.4.0.1")
        status = _read_status(again)
        again.close()
        return status == 200

    wait_until(served, "the address's connection slot to come back", 10, 0.02)
    for sock in held:
        sock.close()


def test_trickled_headers_are_cut_off_at_the_header_timeout(relay_factory):
    """A client sending a header line every half second is closed after the header timeout,
    though it is never idle for long."""
    relay = relay_factory(*TIMEOUT_FLAGS)
    sock = socket.create_connection(_address(relay), timeout=10 * SHORT_TIMEOUT_S)
    started = time.monotonic()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: relay\r\n")
    sock.settimeout(TRICKLE_EVERY_S)
    closed_after = None
    while time.monotonic() - started < 10 * SHORT_TIMEOUT_S:
        try:
            sock.sendall(b"X-Slow: 1\r\n")
            if sock.recv(4096) == b"":
                closed_after = time.monotonic() - started
                break
        except TimeoutError:
            continue
        except OSError:
            closed_after = time.monotonic() - started
            break
    sock.close()
    assert closed_after is not None, "the trickling client was never cut off"
    assert SHORT_TIMEOUT_S * 0.9 <= closed_after < SHORT_TIMEOUT_S + 3, closed_after
    # The relay still answers others, and a conversation still works.
    talk = start_conversation(relay)
    talk.customer.chat("hello", "c-1")
    assert talk.agent.recv_type("chat_message")["text"] == "hello"


def _seconds_until_closed(sock: socket.socket, limit_s: float) -> float | None:
    """How long until the relay closes ``sock`` (None: still open after ``limit_s``)."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return None
    except OSError:
        pass
    return time.monotonic() - started


def test_a_trickled_body_is_answered_408_and_cut_off(relay_factory):
    """A JSON body sent a byte every half second is answered 408 request_timeout and the
    connection closed, though no read ever waits the whole body timeout."""
    relay = relay_factory(*TIMEOUT_FLAGS)
    sock = socket.create_connection(_address(relay), timeout=10)
    sock.sendall(
        b"POST /api/join HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    answer = b""
    started = time.monotonic()
    sock.settimeout(TRICKLE_EVERY_S)
    while time.monotonic() - started < 10 * SHORT_TIMEOUT_S:
        try:
            sock.sendall(b" ")
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        answer += chunk
    took = time.monotonic() - started
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b'"request_timeout"' in answer and b"Connection: close" in answer
    assert took < SHORT_TIMEOUT_S + 4, took


def test_an_idle_keep_alive_connection_is_closed_at_the_keepalive_timeout(relay_factory):
    """After its answer, a kept-alive connection that sends nothing more is closed after the
    keep-alive timeout; one that asks again in time is served."""
    relay = relay_factory(*TIMEOUT_FLAGS)
    host, port = _address(relay)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    for _ in range(2):  # the second request reuses the connection: in time, served
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    assert connection.sock is not None
    closed_after = _seconds_until_closed(connection.sock, 10 * SHORT_TIMEOUT_S)
    connection.close()
    assert closed_after is not None, "the idle connection was kept"
    assert SHORT_TIMEOUT_S * 0.8 <= closed_after < SHORT_TIMEOUT_S + 3, closed_after


def test_websockets_give_their_connection_slot_back(relay_factory):
    """An address capped at three connections holds five websockets (an office behind one NAT)
    and still gets HTTP answers: the cap counts connections in their HTTP phase only."""
    relay = relay_factory("--max-connections-per-address", "3")
    sockets = [open_socket(relay.ws_url) for _ in range(5)]
    try:
        probe = _http_connection(_address(relay), "127.0.0.1")
        assert _read_status(probe) == 200
        probe.close()
    finally:
        for websocket in sockets:
            websocket.close()


BURST = 600  # a killed node's clients reconnecting to one survivor at once
SOMAXCONN = Path("/proc/sys/net/core/somaxconn")


def _kernel_queue_cap() -> int:
    """The kernel's cap on a listening socket's queue (``net.core.somaxconn``)."""
    try:
        return int(SOMAXCONN.read_text().strip())
    except (OSError, ValueError):
        return 4096  # not Linux, or unreadable: the relay's own value stands


def test_a_burst_of_connections_while_the_relay_is_busy_waits_in_the_listening_queue(relay):
    """A killed node's clients come back to a survivor within a few hundred milliseconds,
    while its loop is busy taking their sessions over: the kernel holds their handshakes in
    the listening socket's queue until the relay accepts them. Here the relay is stopped
    (SIGSTOP) while 600 connections open: each completes at once (a full queue drops the SYN
    and the client waits a second or more); the relay serves again once it runs."""
    cap = _kernel_queue_cap()
    if cap <= 128:
        pytest.skip(f"this kernel caps a listening queue at {cap} (net.core.somaxconn): "
                    "no larger queue to show")  # fmt: skip
    burst = min(BURST, cap - 8)  # the kernel's cap, not the relay's, bounds it here
    address = _address(relay)
    opened: list[socket.socket] = []
    late = []
    os.kill(relay.pid, signal.SIGSTOP)
    try:
        for n in range(burst):
            started = time.monotonic()
            try:
                opened.append(socket.create_connection(address, timeout=0.9))
            except TimeoutError:  # its SYN was dropped: the queue was full
                late.append(n)
                break
            if time.monotonic() - started > 0.5:
                late.append(n)
    finally:
        os.kill(relay.pid, signal.SIGCONT)
        for connection in opened:
            connection.close()
    assert late == [], f"connections {late[:5]}... waited for the queue (of {burst})"

    def answers() -> bool:  # (503 while the burst's closed connections still hold slots)
        probe = _http_connection(address, "127.0.0.1")
        try:
            return _read_status(probe) == 200
        finally:
            probe.close()

    wait_until(answers, "the relay answers again after the burst", timeout_s=20)
