"""A TCP proxy that throttles what the relay sends one viewer (the slow-viewer case)."""

from __future__ import annotations

import socket
import threading
import time


class ThrottledProxy:
    """Forwards 127.0.0.1:port to the relay; relay→client bytes limited to ``rate`` bytes/s."""

    def __init__(self, target_port: int, rate: int) -> None:
        self.target_port = target_port
        self.rate = rate
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            # Small buffers so the throttle is felt by the relay, not absorbed by the kernel.
            for sock in (client, upstream):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.rate),
                             daemon=True).start()  # fmt: skip

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, rate: int | None) -> None:
        started, sent = time.monotonic(), 0
        try:
            while True:
                data = source.recv(4096)
                if not data:
                    break
                sink.sendall(data)
                if rate:
                    sent += len(data)
                    ahead = sent / rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()
