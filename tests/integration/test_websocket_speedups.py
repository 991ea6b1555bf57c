"""FastWebSocket / FastWebSocketHandler against a real gevent server and a real client.

The echo server runs in a subprocess (gevent stays out of the pytest process) with
``FastWebSocketHandler`` and the default 256 KiB cap; a ``websockets.sync`` client talks to it,
and hand-built frames go straight onto the client's socket where the client library would not
send them (invalid UTF-8, a code point split across fragments, a 2 GiB length).
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from geventwebsocket.websocket import Header
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.frames import Frame, Opcode
from websockets.sync.client import ClientConnection, connect
from websockets.utils import apply_mask as python_apply_mask

from relay_server.web.websocket_speedups import (
    DEFAULT_MAX_MESSAGE_BYTES,
    FastWebSocket,
    unmask,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

ECHO_SERVER = textwrap.dedent(
    """
    import sys
    from gevent.pywsgi import WSGIServer
    from relay_server.web.websocket_speedups import (
        MAX_MESSAGE_BYTES_ENVIRON_KEY, FastWebSocket, FastWebSocketHandler
    )

    def echo(environ, start_response):
        ws = environ.get("wsgi.websocket")
        if not isinstance(ws, FastWebSocket):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"expected a FastWebSocket"]
        while True:
            message = ws.receive()
            if message is None:
                return []
            ws.send(message, binary=not isinstance(message, str))

    environ = {MAX_MESSAGE_BYTES_ENVIRON_KEY: int(sys.argv[1])} if len(sys.argv) > 1 else {}
    server = WSGIServer(
        ("127.0.0.1", 0), echo, handler_class=FastWebSocketHandler, environ=environ, log=None
    )
    server.start()
    print(server.server_port, flush=True)
    server.serve_forever()
    """
)

CLOSE_TIMEOUT_S = 5


@contextlib.contextmanager
def run_echo_server(*args: str) -> Iterator[tuple[str, psutil.Process]]:
    """Run the echo server (args: an optional message cap); yield its URL and process."""
    proc = subprocess.Popen(
        [sys.executable, "-c", ECHO_SERVER, *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"ws://127.0.0.1:{port}/", psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[tuple[str, psutil.Process]]:
    """The echo server with the default cap."""
    with run_echo_server() as server:
        yield server


@pytest.fixture
def ws(echo_server: tuple[str, psutil.Process]) -> Iterator[ClientConnection]:
    """A connected client; closed after the test."""
    url, _ = echo_server
    with connect(url, compression=None, proxy=None, max_size=2**21) as client:
        yield client


def send_raw(client: ClientConnection, *frames: Frame) -> None:
    """Write masked frames directly to the client's socket, bypassing its protocol checks."""
    client.socket.sendall(b"".join(frame.serialize(mask=True) for frame in frames))


def expect_close(client: ClientConnection) -> int:
    """Wait for the server to close the connection; return the close code it sent."""
    with pytest.raises((ConnectionClosedError, ConnectionClosedOK)) as closed:
        client.recv(timeout=CLOSE_TIMEOUT_S)
    assert closed.value.rcvd is not None, "the server sent no close frame"
    return closed.value.rcvd.code


def naive_mask(data: bytes, mask: bytes) -> bytes:
    """RFC 6455 section 5.3, byte by byte."""
    return bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))


@pytest.mark.parametrize("length", [0, 1, 3, 4, 5, 1000, 65537])
def test_unmask_equals_the_naive_definition(length: int) -> None:
    """unmask() gives the same bytes as the byte loop, the library's loop and the fallback."""
    for _ in range(5):
        data, mask = os.urandom(length), os.urandom(4)
        expected = naive_mask(data, mask)
        assert unmask(data, mask) == expected
        assert unmask(bytearray(data), mask) == expected
        assert python_apply_mask(data, mask) == expected
        header = Header(length=length)
        header.mask = mask
        assert bytes(header.mask_payload(data)) == expected


def test_validate_utf8_is_strict() -> None:
    """validate_utf8 accepts valid UTF-8 and rejects a truncated code point and a lone byte."""
    FastWebSocket.validate_utf8(None, "안녕 ok".encode())  # type: ignore[arg-type]
    for bad in ("안".encode()[:2], b"\xff", b"\xed\xa0\x80"):  # truncated, invalid, surrogate
        with pytest.raises(UnicodeDecodeError):
            FastWebSocket.validate_utf8(None, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65536, 200_000, DEFAULT_MAX_MESSAGE_BYTES])
def test_binary_echo_is_byte_exact(ws: ClientConnection, size: int) -> None:
    """A binary message comes back unchanged, up to and including the cap."""
    payload = os.urandom(size)
    ws.send(payload)
    assert ws.recv(timeout=5) == payload


@pytest.mark.parametrize("text", ["", "hello", "안녕하세요, 반갑습니다 👋", "é" * 100_000])
def test_text_echo_is_exact(ws: ClientConnection, text: str) -> None:
    """A text message (ASCII, Korean, emoji, 200 KB) comes back unchanged."""
    ws.send(text)
    assert ws.recv(timeout=5) == text


def test_fragmented_binary_message_is_reassembled(ws: ClientConnection) -> None:
    """Three binary fragments are echoed as one message equal to their concatenation."""
    parts = [os.urandom(70_000), os.urandom(1), os.urandom(60_000)]
    ws.send(parts)
    assert ws.recv(timeout=5) == b"".join(parts)


def test_korean_text_split_inside_code_points(ws: ClientConnection) -> None:
    """Text fragments that cut Hangul syllables in the middle decode to the original string."""
    text = "안녕하세요 고객님"
    data = text.encode("utf-8")
    send_raw(
        ws,
        Frame(Opcode.TEXT, data[:1], fin=False),  # first byte of 안
        Frame(Opcode.CONT, data[1:5], fin=False),  # rest of 안, first byte of 녕
        Frame(Opcode.CONT, data[5:], fin=True),
    )
    assert ws.recv(timeout=5) == text


def test_ping_between_fragments_is_answered(ws: ClientConnection) -> None:
    """A ping interleaved with fragments gets a pong and the message still arrives whole."""
    send_raw(
        ws,
        Frame(Opcode.TEXT, b"abc", fin=False),
        Frame(Opcode.PING, b"between"),
        Frame(Opcode.CONT, b"def", fin=True),
    )
    assert ws.recv(timeout=5) == "abcdef"


def test_ping_is_answered_with_pong(ws: ClientConnection) -> None:
    """The server answers a ping with a pong carrying the same data."""
    pong = ws.ping(b"are you there")
    assert pong.wait(timeout=5)


@pytest.mark.parametrize(
    "frames",
    [
        [Frame(Opcode.TEXT, b"\xc3\x28")],
        [Frame(Opcode.TEXT, b"ok", fin=False), Frame(Opcode.CONT, b"\xff", fin=True)],
        [Frame(Opcode.TEXT, "안".encode()[:2], fin=True)],
    ],
    ids=["invalid-byte", "invalid-in-second-fragment", "truncated-code-point"],
)
def test_invalid_utf8_closes_with_1007(ws: ClientConnection, frames: list[Frame]) -> None:
    """Text that is not valid UTF-8 closes the connection with 1007."""
    send_raw(ws, *frames)
    assert expect_close(ws) == 1007


def test_oversize_frame_is_refused_before_its_payload_is_read(
    ws: ClientConnection, echo_server: tuple[str, psutil.Process]
) -> None:
    """A frame announcing 2 GiB closes with 1009 at once; the server allocates nothing for it."""
    _, server = echo_server
    rss_before = server.memory_info().rss
    announced = 2**31
    mask = os.urandom(4)
    header = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", announced) + mask
    started = time.monotonic()
    ws.socket.sendall(header + unmask(b"only a few bytes", mask))

    assert expect_close(ws) == 1009
    assert time.monotonic() - started < 2
    assert server.memory_info().rss - rss_before < 50 * 2**20


def test_fragmented_message_over_the_cap_closes_with_1009(ws: ClientConnection) -> None:
    """Fragments that are each small but add up to more than 256 KiB close with 1009."""
    try:
        ws.send([os.urandom(100_000), os.urandom(100_000), os.urandom(100_000)])
    except ConnectionClosedError as closed:
        # The close frame can arrive while the client is still sending fragments: the client
        # then refuses to send the rest, and reports the close here.
        assert closed.rcvd is not None and closed.rcvd.code == 1009
        return
    assert expect_close(ws) == 1009


def test_oversize_control_frame_is_a_protocol_error(ws: ClientConnection) -> None:
    """A ping over 125 bytes stays a protocol error (1002), not a message-too-big."""
    mask = os.urandom(4)
    ws.socket.sendall(bytes([0x89, 0x80 | 126]) + struct.pack("!H", 200) + mask + bytes(200))
    assert expect_close(ws) == 1002


def test_reserved_bits_are_a_protocol_error(ws: ClientConnection) -> None:
    """A frame with RSV1 set (no extension was negotiated) closes with 1002."""
    mask = os.urandom(4)
    ws.socket.sendall(bytes([0x80 | 0x40 | 0x02, 0x80 | 1]) + mask + unmask(b"x", mask))
    assert expect_close(ws) == 1002


def test_client_close_code_and_reason_are_echoed(ws: ClientConnection) -> None:
    """The server answers the client's close frame with the same code and reason."""
    ws.close(4000, "fin 안녕")
    assert ws.protocol.close_rcvd is not None
    assert (ws.protocol.close_rcvd.code, ws.protocol.close_rcvd.reason) == (4000, "fin 안녕")


def test_close_reason_with_invalid_utf8_closes_with_1007(ws: ClientConnection) -> None:
    """A close frame whose reason is not UTF-8 is answered with 1007."""
    send_raw(ws, Frame(Opcode.CLOSE, struct.pack("!H", 1000) + b"\xff"))
    assert expect_close(ws) == 1007


def test_single_frame_one_byte_over_the_cap_closes_with_1009(ws: ClientConnection) -> None:
    """A 256 KiB + 1 byte binary frame closes with 1009 (256 KiB itself is echoed above)."""
    ws.send(os.urandom(DEFAULT_MAX_MESSAGE_BYTES + 1))
    assert expect_close(ws) == 1009


def test_cap_comes_from_the_wsgi_environ() -> None:
    """A server whose environ sets remotesales.max_message_bytes=1000 enforces that cap."""
    with run_echo_server("1000") as (url, _):
        with connect(url, compression=None, proxy=None) as client:
            client.send(b"x" * 1000)
            assert client.recv(timeout=5) == b"x" * 1000
            client.send("y" * 1001)
            assert expect_close(client) == 1009


@pytest.mark.parametrize("code", [5000, 65535, 999, 0, 1004, 1005, 1006, 1015, 1016, 2999])
def test_a_close_code_no_peer_may_send_is_a_protocol_error(ws: ClientConnection, code: int):
    """RFC 6455 section 7.4: a close frame carrying 5000, 999, 1004-1006, 1015 or 1016-2999
    fails the connection with 1002 (the library echoed 5000 and 1016 back)."""
    send_raw(ws, Frame(Opcode.CLOSE, struct.pack("!H", code)))
    assert expect_close(ws) == 1002


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999])
def test_valid_close_codes_are_echoed(ws: ClientConnection, code: int):
    """Codes of the RFC, IANA's 1012-1014 and the 3000-4999 range are echoed."""
    send_raw(ws, Frame(Opcode.CLOSE, struct.pack("!H", code)))
    assert expect_close(ws) == code


def test_an_unmasked_client_frame_is_a_protocol_error(ws: ClientConnection) -> None:
    """RFC 6455 section 5.1: the server closes with 1002 on a client frame without a mask (the
    library echoed it)."""
    ws.socket.sendall(bytes([0x81, 0x02]) + b"hi")
    assert expect_close(ws) == 1002
