"""Network stand-ins for the agent's relay client: a closed port and impostor HTTP servers."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.ports import free_port


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (a port reserved by
    tests/support/ports.py, which no other test process takes meanwhile)."""
    return f"http://127.0.0.1:{free_port()}"


class Impostors:
    """Stdlib HTTP servers that answer every GET with one fixed (status, content type, body):
    a web server that is not a relay, or a relay of another protocol version."""

    def __init__(self) -> None:
        self._servers: list[ThreadingHTTPServer] = []

    def start(self, status: int, content_type: str, body: bytes) -> str:
        """Start one on a free port of 127.0.0.1 and return its http URL."""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib's name
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
