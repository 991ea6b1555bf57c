"""suite/net/serial_tls.py against a real TLS 1.3 websocket server on loopback (websockets'
own sync server, which sends TLS 1.3 session tickets right after each handshake): every opening
handshake completes, and big messages cross both ways at once intact.

The lost-request race itself shows under load only now and then (a connection in 20-70 through
HAProxy on a loaded machine); tests/integration/test_balancer.py opens its sockets this way.
"""

from __future__ import annotations

import gc
import hashlib
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect
from websockets.sync.server import Server, ServerConnection, serve

from suite.agent.app.relay_tunnel import RelayTunnel, serialised
from suite.net.connect import Connector
from suite.net.policy import NetworkPolicy
from suite.net.serial_tls import SerialTLSConnection, SerialTLSSocket
from tests.support.certificates import Certificates, make_certificates

BIG_BYTES = 6 * 1024 * 1024  # several times the socket buffers: sends must wait and go on


def echo(ws: ServerConnection) -> None:
    for message in ws:
        ws.send(message)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls(certificates: Certificates) -> Iterator[tuple[str, ssl.SSLContext]]:
    """(wss:// URL of an echo server speaking TLS 1.3, a client context trusting it)."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.minimum_version = ssl.TLSVersion.TLSv1_3
    server_context.load_cert_chain(certificates.server_cert, certificates.server_key)
    client_context = ssl.create_default_context(cafile=str(certificates.ca_cert))
    server: Server = serve(echo, "127.0.0.1", 0, ssl=server_context, max_size=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"wss://127.0.0.1:{server.socket.getsockname()[1]}/", client_context
    finally:
        server.shutdown()
        thread.join(10)


def test_every_opening_handshake_completes_and_echoes(tls: tuple[str, ssl.SSLContext]) -> None:
    """Two hundred connections in a row each get their upgrade answered and their message
    echoed, through a SerialTLSSocket on TLS 1.3."""
    url, context = tls
    for n in range(200):
        with connect(url, ssl=context, open_timeout=30,
                     create_connection=SerialTLSConnection) as ws:  # fmt: skip
            assert isinstance(ws.socket, SerialTLSSocket)
            assert ws.socket.version() == "TLSv1.3"  # type: ignore[attr-defined]
            ws.send(f"hello {n}")
            assert ws.recv(timeout=30) == f"hello {n}"


def test_big_messages_cross_both_ways_at_once(tls: tuple[str, ssl.SSLContext]) -> None:
    """Three 6 MB messages sent back to back while their echoes come in: the sender waits
    for the network without stopping the reader (the server's echo would otherwise block),
    and every byte arrives in order."""
    url, context = tls
    messages = [bytes(range(n, 256)) * (BIG_BYTES // (256 - n)) for n in range(3)]
    with connect(url, ssl=context, open_timeout=30, max_size=None,
                 create_connection=SerialTLSConnection) as ws:  # fmt: skip
        for message in messages:
            ws.send(message)
        for message in messages:
            received = ws.recv(timeout=60)
            assert hashlib.sha256(received).digest() == hashlib.sha256(message).digest()


def test_the_agent_windows_tunnel_carries_big_messages_both_ways_over_tls(
    tls: tuple[str, ssl.SSLContext], certificates: Certificates
) -> None:
    """suite/agent/app/relay_tunnel.py copies page -> relay and relay -> page in two threads on
    one upstream TLS 1.3 socket: that socket is behind a SerialTLSSocket (the tunnel's threads
    run in this process: the open one is found among its objects; `type()`, since a dead weak
    proxy there refuses isinstance), and 6 MB messages sent back
    to back while their echoes come in all arrive intact."""
    url, _context = tls
    port = int(url.rsplit(":", 1)[1].strip("/"))
    connector = Connector(NetworkPolicy(ca_file=str(certificates.ca_cert)))
    tunnel = RelayTunnel(lambda: connector)
    messages = [bytes(range(n, 256)) * (BIG_BYTES // (256 - n)) for n in range(3)]
    try:
        with connect(tunnel.target(url), open_timeout=30, max_size=None) as ws:
            serial = [
                found for found in gc.get_objects()
                if type(found) is SerialTLSSocket and found.fileno() >= 0
                and found.getpeername()[1] == port
            ]  # fmt: skip
            assert len(serial) == 1, "the tunnel's upstream TLS socket is not serialised"
            for message in messages:
                ws.send(message)
            for message in messages:
                received = ws.recv(timeout=60)
                assert hashlib.sha256(received).digest() == hashlib.sha256(message).digest()
    finally:
        tunnel.close()
    plain = socket.create_server(("127.0.0.1", 0))
    with plain, socket.create_connection(plain.getsockname()) as sock:
        assert serialised(sock) is sock  # ws://: the kernel's socket as it is


def test_a_plain_socket_is_left_as_it_is() -> None:
    """ws:// (no TLS): the connection keeps the kernel's socket."""
    server: Server = serve(echo, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
        with connect(url, create_connection=SerialTLSConnection) as ws:
            assert not isinstance(ws.socket, SerialTLSSocket)
            ws.send("plain")
            assert ws.recv(timeout=30) == "plain"
    finally:
        server.shutdown()
        thread.join(10)
