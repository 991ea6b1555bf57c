"""A TCP proxy that cuts a connection after so many bytes: a dropped network, for real.

Tests point a client at the proxy instead of the relay. ``cut_next(up=N)`` makes the next
connection break (both sockets closed, no goodbye) once N bytes went client → relay;
``down=N`` counts relay → client bytes instead. Later connections pass untouched, so a client
that resumes gets through. A browser keeps connections open and reuses them, so "the next
connection" may never come: ``cut_busiest(up=N)`` breaks whichever connection, already open or
not, is first to carry N more bytes client → relay from now on (the upload, not a websocket).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

BUFFER_BYTES = 256 * 1024


@dataclass
class _Cut:
    up: int | None = None
    down: int | None = None


class CuttingProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._next_cut: _Cut | None = None
        self._busy_limit: int | None = None  # cut_busiest: bytes up, counted per connection
        self._busy_counts: dict[int, int] = {}
        self._lock = threading.Lock()
        self.cuts_done = 0
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def cut_next(self, up: int | None = None, down: int | None = None) -> None:
        with self._lock:
            self._next_cut = _Cut(up, down)

    def cut_busiest(self, up: int) -> None:
        with self._lock:
            self._busy_limit = up
            self._busy_counts = {}

    def _busy_cut(self, source: socket.socket, size: int) -> bool:
        """Count ``size`` more bytes up on ``source``'s connection; True: cut it now."""
        with self._lock:
            if self._busy_limit is None:
                return False
            key = id(source)
            self._busy_counts[key] = self._busy_counts.get(key, 0) + size
            if self._busy_counts[key] < self._busy_limit:
                return False
            self._busy_limit = None
            self.cuts_done += 1
            return True

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                cut, self._next_cut = self._next_cut, None
            server = socket.create_connection(self.upstream)
            sockets = (client, server)
            threading.Thread(
                target=self._pump,
                args=(client, server, cut.up if cut else None, sockets, True),
                daemon=True,
            ).start()
            threading.Thread(
                target=self._pump,
                args=(server, client, cut.down if cut else None, sockets),
                daemon=True,
            ).start()

    def _pump(self, source, sink, limit, sockets, upward: bool = False) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(BUFFER_BYTES)
                if not data:
                    break
                if upward and self._busy_cut(source, len(data)):
                    break
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: max(0, limit - sent)])
                    self.cuts_done += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
