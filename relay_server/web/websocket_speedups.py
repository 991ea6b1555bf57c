"""A faster, size-capped gevent-websocket connection and the handler that creates it.

Why this module exists: ``geventwebsocket.websocket.WebSocket`` (0.10.1) is the relay's
websocket, and on every client frame it

- unmasks the payload with a per-byte Python loop (``Header.mask_payload``),
- validates text with a pure-Python UTF-8 state machine (``utf8validator.py``, unless the
  unmaintained ``wsaccel`` is installed) and then decodes it a second time,
- reads a frame of any announced length into memory: a client announcing 2 GiB makes
  ``rfile.read()`` allocate 2 GiB before a single payload byte arrives,
- drops the status code of every close frame it sends (``close(1009)`` goes out as a close
  frame with no code, which clients report as 1005), and echoes a peer's close reason as
  ``"b'...'"``.

Measured on the 2-core development machine (Python 3.11; echo server in its own process, one
message in flight, ``websockets.sync`` client):

==========================================  ============  ============  ========
operation                                   stock         this module   speed-up
==========================================  ============  ============  ========
unmask 200 KB (best of runs)                21 ms         0.006 ms      ~3,600×
validate + decode 200 KB of UTF-8 text      41 ms         0.21 ms       ~200×
200 KB binary echo over loopback            41 msg/s      3,050 msg/s   ~75×
                                            (8.2 MB/s)    (610 MB/s)
183 KB Korean/ASCII text echo over loopback 13 msg/s      590 msg/s     ~44×
                                            (2.5 MB/s)    (109 MB/s)
==========================================  ============  ============  ========

(``python -m relay_server.web.websocket_speedups`` reproduces the first two rows.)

What changes, in one place and only for sockets created by :class:`FastWebSocketHandler`
(the library itself is not patched):

- unmasking uses ``websockets.speedups.apply_mask`` (C), or the pure-Python big-integer
  version in ``websockets.utils`` if the C extension is missing;
- text is decoded once, strictly, with the C UTF-8 codec; a fragmented message goes through
  one incremental decoder, so a code point split across frames decodes and invalid UTF-8
  still closes the socket with 1007;
- a data frame whose announced length would take the message over ``max_message_bytes`` is
  refused before its payload is read (close 1009), for single frames and for the running total
  of a fragmented message;
- close frames carry their status code, and a connection failed for 1002/1007/1009 is
  half-closed and drained briefly, so the peer reads the code instead of a TCP reset;
- a client's frame that is not masked, or a close code no peer may send (5000, 999, 1005),
  fails the connection with 1002 as RFC 6455 says (the library accepted the first and echoed
  the second); each such failure is one rate-limited line in the log (``refusals``).

Everything else (ping → pong, close handshake, continuation rules, reserved bits → 1002) keeps
the library's behaviour. A received binary message is returned as ``bytes`` (the library
returned ``bytearray``); both have the same ``send()`` behaviour.
"""

from __future__ import annotations

import codecs
import logging
import socket
import struct
import time
from typing import Any

import gevent
from geventwebsocket.exceptions import FrameTooLargeException, ProtocolError, WebSocketError
from geventwebsocket.handler import WebSocketHandler
from geventwebsocket.websocket import MSG_ALREADY_CLOSED, MSG_CLOSED, Header, Stream, WebSocket

from relay_server.web.refusals import refusals

try:
    from websockets.speedups import apply_mask as _apply_mask

    UNMASK_IMPLEMENTATION = "websockets.speedups (C)"
except ImportError:  # pragma: no cover - depends on how websockets was installed
    # The pure-Python fallback XORs two big integers: still ~100x faster than a byte loop.
    from websockets.utils import apply_mask as _apply_mask

    UNMASK_IMPLEMENTATION = "websockets.utils (Python)"

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024
MAX_MESSAGE_BYTES_ENVIRON_KEY = "remotesales.max_message_bytes"

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_MESSAGE_TOO_BIG = 1009

# After failing a connection: how long and how much of the peer's input to discard while
# waiting for it to read our close frame and close its side.
LINGER_S = 2.0
LINGER_MAX_BYTES = 1024 * 1024

_CLOSE_CODE = struct.Struct("!H")
_UTF8_INCREMENTAL_DECODER = codecs.getincrementaldecoder("utf-8")


class MessageTooBig(FrameTooLargeException):
    """A data frame or fragmented message is larger than the connection allows.

    A subclass so that it closes with 1009, while the library's own ``FrameTooLargeException``
    (a control frame over 125 bytes) stays a protocol error (1002).
    """


def unmask(payload: bytes | bytearray | memoryview, mask: bytes) -> bytes:
    """Return ``payload`` XORed with the repeated 4-byte ``mask`` (RFC 6455 section 5.3).

    Masking and unmasking are the same operation.

    Raises:
        ValueError: ``mask`` is not 4 bytes long.
    """
    return _apply_mask(payload, mask)


def _close_reason(message: bytes | str | None) -> bytes:
    """Encode a close reason, cut to the 123 bytes a close frame has room for."""
    reason = message.encode("utf-8") if isinstance(message, str) else bytes(message or b"")
    if len(reason) > 123:
        reason = reason[:123].decode("utf-8", "ignore").encode("utf-8")
    return reason


class _NoApp:
    """What ``current_app.on_close(...)`` reaches when the WSGI application has no
    ``current_app`` (the relay's Bottle app has none)."""

    def on_close(self, *args: Any) -> None:
        pass


_NO_APP = _NoApp()


class FastWebSocket(WebSocket):
    """``geventwebsocket`` ``WebSocket`` with C-speed unmasking and UTF-8, and a size cap.

    Args:
        environ: the WSGI environ of the upgraded request.
        stream: the ``geventwebsocket.websocket.Stream`` over the handler's socket.
        handler: the ``WebSocketHandler`` that owns the connection.
        max_message_bytes: the largest message (all fragments together) this socket accepts.
    """

    __slots__ = ("max_message_bytes",)
    # Slots of the library's class, which has no type information: declared for the checker.
    closed: Any
    stream: Any
    raw_read: Any
    raw_write: Any
    environ: Any

    def __init__(
        self,
        environ: dict[str, Any],
        stream: Stream,
        handler: WebSocketHandler,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        super().__init__(environ, stream, handler)
        self.max_message_bytes = max_message_bytes

    @property
    def current_app(self) -> Any:
        """The library builds a new class here at each call (``MockApp``): 1,600 classes for
        400 closed sockets in a measured run. A class is garbage in cycles that only the
        cyclic collector frees, and once frozen (``web/gc_policy.py``) it waits for a full
        pass. One shared object instead."""
        application = getattr(getattr(self.handler, "server", None), "application", None)
        return getattr(application, "current_app", _NO_APP)

    # -- reading ---------------------------------------------------------------------------

    def read_frame(self, max_payload_bytes: int | None = None) -> tuple[Header, bytes]:
        """Block until one frame has been read; return its header and unmasked payload.

        Args:
            max_payload_bytes: the most a data frame may carry (what is left of the message's
                budget); defaults to ``max_message_bytes``. Control frames are capped at 125
                bytes by ``Header.decode_header``.

        Raises:
            MessageTooBig: a data frame announced more; nothing of its payload was read.
            ProtocolError: reserved bits are set.
            WebSocketError: the peer closed the TCP connection mid-frame.
        """
        header = Header.decode_header(self.stream)

        if header.flags:
            raise ProtocolError(f"reserved bits set without an extension: {header!r}")
        if not header.mask:
            # RFC 6455 section 5.1: "The server MUST close the connection upon receiving a
            # frame that is not masked" (masking is what keeps a page's script from writing
            # bytes that a proxy on the way would take for HTTP).
            raise ProtocolError("a client frame that is not masked")

        if max_payload_bytes is None:
            max_payload_bytes = self.max_message_bytes
        if header.opcode < self.OPCODE_CLOSE and header.length > max_payload_bytes:
            raise MessageTooBig(
                f"frame of {header.length} bytes exceeds the {self.max_message_bytes}-byte "
                "message limit"
            )

        if not header.length:
            return header, b""

        try:
            payload = self.raw_read(header.length)
        except Exception:  # same as the library: a read error is treated as EOF
            payload = b""

        if len(payload) != header.length:
            raise WebSocketError("Unexpected EOF reading frame payload")

        if header.mask:
            payload = _apply_mask(payload, header.mask)

        return header, payload

    def read_message(self) -> str | bytes | None:
        """Return the next text (``str``) or binary (``bytes``) message, or ``None`` on close.

        Ping and pong frames in between are handled and skipped. Internal, like the library's:
        use :meth:`receive`, which turns errors into the right close code.

        Raises:
            MessageTooBig: the message would exceed ``max_message_bytes``.
            UnicodeDecodeError: a text message is not valid UTF-8.
            ProtocolError: bad opcode or continuation sequence.
            WebSocketError: the connection broke.
        """
        opcode = None
        parts: list[Any] = []
        received = 0
        decoder = None

        while True:
            header, payload = self.read_frame(self.max_message_bytes - received)
            f_opcode = header.opcode

            if f_opcode in (self.OPCODE_TEXT, self.OPCODE_BINARY):
                if opcode:
                    raise ProtocolError(
                        f"The opcode in non-fin frame is expected to be zero, got {f_opcode!r}"
                    )
                opcode = f_opcode
                if opcode == self.OPCODE_TEXT and header.fin:
                    # The common case, a whole text message in one frame: one strict decode.
                    return payload.decode("utf-8")
                if opcode == self.OPCODE_TEXT:
                    decoder = _UTF8_INCREMENTAL_DECODER()

            elif f_opcode == self.OPCODE_CONTINUATION:
                if not opcode:
                    raise ProtocolError("Unexpected frame with opcode=0")

            elif f_opcode == self.OPCODE_PING:
                self.handle_ping(header, payload)
                continue

            elif f_opcode == self.OPCODE_PONG:
                self.handle_pong(header, payload)
                continue

            elif f_opcode == self.OPCODE_CLOSE:
                self.handle_close(header, payload)
                return None

            else:
                raise ProtocolError(f"Unexpected opcode={f_opcode!r}")

            received += len(payload)
            # Decoding each fragment as it arrives fails fast on invalid UTF-8 and keeps the
            # tail of a code point split across frames inside the decoder.
            parts.append(decoder.decode(payload, header.fin) if decoder else payload)

            if header.fin:
                break

        if decoder:
            return "".join(parts)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    @staticmethod
    def _is_valid_close_code(code: int) -> bool:
        """Whether a peer may send ``code`` in a close frame (RFC 6455 section 7.4).

        1000-1003 and 1007-1011 are the RFC's own, 1012-1014 registered with IANA since,
        3000-4999 for libraries and applications. Never on the wire: 1004 (reserved), 1005
        and 1006 (they mean "no code" and "no close frame"), 1015 (TLS failure); nor anything
        below 1000 or from 5000 up (the library's own check let those through, and echoed
        them back).
        """
        return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999

    def validate_utf8(self, payload: bytes | bytearray) -> None:
        """Raise ``UnicodeDecodeError`` unless ``payload`` is complete, valid UTF-8."""
        codecs.decode(payload, "utf-8")

    def handle_close(self, header: Header, payload: bytes) -> None:
        """Answer the peer's close frame with the same code, after checking code and reason.

        Raises:
            ProtocolError: a 1-byte payload or a code that may not be sent.
            UnicodeDecodeError: the reason is not valid UTF-8.
        """
        if not payload:
            self.close(CLOSE_NORMAL, b"")
            return

        if len(payload) < 2:
            raise ProtocolError(f"Invalid close frame: {header!r} {payload!r}")

        (code,) = _CLOSE_CODE.unpack_from(payload)
        reason = payload[2:]
        self.validate_utf8(reason)

        if not self._is_valid_close_code(code):
            raise ProtocolError(f"Invalid close code {code}")

        self.close(code, reason)

    def receive(self) -> str | bytes | None:
        """Return the next message, or ``None`` once the socket is closed.

        A protocol violation closes the socket with the fitting code before ``None`` is
        returned: 1009 message too big, 1007 invalid UTF-8, 1002 protocol error.

        Raises:
            WebSocketError: the socket was already closed.
        """
        if self.closed:
            self.current_app.on_close(MSG_ALREADY_CLOSED)
            raise WebSocketError(MSG_ALREADY_CLOSED)

        try:
            return self.read_message()
        except MessageTooBig as exc:
            _refused("closing with 1009", str(exc), self.environ)
            self.fail(CLOSE_MESSAGE_TOO_BIG, "message too big")
        except UnicodeError:
            _refused("closing with 1007", "invalid UTF-8", self.environ)
            self.fail(CLOSE_INVALID_PAYLOAD, "invalid UTF-8")
        except ProtocolError as exc:
            _refused("closing with 1002", str(exc), self.environ)
            self.fail(CLOSE_PROTOCOL_ERROR, "protocol error")
        except OSError:
            self.close()
            self.current_app.on_close(MSG_CLOSED)

        return None

    def fail(self, code: int, reason: str) -> None:
        """Close after a protocol violation so that the peer still reads the close frame.

        The peer may still be sending (the rest of an oversize frame, more fragments). Closing
        a TCP socket with unread input makes the kernel send a reset, and a client that gets
        the reset before it has read our close frame (Windows discards its receive buffer)
        reports 1006 instead of ``code``. So: send the close frame, half-close, and discard
        input for a bounded time and amount until the peer closes its side.
        """
        sock = getattr(self.handler, "socket", None)
        self.close(code, reason)
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_WR)
            with gevent.Timeout(LINGER_S, False):
                discarded = 0
                while discarded < LINGER_MAX_BYTES:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    discarded += len(chunk)
        except OSError:
            pass  # the peer is already gone: nothing left to be polite to

    # -- writing ---------------------------------------------------------------------------

    def send_frame(self, message: Any, opcode: int) -> None:
        """Send one unfragmented frame; ``message`` is ``str`` for text/ping, bytes-like else.

        Raises:
            WebSocketError: the socket is closed or the write failed.
        """
        if self.closed:
            self.current_app.on_close(MSG_ALREADY_CLOSED)
            raise WebSocketError(MSG_ALREADY_CLOSED)

        if opcode in (self.OPCODE_TEXT, self.OPCODE_PING):
            message = self._encode_bytes(message)

        header = Header.encode_header(True, opcode, b"", len(message), 0)
        try:
            # One buffer, one copy: a separate small write for the header could wait for a
            # delayed ACK (Nagle), and the library copied a binary payload twice.
            self.raw_write(b"".join((header, message)))
        except OSError as exc:
            raise WebSocketError("Socket is dead") from exc

    def close(self, code: int = CLOSE_NORMAL, message: bytes | str | None = b"") -> None:
        """Send a close frame carrying ``code`` and ``message``, then mark the socket closed.

        The underlying TCP socket is closed by the handler when the application returns.
        """
        if self.closed:
            self.current_app.on_close(MSG_ALREADY_CLOSED)

        try:
            payload = _CLOSE_CODE.pack(code) + _close_reason(message) if code else b""
            self.send_frame(payload, opcode=self.OPCODE_CLOSE)
        except WebSocketError:
            # Failed to write the closing frame: fine, the socket is going away anyway.
            self.logger.debug("Failed to write closing frame -> closing socket")
        finally:
            self.closed = True
            self.stream = None
            self.raw_write = None
            self.raw_read = None
            self.environ = None


def _refused(what: str, reason: str, environ: dict[str, Any] | None) -> None:
    """A frame that breaks RFC 6455: one rate-limited line, as for any hostile input."""
    ip = (environ or {}).get("REMOTE_ADDR", "")
    refusals.refused(f"websocket ({what})", reason, ip=ip)


class FastWebSocketHandler(WebSocketHandler):
    """``WebSocketHandler`` whose upgraded connections are :class:`FastWebSocket` objects.

    Use it as ``WSGIServer(..., handler_class=FastWebSocketHandler)``. The message cap is the
    WSGI environ's ``remotesales.max_message_bytes`` if set (pass
    ``environ={MAX_MESSAGE_BYTES_ENVIRON_KEY: n}`` to the server), else the class attribute
    ``max_message_bytes``.
    """

    max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES

    def upgrade_connection(self) -> list[str] | None:
        """Run the library's handshake, then put a :class:`FastWebSocket` in its socket's place.

        The library builds its ``WebSocket`` from a module-level name in the middle of an
        80-line method; rather than copy that method (and its checks) or patch the module, the
        freshly built stock object is swapped before anything has read or written through it.
        """
        result = super().upgrade_connection()
        stock = self.environ.get("wsgi.websocket")
        if stock is None or isinstance(stock, FastWebSocket):
            return result

        max_bytes = int(self.environ.get(MAX_MESSAGE_BYTES_ENVIRON_KEY, self.max_message_bytes))
        fast = FastWebSocket(self.environ, stock.stream, self, max_message_bytes=max_bytes)
        # The stock object's __del__ would send a close frame on our stream: disarm it.
        stock.closed = True
        stock.stream = stock.raw_read = stock.raw_write = stock.handler = None
        self.websocket = fast
        self.environ["wsgi.websocket"] = fast
        return result


def _measure() -> None:  # pragma: no cover - a developer tool, run by hand
    """Print the micro-benchmark behind the module docstring's table."""
    import os

    from geventwebsocket.utf8validator import Utf8Validator

    payload = os.urandom(200_000)
    text = ("안녕하세요 hello " * 12_000).encode("utf-8")[:200_000].decode("utf-8", "ignore")
    text_bytes = text.encode("utf-8")
    header = Header(length=len(payload))
    header.mask = os.urandom(4)

    def best(fn: Any, rounds: int) -> float:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times) * 1000

    def stock_text() -> None:
        validator = Utf8Validator()
        validator.validate(text_bytes)
        text_bytes.decode("utf-8")

    rows = [
        (
            "unmask 200 KB",
            best(lambda: header.mask_payload(payload), 5),
            best(lambda: unmask(payload, header.mask), 200),
        ),
        (
            "validate + decode 200 KB text",
            best(stock_text, 5),
            best(lambda: FastWebSocket.validate_utf8(None, text_bytes), 200),  # type: ignore[arg-type]
        ),
    ]
    print(f"unmask implementation: {UNMASK_IMPLEMENTATION}")
    for name, before, after in rows:
        print(f"{name:32} stock {before:8.3f} ms   fast {after:8.3f} ms   x{before / after:,.0f}")


if __name__ == "__main__":  # pragma: no cover
    _measure()
