"""The database's readiness probe (``GET /ready``) on a connection of its own, not the pool's.

A node taking over a dead node's sessions reads each of them (a few queries a session) through
the store's pool of :data:`~relay_server.store.postgres.POOL_MAX` connections. When the probe
queued behind those reads it gave up after :data:`READY_TIMEOUT_S` ("couldn't get a
connection"), the balancer marked the busy node down (two failed checks), and the takeover's
clients found no node at all (measured: all three nodes down for ~8 s at 334 sessions
taken over; docs/performance.md). A busy database is not a down one: the probe asks it on
its own connection, reopened when it broke, and says what is wrong when it cannot.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg

READY_TIMEOUT_S = 2.0


class ReadinessProbe:
    """``SELECT 1`` on one connection kept for it (one at a time; a second caller that waits
    longer than :data:`READY_TIMEOUT_S` for the first is told so)."""

    def __init__(self, url: str, kwargs: dict[str, Any]):
        self.url = url
        self.kwargs = {**kwargs, "connect_timeout": max(1, int(READY_TIMEOUT_S))}
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()

    def check(self) -> str | None:
        """None when the database answers, else why not."""
        if not self._lock.acquire(timeout=READY_TIMEOUT_S):
            return "the previous readiness check is still waiting for the database"
        try:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(self.url, autocommit=True, **self.kwargs)
                self._conn.execute("SELECT 1")
            except psycopg.Error as error:
                self.close()
                return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            return None
        finally:
            self._lock.release()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass
