"""The local API's HTTP server: 127.0.0.1, a random port, a background thread.

The standard library's threaded WSGI server, not gevent's: the GUI process must never be
monkey-patched by gevent (Qt and gevent do not mix).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from suite.agent.app.local_guard import WsgiApp

logger = logging.getLogger(__name__)

WAKE_INTERVAL_S = 0.05  # how often stop() knocks while the serving thread has not stopped


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        logger.debug("%s %s", self.address_string(), format % args)


class LocalServer:
    """The local API on 127.0.0.1 and a random port, served from a daemon thread.

    The socket is bound at construction, so :attr:`port` and :attr:`url` are known before the
    app (whose guard needs the port) is built and handed to :meth:`start`.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        def not_ready(environ: Any, start_response: Any) -> list[bytes]:
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return []

        self._server = make_server(
            host, 0, not_ready, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._host = host
        self.port: int = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-api", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, app: WsgiApp) -> LocalServer:
        """Serve ``app`` (already wrapped in :func:`guard`) from a background thread."""
        self._server.set_app(app)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; returns once the serving thread has stopped."""
        if self._thread.is_alive():
            # serve_forever() looks at shutdown()'s request only when its select() returns,
            # at its 0.5 s poll at the latest: a connection of our own wakes it at once (again
            # until it has stopped, in case one came before the request).
            stopping = threading.Thread(target=self._server.shutdown, name="local-api-stop")
            stopping.start()
            while stopping.is_alive():
                with contextlib.suppress(OSError):
                    socket.create_connection((self._host, self.port), timeout=1).close()
                stopping.join(WAKE_INTERVAL_S)
        self._server.server_close()
