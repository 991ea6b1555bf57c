"""gevent's HTTP server with deadlines on every read and a cap on connections per address.

gevent's ``WSGIHandler`` reads a request with no timeout at all, so a client that trickles its
headers, trickles a body, or stays idle after a response holds its socket (and a descriptor)
for good: a few hundred of them refused every new customer. Here every
read of an HTTP request has a deadline, in the manner of Apache's ``mod_reqtimeout``:

- **request line and headers**: all of them within ``header_timeout_s`` of the first byte;
- **body**: no read waits longer than ``body_timeout_s``, and the whole body must arrive at
  ``MIN_BODY_BYTES_PER_S`` or faster after a grace of ``body_timeout_s`` (a 2 GB upload at a
  normal speed is fine; one byte every few seconds is not);
- **keep-alive**: the next request must start within ``keepalive_timeout_s`` of the last
  response;
- **responses**: a send that makes no progress for ``body_timeout_s`` ends the connection.

An upgraded websocket has none of these: it lives as long as its session and has its own
liveness (pings, idle closes in ``ws_endpoint``). A connection that runs out of time is closed
without an answer (408 when the application was already reading its body).

Each peer address may hold ``max_per_address`` connections in their HTTP phase at once; one
more is answered 503 (plain HTTP) or closed (TLS) at once, and counted. An upgraded websocket
gives its slot back (agents behind one office NAT hold many long-lived sockets; a websocket
is bounded by its hello deadline and then by its session).

The listening socket's queue holds :data:`LISTEN_BACKLOG` connections the loop has not
accepted yet (gevent's default is 128; the kernel caps it at ``net.core.somaxconn``). A killed
node's clients come back to the survivors within a few hundred milliseconds (their
``wrong_node`` answers said when), as do a restarted relay's: hundreds of connections at once
while the loop is busy taking their sessions over. A full queue drops a connection's SYN, and
the client's kernel tries again only after a second (then 3, 7 s...); behind HAProxy a
connection that times out marks the node down.
"""

from __future__ import annotations

import errno
import io
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

from gevent.pywsgi import WSGIServer

from relay_server.web.connection_limits import (
    MIN_BODY_BYTES_PER_S,
    AddressSlots,
    ConnectionLimits,
    RequestTimedOut,
)

logger = logging.getLogger(__name__)

REFUSAL_SEND_TIMEOUT_S = 1.0
_OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_BUSY_BODY = (
    b'{"error": {"code": "too_many_connections", '
    b'"message": "too many connections from this address; try again soon"}}'
)
_BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\nRetry-After: 5\r\nContent-Length: %d\r\n\r\n%s"
    % (len(_BUSY_BODY), _BUSY_BODY)
)


class DeadlineReader(io.RawIOBase):
    """The socket's reading side, where every read keeps to the current phase's deadline.

    Args:
        sock: the connection (gevent socket, plain or TLS).
        write_timeout_s: the socket timeout left in place between reads, which bounds sends.
    """

    def __init__(self, sock: Any, write_timeout_s: float | None):
        super().__init__()
        self._sock = sock
        self._write_timeout_s = write_timeout_s
        self._deadline: float | None = None
        self._idle_s: float | None = None
        self._min_rate = 0.0
        self._what = ""

    def expect(
        self, what: str, within_s: float, idle_s: float | None = None, min_rate: float = 0.0
    ) -> None:
        """Start a phase: ``what`` must arrive within ``within_s`` (extended by ``min_rate``)."""
        self._what = what
        self._deadline = time.monotonic() + within_s
        self._idle_s = idle_s
        self._min_rate = min_rate

    def unlimited(self) -> None:
        """No deadline from now on (an upgraded websocket); sends may block too."""
        self._deadline = self._idle_s = None
        self._write_timeout_s = None
        self._sock.settimeout(None)

    def expire(self) -> None:
        """Fail every later read at once (after a timeout, the rest of the request is junk)."""
        self._deadline = 0.0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        timeout = self._idle_s
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise RequestTimedOut(f"{self._what} not received in time")
            timeout = left if timeout is None else min(timeout, left)
        self._sock.settimeout(timeout)
        try:
            count = self._sock.recv_into(buffer)
        except TimeoutError:
            self.expire()
            raise RequestTimedOut(f"{self._what} not received in time") from None
        finally:
            self._sock.settimeout(self._write_timeout_s)
        if self._min_rate and self._deadline is not None:
            self._deadline += count / self._min_rate
        return count


READ_BUFFER_BYTES = 2048


class TimedConnectionMixin:
    """Mixed into the relay's websocket handler class (see :func:`timed_handler_class`)."""

    server: Any
    socket: Any
    rfile: Any
    environ: dict
    client_address: Any

    def handle(self) -> None:
        limits: ConnectionLimits = self.server.limits
        self._reader = DeadlineReader(self.socket, write_timeout_s=limits.body_timeout_s)
        self.rfile.close()  # the handler's own unbuffered-deadline reader; ours replaces it
        # 2 KiB, not io's 8 KiB: a request head or a chat frame fits, larger reads (file
        # bodies, screen frames) bypass the buffer anyway, and an idle websocket keeps it for
        # hours (20,000 of them: 120 MB less; docs/performance.md).
        self.rfile = io.BufferedReader(self._reader, buffer_size=READ_BUFFER_BYTES)
        self._requests_done = 0
        super().handle()  # type: ignore[misc]

    def read_requestline(self) -> str:
        limits: ConnectionLimits = self.server.limits
        if self._requests_done:
            self._reader.expect("the next request", limits.keepalive_timeout_s)
            if not self.rfile.peek(1):
                return ""  # closed by the client
        self._reader.expect("the request line and headers", limits.header_timeout_s)
        return super().read_requestline()  # type: ignore[misc]

    def read_request(self, raw_requestline: str) -> bool:
        limits: ConnectionLimits = self.server.limits
        result = super().read_request(raw_requestline)  # type: ignore[misc]
        self._reader.expect(
            "the request body",
            limits.body_timeout_s,
            idle_s=limits.body_timeout_s,
            min_rate=MIN_BODY_BYTES_PER_S,
        )
        return result

    def handle_one_response(self) -> None:
        try:
            super().handle_one_response()  # type: ignore[misc]
        finally:
            self._requests_done += 1
            # Bottle caches its views of a request (headers, query, forms) in the environ
            # they refer to: a cycle of four objects per request that only the collector
            # frees, and one in flight at a middle pass is frozen with it until a full pass
            # (web/gc_policy.py). The response is written: emptied, they go by refcount.
            if self.environ is not None:
                self.environ.clear()

    def start_response(self, status: str, headers: list, exc_info: Any = None) -> Any:
        # Every answer, a websocket's 101 included, names this node behind a balancer
        # (``--node-name``): the operator sees where a client landed.
        extra = getattr(self.server, "response_headers", None)
        if extra:
            headers = [*headers, *extra]
        upgrade_headers = getattr(self.server, "upgrade_headers", None)
        if upgrade_headers is not None and status.startswith("101"):
            headers = [*headers, *upgrade_headers(self.environ)]
        return super().start_response(status, headers, exc_info)  # type: ignore[misc]

    def upgrade_connection(self) -> Any:
        result = super().upgrade_connection()  # type: ignore[misc]
        if self.environ.get("wsgi.websocket") is not None:
            self._reader.unlimited()  # a websocket lives as long as its session
            # Its slot goes back: the cap bounds connections still in their HTTP phase (where
            # a slow client can hold one); a websocket must send its hello within
            # ws_endpoint.HELLO_TIMEOUT_S and is then bound to a session, which bounds it.
            self.server.release_slot(self.socket, self.client_address)
        return result

    def _handle_client_error(self, ex: BaseException) -> Any:
        if isinstance(ex, OSError):  # timed out or went away while sending headers
            logger.debug("closing a connection: %s", ex)
            return None
        return super()._handle_client_error(ex)  # type: ignore[misc]


def timed_handler_class(base: type) -> type:
    """``base`` (a gevent-websocket handler class) with the read deadlines above."""
    return type(f"Timed{base.__name__}", (TimedConnectionMixin, base), {})


LISTEN_BACKLOG = 4096


class LimitedWSGIServer(WSGIServer):
    """gevent's ``WSGIServer`` that caps connections per peer address and bounds handshakes.

    Args:
        limits: the timeouts (read by the handler through ``server.limits``) and the cap.
        response_headers: headers added to every response (``X-Relay-Node``).
        Others as for ``WSGIServer``.
    """

    def __init__(
        self,
        *args: Any,
        limits: ConnectionLimits,
        response_headers: tuple[tuple[str, str], ...] = (),
        **kwargs: Any,
    ):
        kwargs.setdefault("backlog", LISTEN_BACKLOG)
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.response_headers = list(response_headers)  # added to every response
        # More headers for a websocket's 101, from its request (the session's affinity): set
        # by the server that knows the relay; None adds nothing.
        self.upgrade_headers: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None
        self.slots = AddressSlots(limits.max_per_address)
        self._last_refusal_log = 0.0
        self._last_descriptor_log = 0.0
        self._accept_pause_s = self.min_delay
        self._released: set[int] = set()

    def release_slot(self, client_socket: Any, address: Any) -> None:
        """Give back ``client_socket``'s slot before it closes (an upgraded websocket)."""
        if id(client_socket) not in self._released:
            self._released.add(id(client_socket))
            self.slots.leave(_address_ip(address))

    def do_read(self) -> Any:
        """Accept one connection; out of descriptors, pause accepting without a traceback.

        gevent pauses too, but prints a traceback for every failed accept (hundreds a minute
        under a flood of slow clients). Timed-out connections give descriptors back soon.
        """
        try:
            accepted = super().do_read()
        except OSError as error:
            if error.errno not in _OUT_OF_DESCRIPTORS:
                raise
            now = time.monotonic()
            if now - self._last_descriptor_log >= 10.0:
                self._last_descriptor_log = now
                logger.warning("out of descriptors (%s); new connections wait", error.strerror)
            self.stop_accepting()
            self._timer = self.loop.timer(self._accept_pause_s)
            self._timer.start(self._start_accepting_if_started)
            self._accept_pause_s = min(self.max_delay, self._accept_pause_s * 2)
            return None
        self._accept_pause_s = self.min_delay
        return accepted

    def do_handle(self, client_socket: Any, address: Any) -> None:
        ip = _address_ip(address)
        # Bounds a TLS handshake as well, which happens before the handler's first read.
        client_socket.settimeout(self.limits.header_timeout_s)
        _no_delay(client_socket)  # before a TLS wrap: the option stays with the socket
        if not self.slots.admit(ip):
            self._log_refusal(ip)
            self._spawn(self._refuse, client_socket)
            return
        super().do_handle(client_socket, address)

    def do_close(self, client_socket: Any, address: Any = None, *args: Any) -> None:
        try:
            super().do_close(client_socket, address, *args)
        finally:
            if id(client_socket) in self._released:
                self._released.discard(id(client_socket))
            else:
                self.slots.leave(_address_ip(address))

    def _refuse(self, client_socket: Any) -> None:
        try:
            if not self.ssl_enabled:
                client_socket.settimeout(REFUSAL_SEND_TIMEOUT_S)
                client_socket.sendall(_BUSY_RESPONSE)
                # Closing with the request unread would send a reset, and the client could lose
                # the answer: end our side, then take what it sent (briefly) before closing.
                client_socket.shutdown(socket.SHUT_WR)
                client_socket.recv(65536)
        except OSError:
            pass
        finally:
            client_socket.close()

    def _log_refusal(self, ip: str) -> None:
        now = time.monotonic()
        if now - self._last_refusal_log >= 10.0:  # at most one line per 10 s under attack
            self._last_refusal_log = now
            logger.warning(
                "refused a connection: %s holds %d (the cap); %d refused so far",
                ip,
                self.slots.held(ip),
                self.slots.refused,
            )


def _no_delay(client_socket: Any) -> None:
    """Turn Nagle's algorithm off on an accepted connection, as nginx's ``tcp_nodelay``.

    gevent's handler sends a response's head and its body in two writes; with Nagle on, the
    body waited for the client's ACK of the head, which a client on a keep-alive connection
    delays by ~40 ms: every response after a connection's first took ~44 ms on loopback
    (0.7 ms without), and the agent page's ~160 files over Chromium's six connections took
    2.4 s instead of 1.4 (docs/performance.md, "A page load"). Websockets need it for their
    small frames too (``ws_endpoint.enable_no_delay``).
    """
    try:
        client_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass  # not TCP (a unix socket)


def _address_ip(address: Any) -> str:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address or "")
