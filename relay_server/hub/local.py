"""The local hub: one relay node, everything in this process (``--hub local``, the default).

Several :class:`LocalHub` objects may share one :class:`LocalHubState`: then they behave as
nodes of one relay (the hub's contract tests run the same cases here and on Redis).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from relay_server.hub.interface import DeliveryHandler, NoticeHandler, OwnerLease

_node_numbers = itertools.count(1)


@dataclass
class LocalHubState:
    """What the nodes of one process share; times from ``clock`` (monotonic by default)."""

    clock: Callable[[], float] = time.monotonic
    values: dict[str, tuple[str, float]] = field(default_factory=dict)  # key -> (value, until)
    owners: dict[str, str] = field(default_factory=dict)  # session id -> node id
    owned_at: dict[str, float] = field(default_factory=dict)  # session id -> when taken
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (window, n)
    hubs: list[LocalHub] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: str) -> str | None:
        held = self.values.get(key)
        if held is None:
            return None
        if held[1] <= self.clock():
            del self.values[key]
            return None
        return held[0]


class LocalHub:
    kind = "local"

    def __init__(self, state: LocalHubState | None = None, node_id: str | None = None):
        self.state = state or LocalHubState()
        self.node_id = node_id or f"local-{next(_node_numbers)}"
        self._followed: set[str] = set()
        self._handlers: list[DeliveryHandler] = []
        self._notice_handlers: list[NoticeHandler] = []
        self.state.hubs.append(self)

    def claim(self, kind: str, value: str, holder: str, ttl_s: float) -> bool:
        key = f"claim:{kind}:{value}"
        with self.state.lock:
            held = self.state.get(key)
            if held is not None and held != holder:
                return False
            self.state.values[key] = (holder, self.state.clock() + ttl_s)
            return True

    def release(self, kind: str, value: str, holder: str) -> None:
        key = f"claim:{kind}:{value}"
        with self.state.lock:
            if self.state.get(key) == holder:
                del self.state.values[key]

    def holder(self, kind: str, value: str) -> str | None:
        with self.state.lock:
            return self.state.get(f"claim:{kind}:{value}")

    def take_session(self, session_id: str, ttl_s: float) -> str:
        with self.state.lock:
            owner = self._live_owner(session_id)
            if owner is not None and owner != self.node_id:
                return owner
            if self.state.owners.get(session_id) != self.node_id:
                self.state.owned_at[session_id] = self.state.clock()
            self.state.owners[session_id] = self.node_id
            if self.state.get(f"node:{self.node_id}") is None:
                self.state.values[f"node:{self.node_id}"] = ("1", self.state.clock() + ttl_s)
            return self.node_id

    def take_sessions(self, session_ids: Collection[str], ttl_s: float) -> dict[str, str]:
        return {session_id: self.take_session(session_id, ttl_s) for session_id in session_ids}

    def heartbeat(self, ttl_s: float) -> None:
        with self.state.lock:
            self.state.values[f"node:{self.node_id}"] = ("1", self.state.clock() + ttl_s)

    def owner(self, session_id: str) -> str | None:
        with self.state.lock:
            return self._live_owner(session_id)

    def owner_lease(self, session_id: str) -> OwnerLease:
        with self.state.lock:
            owner = self._live_owner(session_id)
            if owner is None:
                return OwnerLease(None, 0, 0)
            now = self.state.clock()
            until = self.state.values[f"node:{owner}"][1]
            since = self.state.owned_at.get(session_id, now)
            return OwnerLease(owner, max(0, round((until - now) * 1000)),
                              max(0, round((now - since) * 1000)))  # fmt: skip

    def live_nodes(self) -> set[str]:
        with self.state.lock:
            names = [key[len("node:") :] for key in self.state.values if key.startswith("node:")]
            return {name for name in names if self.state.get(f"node:{name}") is not None}

    def hand_over(self, session_id: str) -> None:
        with self.state.lock:
            if self.state.owners.get(session_id) == self.node_id:
                del self.state.owners[session_id]
                self.state.owned_at.pop(session_id, None)

    def leave(self) -> None:
        with self.state.lock:
            self.state.values.pop(f"node:{self.node_id}", None)

    def _live_owner(self, session_id: str) -> str | None:
        owner = self.state.owners.get(session_id)
        if owner is None or self.state.get(f"node:{owner}") is None:
            return None
        return owner

    def hit(self, key: str, window_s: float, now: float) -> int:
        window = int(now // window_s)
        with self.state.lock:
            held = self.state.counts.get(key)
            hits = held[1] + 1 if held is not None and held[0] == window else 1
            self.state.counts[key] = (window, hits)
            return hits

    def count(self, key: str, window_s: float, now: float) -> int:
        with self.state.lock:
            held = self.state.counts.get(key)
            return held[1] if held is not None and held[0] == int(now // window_s) else 0

    def forget(self, key: str) -> None:
        """Drop a count (the local hub's memory; Redis expires its own)."""
        with self.state.lock:
            self.state.counts.pop(key, None)

    def set_presence(self, name: str, ttl_s: float) -> None:
        with self.state.lock:
            until = self.state.clock() + ttl_s
            self.state.values[f"presence:{name}"] = (self.node_id, until)

    def present(self, name: str) -> str | None:
        with self.state.lock:
            return self.state.get(f"presence:{name}")

    def publish(self, session_id: str, message_id: str, frame: str) -> None:
        for hub in list(self.state.hubs):
            if hub is not self and session_id in hub._followed:
                for handler in hub._handlers:
                    handler(session_id, message_id, frame)

    def follow(self, session_id: str) -> None:
        self._followed.add(session_id)

    def unfollow(self, session_id: str) -> None:
        self._followed.discard(session_id)

    def on_delivery(self, handler: DeliveryHandler) -> None:
        self._handlers.append(handler)

    def announce(self, topic: str, text: str) -> None:
        for hub in list(self.state.hubs):
            if hub is not self:
                for handler in list(hub._notice_handlers):
                    handler(topic, text)

    def on_announce(self, handler: NoticeHandler) -> None:
        self._notice_handlers.append(handler)

    def round_trips(self) -> int:
        return 0

    def check(self) -> str | None:
        return None

    def close(self) -> None:
        if self in self.state.hubs:
            self.state.hubs.remove(self)
