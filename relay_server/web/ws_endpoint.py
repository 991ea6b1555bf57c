"""The gevent websocket adapter: moves frames between sockets and :class:`relay.Relay`.

The chat path calls ``Relay.handle`` (``sessions/chat_sockets.py``), the screen path
``Screens.handle`` (``screen/router.py``); each refuses the other channel's messages.

One greenlet reads each socket (the server's handler greenlet); a second one writes it, fed
by a bounded queue, so that a broadcast never blocks on a slow client: a client whose queue
overflows is too slow to follow the session and is closed. Droppable frames (a viewer's input
forwarded to the presenter) are only *offered*: they take at most half of the queue and are
dropped beyond it, so another client's flood never closes the socket they go to.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import gevent
from gevent.queue import Full, Queue
from geventwebsocket.exceptions import WebSocketError

from relay_server.sessions.chat_sockets import HandshakeRefused
from relay_server.sessions.relay import Relay
from relay_server.sessions.supports import customer_id
from relay_server.throttle import TokenBucket
from relay_server.web.gc_policy import SocketTally
from relay_server.web.refusals import refusals
from suite.protocol import (
    MAX_SCREEN_FRAME_BYTES,
    VIEWER_CHAT_MESSAGES,
    Channel,
    CloseCode,
    ErrorCode,
    Hello,
    ProtocolError,
    Role,
    client_id_of,
    decode_client_message,
)

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 10.0
LINGER_S = 1.0  # longest wait for a client to close after the relay's close frame
SEND_QUEUE_FRAMES = 512
OFFERED_FRAMES_MAX = SEND_QUEUE_FRAMES // 2  # droppable frames stop at half the queue
FRAMES_PER_S = 20.0
FRAME_BURST = 60.0
# The screen channel carries more text: a viewer's input (120/s) and drawing (60/s), the
# presenter's cursor. Every region frame a socket is sent adds SCREEN_TEXT_PER_FRAME to its
# budget, for its screen_ack and paint_report: acknowledgements follow the frame rate
# (thousands a second in scripts/bench_relay.py), which a fixed rate would cut short.
SCREEN_TEXT_FRAMES_PER_S = 240.0
SCREEN_TEXT_BURST = 480.0
SCREEN_TEXT_PER_FRAME = 2.0
RATE_ERRORS_PER_S = 10.0  # screen channel: `rate_limited` replies; more are dropped silently
_CLOSE = object()

# Websockets served by this process, for the collector's freezes (web/gc_policy.py).
open_sockets = SocketTally()


class Connection:
    """One participant's socket; the ``Member`` the relay's rooms hold."""

    def __init__(self, ws, ip: str):
        self.ws = ws
        self.ip = ip
        self.role: Role = Role.CUSTOMER
        self.channel: Channel = Channel.CHAT
        self.name = ""
        self.session_id = ""
        self.customer_id = ""
        self.closed = False
        self._queue: Queue = Queue(SEND_QUEUE_FRAMES)
        # The writer greenlet lives only while frames wait: an idle socket (most of 20,000 on
        # a sales floor) keeps no second greenlet and its saved stack (docs/performance.md,
        # "One node at 10,000 sessions").
        self._writer: gevent.Greenlet | None = None
        self.text_budget: TokenBucket | None = None  # screen channel: see _serve_screen

    def send(self, frame: str | bytes) -> None:
        """Queue a frame without ever blocking the caller (a broadcaster)."""
        if self.closed:
            return
        try:
            self._queue.put_nowait(frame)
        except Full:
            self._too_slow()
            return
        self._wake_writer()
        if self.text_budget is not None and isinstance(frame, bytes):
            self.text_budget.give(SCREEN_TEXT_PER_FRAME)  # room for its screen_ack

    def offer(self, frame: str | bytes) -> bool:
        """Queue a droppable frame if the queue is less than half full; never closes.

        Returns:
            False when the frame was dropped (closed, or the client is behind).
        """
        if self.closed or self._queue.qsize() >= OFFERED_FRAMES_MAX:
            return False
        self._queue.put_nowait(frame)
        self._wake_writer()
        return True

    def _wake_writer(self) -> None:
        if self._writer is None:
            self._writer = gevent.spawn(self._write_loop)

    def _too_slow(self) -> None:
        logger.warning("closing a client too slow to read", extra={"session_id": self.session_id})
        self.close(CloseCode.GOING_AWAY, "too slow to follow the session")

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._queue.put_nowait((_CLOSE, code, reason))
        except Full:
            if self._writer is not None:
                self._writer.kill(block=False)
            self._close_socket(code, reason)
            return
        self._wake_writer()

    def _write_loop(self) -> None:
        while True:
            if self._queue.empty():
                self._writer = None  # no yield since the check: the next send spawns anew
                return
            item = self._queue.get_nowait()
            if isinstance(item, tuple) and item[0] is _CLOSE:
                self._close_socket(item[1], item[2])
                return
            try:
                self.ws.send(item)
            except (WebSocketError, OSError):
                self.closed = True
                return

    def _close_socket(self, code: int, reason: str) -> None:
        try:
            self.ws.close(int(code), reason.encode())
        except (WebSocketError, OSError):
            pass

    def finish(self) -> None:
        """After the read loop ended: let queued frames go out, then stop the writer, then
        linger until the client has read our close frame (see :func:`linger_close`)."""
        self.close(CloseCode.NORMAL, "")
        writer = self._writer
        if writer is not None:
            writer.join(timeout=2)
            writer.kill(block=False)
        linger_close(self.ws)


def linger_close(ws, linger_s: float = LINGER_S) -> None:
    """End our half of the TCP connection and read what the client still sends, briefly.

    The handler closes the socket when the application returns. Closing a socket whose
    receive buffer holds unread bytes (frames the client sent while the relay was ending the
    session: acknowledgements, input) makes the kernel answer with a reset, and a client that
    gets the reset before it reads our close frame sees 1006 instead of, say, 4000 (session
    ended): the "lingering close" every HTTP server does. Reads until the client closes too,
    or ``linger_s``.
    """
    sock = getattr(getattr(ws, "handler", None), "socket", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_WR)
        with gevent.Timeout(linger_s, False):
            while sock.recv(65536):
                pass
    except OSError:
        pass  # already gone: nothing to protect


def enable_no_delay(ws) -> bool:
    """Turn Nagle's algorithm off on a websocket's TCP socket; False when it cannot be done.

    Small frames (control input, cursor, chat) otherwise wait for the peer's delayed ACK when
    an earlier small frame is still unacknowledged: a forwarded mouse move took 17 ms (p50,
    loopback, 60 moves/s) from viewer to X server with Nagle on, 1.2 ms with it off
    (scripts/bench_control.py).
    """
    sock = getattr(getattr(ws, "handler", None), "socket", None)
    if sock is None:
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        return False  # not TCP (a unix socket) or already closed
    return True


def serve_websocket(ws, ip: str, relay: Relay, clock: Callable[[], float] = time.time) -> None:
    """Run one client socket from ``hello`` to close. Returns when the socket is done."""
    enable_no_delay(ws)  # control input and cursor latency (P3)
    connection = Connection(ws, ip)
    open_sockets.opened += 1
    try:
        if not _handshake(connection, relay, clock):
            return
        if connection.channel is Channel.SCREEN:
            _serve_screen(connection, relay, clock)
            return
        bucket = TokenBucket(FRAMES_PER_S, FRAME_BURST)
        while not connection.closed:
            try:
                frame = ws.receive()
            except WebSocketError:
                break
            if frame is None or connection.closed:  # closed by the relay meanwhile: drop it
                break
            if not bucket.take(time.monotonic()):
                refused = ProtocolError(
                    ErrorCode.RATE_LIMITED,
                    "slow down: too many frames",
                    client_id=client_id_of(frame) if isinstance(frame, str) else None,
                )
                connection.send(refused.to_frame())
                continue
            try:
                message = decode_client_message(frame)
            except ProtocolError as error:
                _refused(connection, "chat frame", error)
                connection.send(error.to_frame())
                continue
            try:  # Relay.handle refuses what is not sent on the chat channel
                relay.handle(connection, message, clock())
            except ProtocolError as error:
                connection.send(error.to_frame())
            except Exception:
                logger.exception(
                    "failed to handle a frame", extra={"session_id": connection.session_id}
                )
                connection.send(
                    ProtocolError(
                        ErrorCode.BAD_MESSAGE, "the relay failed to handle that frame"
                    ).to_frame()
                )
    finally:
        if connection.session_id:
            relay.leave(connection)
        connection.finish()
        open_sockets.closed += 1


def _serve_screen(connection: Connection, relay: Relay, clock: Callable[[], float]) -> None:
    """The screen channel: region frames and screen messages go to the session's Screens.

    Text frames (and a viewer's binary frames, which are refused anyway) share a token bucket
    (``SCREEN_TEXT_FRAMES_PER_S``, plus room for the acknowledgements of each region frame
    sent); over it a frame is dropped unread and answered with ``rate_limited``, at most
    ``RATE_ERRORS_PER_S`` times a second (a flood must not fill the client's own send queue
    with errors).
    """
    ws = connection.ws
    if hasattr(ws, "max_message_bytes"):
        ws.max_message_bytes = MAX_SCREEN_FRAME_BYTES
    budget = connection.text_budget = TokenBucket(SCREEN_TEXT_FRAMES_PER_S, SCREEN_TEXT_BURST)
    error_budget = TokenBucket(RATE_ERRORS_PER_S, RATE_ERRORS_PER_S)
    while not connection.closed:
        try:
            frame = ws.receive()
        except WebSocketError:
            return
        if frame is None or connection.closed:  # closed by the relay meanwhile: drop it
            return
        # Region frames are the presenter's to send; a viewer's binary frames count as text.
        limited = isinstance(frame, str) or connection.role is not Role.AGENT
        if limited and not budget.take(time.monotonic()):
            if error_budget.take(time.monotonic()):
                connection.send(
                    ProtocolError(ErrorCode.RATE_LIMITED, "slow down: too many frames").to_frame()
                )
            continue
        try:
            if isinstance(frame, bytes | bytearray):
                relay.screens.region(connection, bytes(frame))
            else:
                try:
                    message = decode_client_message(frame)
                except ProtocolError as error:
                    _refused(connection, "screen frame", error)
                    raise
                if type(message) in VIEWER_CHAT_MESSAGES:  # the chat beside the screen
                    relay.viewer_chat(connection, message, clock())
                    continue
                relay.screens.handle(connection, message, time.monotonic())
        except ProtocolError as error:
            connection.send(error.to_frame())
        except Exception:
            logger.exception("failed to handle a screen frame")
            connection.send(
                ProtocolError(
                    ErrorCode.BAD_MESSAGE, "the relay failed to handle that frame"
                ).to_frame()
            )


def _handshake(connection: Connection, relay: Relay, clock: Callable[[], float]) -> bool:
    frame = None
    with gevent.Timeout(HELLO_TIMEOUT_S, False):
        try:
            frame = connection.ws.receive()
        except WebSocketError:
            return False
    if frame is None:
        connection.close(CloseCode.HANDSHAKE_FAILED, "expected hello")
        return False
    try:
        hello = decode_client_message(frame)
        if not isinstance(hello, Hello):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "the first frame must be hello")
        session, name = relay.hello(hello, clock())
    except ProtocolError as error:
        _refused(connection, "hello", error)
        connection.close(CloseCode.HANDSHAKE_FAILED, error.message[:100])
        return False
    except HandshakeRefused as refused:
        connection.close(refused.code, refused.reason[:100])
        return False
    connection.role = hello.role
    connection.channel = hello.channel
    connection.name = name
    connection.session_id = session.id
    if hello.role is Role.CUSTOMER:
        connection.customer_id = customer_id(hello.token)  # hello matched it to a seat
    relay.enter(connection, session, hello.last_seen_id)
    return True


def _refused(connection: Connection, where: str, error: ProtocolError) -> None:
    """One (rate-limited) log line for a frame the protocol refused: no traceback."""
    refusals.refused(
        where,
        f"{error.code}: {error.message}",
        ip=connection.ip,
        session_id=connection.session_id or None,
    )
