"""HTTP setup of the benchmark's sessions: the agent's login, support sessions, customer joins."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from scripts.relay_bench.errors import BenchError
from scripts.relay_bench.relay_process import AGENT_PASSWORD, AGENT_USERNAME, Relay

logger = logging.getLogger("bench_relay")

HTTP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Pair:
    """One support session with both participants' credentials."""

    index: int
    session_id: str
    agent_token: str
    customer_token: str


class Api:
    """Keep-alive JSON calls to the relay; one HTTP connection per calling thread."""

    def __init__(self, base_url: str) -> None:
        host_port = base_url.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self._local = threading.local()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """Send one request and return the decoded JSON body.

        Raises:
            BenchError: any status other than 200/201/202.
        """
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):  # a kept-alive connection the server closed is retried once
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT_S)
                self._local.conn = conn
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        if response.status not in (200, 201, 202):
            raise BenchError(f"{method} {path} answered {response.status}: {data[:500]!r}")
        return json.loads(data)

    def new_pair(self, index: int, agent_token: str) -> Pair:
        """Create one support session and join it as a customer."""
        support = self.call("POST", "/api/supports", token=agent_token)["support"]
        joined = self.call(
            "POST", "/api/join", {"code": support["code"], "name": f"Customer {index}"}
        )
        return Pair(index, joined["session_id"], agent_token, joined["customer_token"])


def create_pairs(relay: Relay, count: int) -> list[Pair]:
    """Log the bench agent in and create `count` joined support sessions."""
    api = Api(relay.url)
    token = api.call(
        "POST", "/api/login", {"username": AGENT_USERNAME, "password": AGENT_PASSWORD}
    )["token"]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        pairs = list(pool.map(lambda i: api.new_pair(i, token), range(count)))
    logger.info("created %d sessions in %.1f s", count, time.monotonic() - started)
    return pairs
