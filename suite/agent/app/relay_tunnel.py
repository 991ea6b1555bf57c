"""The agent windows' websocket to the relay, carried by the app so it follows A7's settings.

The pages run in QtWebEngine, whose Chromium knows neither the proxy login kept in the keyring,
a PAC evaluated by ``pypac``, nor the administrator's CA file (it trusts the system's NSS
store). Their HTTP calls to the relay already go through the local API's relay proxy
(``/local/relay/...``); their one websocket comes here instead of to the relay:
``ws://127.0.0.1:<port>/<key>/ws``. For each connection the tunnel reads the upgrade request,
checks the per-launch ``key`` in its path (other local programs cannot use the agent's proxy
login), opens the relay through ``suite.net.connect.Connector`` (proxy, CONNECT, TLS checked as
the settings say), rewrites the request's path and ``Host`` for the relay, and then copies bytes
both ways. The websocket protocol itself passes untouched (the relay sees the page's own
handshake, frames and Origin). Settings apply to the next connection: a websocket that is open
keeps its route until it reconnects.

Copying both ways is two threads on one upstream socket: one reads the relay while the other
writes to it. Over wss:// that socket is TLS, and two threads in one OpenSSL connection race (a
TLS 1.3 session ticket read while a write goes out; ``suite/net/serial_tls.py``), so the
upstream TLS socket goes behind a :class:`~suite.net.serial_tls.SerialTLSSocket`.
"""

from __future__ import annotations

import logging
import secrets
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from suite.net.connect import Connector
from suite.net.policy import NetworkError
from suite.net.serial_tls import SerialTLSSocket

logger = logging.getLogger(__name__)

MAX_HEAD_BYTES = 16 * 1024
CHUNK_BYTES = 64 * 1024
HEAD_TIMEOUT_S = 10.0


class RelayTunnel:
    """A loopback listener that carries the windows' websockets to the relay.

    Args:
        relay_ws_url: the relay's ``ws(s)://host[:port][/prefix]/ws`` for now (see :meth:`target`).
        connector: makes the connector of the current settings (called per connection).
    """

    def __init__(self, connector: Callable[[], Connector]) -> None:
        self._connector = connector
        self._target: str | None = None
        self._lock = threading.Lock()
        self.key = secrets.token_urlsafe(24)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="relay-tunnel", daemon=True)
        self._thread.start()

    def target(self, relay_ws_url: str) -> str:
        """Carry websockets to ``relay_ws_url`` from now on; returns the URL pages use."""
        with self._lock:
            self._target = relay_ws_url
        return f"ws://127.0.0.1:{self.port}/{self.key}/ws"

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(client,), name="relay-tunnel-conn", daemon=True
            ).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            client.settimeout(HEAD_TIMEOUT_S)
            head, rest = _read_head(client)
            with self._lock:
                target = self._target
            request = _rewrite(head, self.key, target)
            if request is None:
                client.sendall(_answer(404, "not a relay websocket of this app"))
                return
            try:
                upstream = serialised(self._connector().open(target or ""))
            except NetworkError as error:
                logger.warning("websocket to the relay: %s", error.message)
                client.sendall(_answer(502, error.message))
                return
            client.settimeout(None)
            upstream.settimeout(None)
            upstream.sendall(request + rest)
            _pump_both(client, upstream)
        except OSError as error:
            logger.debug("relay tunnel connection ended: %s", error)
        except Exception:  # a thread's exception would vanish: log it
            logger.exception("relay tunnel connection failed")
        finally:
            client.close()


def serialised(upstream: socket.socket) -> Any:
    """``upstream`` ready for one reading and one writing thread: a TLS socket behind a
    :class:`SerialTLSSocket` (made non-blocking; it waits for the network without its lock),
    a plain socket as it is (the kernel serialises)."""
    if isinstance(upstream, ssl.SSLSocket):
        return SerialTLSSocket(upstream)
    return upstream


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionResetError("closed before the request's end")
        data += chunk
        if len(data) > MAX_HEAD_BYTES:
            raise ConnectionResetError("request head too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _rewrite(head: bytes, key: str, target: str | None) -> bytes | None:
    """The request head for the relay, or None when it is not ``GET /<key>/ws``."""
    if target is None:
        return None
    lines = head.decode("latin-1").split("\r\n")
    words = lines[0].split(" ")
    if len(words) != 3 or words[0] != "GET":
        return None
    path, _, query = words[1].partition("?")
    if path != f"/{key}/ws":
        return None
    parts = urllib.parse.urlsplit(target)
    relay_path = parts.path or "/ws"
    if query:
        relay_path += "?" + query
    out = [f"GET {relay_path} {words[2]}"]
    for line in lines[1:]:
        if line.lower().startswith("host:"):
            line = f"Host: {parts.netloc}"
        out.append(line)
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


def _answer(status: int, text: str) -> bytes:
    body = text.encode()
    reason = {404: "Not Found", 502: "Bad Gateway"}.get(status, "Error")
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def _pump_both(a: socket.socket, b: Any) -> None:
    other = threading.Thread(target=_pump, args=(b, a), name="relay-tunnel-down", daemon=True)
    other.start()
    _pump(a, b)
    other.join()


def _pump(source: Any, sink: Any) -> None:
    try:
        while chunk := source.recv(CHUNK_BYTES):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        # Either side ending ends both: a websocket has no half-closed state worth keeping.
        for sock in (sink, source):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
