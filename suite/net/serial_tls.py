"""A TLS socket that one thread at a time enters, for ``websockets.sync`` clients over wss://.

``websockets.sync`` reads in a background thread (started before the opening handshake) and
writes from the caller's thread. On a plain socket that is fine (the kernel serialises); on an
``ssl.SSLSocket`` both threads enter one OpenSSL connection at once, which OpenSSL does not
allow. With TLS 1.3 the server sends its session tickets right after the handshake, so the
reader thread is processing them while the caller writes the HTTP upgrade request, and now and
then the request is lost: the server waits for it (HAProxy answered 408 after its 15 s
``timeout http-request``, about one connection in 20-70 on a loaded machine; TLS 1.2, which
sends nothing after its handshake, never did).

:class:`SerialTLSConnection` is the ``create_connection`` of ``websockets.sync.client.connect``
that puts the handshaken TLS socket behind :class:`SerialTLSSocket`: every call into OpenSSL
holds one lock, on a non-blocking socket, and no thread holds the lock while it waits for the
network (a reader blocked on a quiet connection never stops a writer).
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from typing import Any

from websockets.sync.client import ClientConnection


class SerialTLSSocket:
    """The parts of a socket ``websockets.sync`` uses (``recv``, ``sendall``, ``shutdown``,
    ``close``, ``settimeout``, ``fileno``...) over a handshaken ``ssl.SSLSocket``, with every
    call into its TLS state made under one lock.

    Args:
        tls: a TLS socket whose handshake is done; it is made non-blocking here.
    """

    def __init__(self, tls: ssl.SSLSocket):
        self._tls = tls
        self._lock = threading.Lock()
        self._send_timeout_s: float | None = None
        tls.setblocking(False)

    def recv(self, bufsize: int) -> bytes:
        """Up to ``bufsize`` bytes of plaintext, waiting (without the lock) for the network;
        ``b""`` at the end of the stream."""
        while True:
            with self._lock:
                try:
                    return self._tls.recv(bufsize)
                except ssl.SSLWantReadError:
                    wanted = select.POLLIN
                except ssl.SSLWantWriteError:
                    wanted = select.POLLOUT
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    return b""
            self._wait(wanted, None)

    def sendall(self, data: Any) -> None:
        """Send all of ``data``; waits for the network without the lock, at most the last
        :meth:`settimeout` (then ``TimeoutError``)."""
        timeout_s = self._send_timeout_s
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with memoryview(data) as view, view.cast("B") as left:
            while len(left):
                with self._lock:
                    try:
                        # After a want-write the same bytes are offered again, as OpenSSL
                        # requires (Python allows them to move).
                        left = left[self._tls.send(left) :]
                        continue
                    except ssl.SSLWantWriteError:
                        wanted = select.POLLOUT
                    except ssl.SSLWantReadError:
                        wanted = select.POLLIN
                self._wait(wanted, deadline)

    def settimeout(self, timeout_s: float | None) -> None:
        """Bound later sends (``websockets`` sets the closing deadline here); the socket
        itself stays non-blocking."""
        self._send_timeout_s = timeout_s

    def shutdown(self, how: int) -> None:
        with self._lock:
            self._tls.shutdown(how)

    def close(self) -> None:
        # No lock: close() must end a reader that is waiting, and the socket is done with.
        self._tls.close()

    def fileno(self) -> int:
        return self._tls.fileno()

    def __getattr__(self, name: str) -> Any:  # getsockname, getpeername, family...
        return getattr(self._tls, name)

    def _wait(self, wanted: int, deadline: float | None) -> None:
        poller = select.poll()
        poller.register(self._tls.fileno(), wanted)
        if deadline is None:
            poller.poll()
            return
        left_s = deadline - time.monotonic()
        if left_s <= 0 or not poller.poll(left_s * 1000):
            raise TimeoutError("timed out sending on the TLS connection")


class SerialTLSConnection(ClientConnection):
    """A ``websockets.sync`` client connection whose TLS socket (if any) is a
    :class:`SerialTLSSocket`: pass ``create_connection=SerialTLSConnection`` to ``connect``."""

    def __init__(self, socket: socket.socket, *args: Any, **kwargs: Any) -> None:
        if isinstance(socket, ssl.SSLSocket):
            socket = SerialTLSSocket(socket)  # type: ignore[assignment]
        super().__init__(socket, *args, **kwargs)
