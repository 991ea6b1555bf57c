"""A websocket client that sends what a well-behaved library refuses to: unmasked frames,
close codes no peer may use, reserved bits, any opcode. For tests that play a hostile client.

Only the handshake follows the rules (RFC 6455 section 4.1); every frame is built by hand.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
import urllib.parse

from websockets.utils import apply_mask

TIMEOUT_S = 10.0

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class RawWebSocket:
    """One connection to ``ws_url`` (``ws://host:port/path``), upgraded at construction.

    Raises:
        ConnectionError: the server did not answer the upgrade with 101.
    """

    def __init__(self, ws_url: str, timeout_s: float = TIMEOUT_S) -> None:
        parts = urllib.parse.urlsplit(ws_url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout_s)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self._buffer = b""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the server closed the connection during the handshake")
            self._buffer += chunk
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"no websocket upgrade: {status.decode(errors='replace')}")

    def send_frame(
        self, opcode: int, payload: bytes = b"", fin: bool = True, mask: bool = True, rsv: int = 0
    ) -> None:
        """Send one frame exactly as asked (``mask=False``: unmasked, which clients must not)."""
        first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode & 0xF
        length = len(payload)
        mask_bit = 0x80 if mask else 0
        if length < 126:
            header = struct.pack("!BB", first, mask_bit | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", first, mask_bit | 126, length)
        else:
            header = struct.pack("!BBQ", first, mask_bit | 127, length)
        if mask:
            key = os.urandom(4)
            header += key
            payload = apply_mask(payload, key)
        self.sock.sendall(header + payload)

    def send_close(self, code: int | None, reason: bytes = b"") -> None:
        self.send_frame(OP_CLOSE, b"" if code is None else struct.pack("!H", code) + reason)

    def read_frame(self) -> tuple[int, bytes]:
        """The next frame from the server as ``(opcode, payload)``.

        Raises:
            ConnectionError: the server closed the TCP connection first.
            TimeoutError: nothing within the timeout.
        """
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read(8))
        return first & 0xF, self._read(length)

    def close_code(self) -> int | None:
        """Read until the server's close frame; its code (None: a close frame without one).

        Raises:
            ConnectionError: the TCP connection ended without a close frame.
        """
        while True:
            opcode, payload = self.read_frame()
            if opcode == OP_CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    def _read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawWebSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
