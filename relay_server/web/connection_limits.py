"""Limits on client connections: how long each part of a request may take, how many per address.

Pure rules and numbers; :mod:`relay_server.web.http_server` applies them to gevent's server.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_BODY_BYTES_PER_S = 500.0  # each 500 bytes of a request body buy one more second


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How long each part of an HTTP request may take, and connections per peer address.

    ``max_per_address`` 0 means no cap (behind a proxy every connection comes from it).
    """

    header_timeout_s: float = 10.0
    body_timeout_s: float = 20.0
    keepalive_timeout_s: float = 15.0
    max_per_address: int = 64


class RequestTimedOut(TimeoutError):
    """The client did not send (part of) its request in time; the connection is closed.

    An ``OSError``, so code that treats a vanished client as one (the file spool) does here too.
    """


class AddressSlots:
    """Counts open connections per address against a cap. Pure: no sockets, no clock."""

    def __init__(self, max_per_address: int):
        self.max_per_address = max_per_address
        self._open: dict[str, int] = {}
        self.refused = 0

    def admit(self, address: str) -> bool:
        """Take a slot for ``address``: False (and counted) when it holds the maximum."""
        held = self._open.get(address, 0)
        if self.max_per_address and held >= self.max_per_address:
            self.refused += 1
            return False
        self._open[address] = held + 1
        return True

    def leave(self, address: str) -> None:
        """Give back a slot :meth:`admit` took."""
        held = self._open.get(address, 0)
        if held <= 1:
            self._open.pop(address, None)
        else:
            self._open[address] = held - 1

    def held(self, address: str) -> int:
        return self._open.get(address, 0)

    def __len__(self) -> int:
        return len(self._open)
