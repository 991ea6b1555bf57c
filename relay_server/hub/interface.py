"""The :class:`Hub` protocol: what relay nodes share live, apart from the durable store.

Durable data (accounts, session records, chat, files' metadata) is the store's (PostgreSQL
when there are several nodes). The hub holds what is short-lived and must agree across
nodes at once:

- **claims**: an access code or an icon number is held by one session relay-wide; a claim
  is atomic (first come wins) and expires by itself (a dead node's codes come free).
- **the session directory**: which node owns a live session. Each node holds one lease on
  itself (a heartbeat it renews every tick, whatever its number of sessions); a session's
  owner counts only while its node's lease lives, so a dead node's sessions all come free
  when its one lease expires, and another node takes them over.
- **throttles**: counts in fixed windows that every node adds to (relay-wide budgets and
  per-address windows).
- **presence**: a name (an agent, a node) seen live within a time-to-live.
- **delivery**: a chat or control frame published for a session reaches every node that
  has members of it; each frame carries its message id and :class:`Delivery` drops repeats.
- **notices**: a short text on a topic for every other node (``announce``): the shared
  documents a node changed, so that the others read them again (``hub/changes.py``).

Screen frames and file bytes never go through the hub (docs/architecture.md, *Several
relay nodes*): those sockets end on the session's owner.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import NamedTuple, Protocol

# What a subscriber is called with: (session id, message id, frame).
DeliveryHandler = Callable[[str, str, str], None]
# What a notice's listener is called with: (topic, text). The topic RESYNC (no text) says that
# notices may have been missed (the hub's subscription was lost a while): read everything again.
NoticeHandler = Callable[[str, str], None]
RESYNC = "resync"
REMEMBERED_MESSAGE_IDS = 4096  # per node: repeats older than this many frames are not seen


class HubError(Exception):
    """The hub cannot be used (Redis unreachable, refused the password)."""


class OwnerLease(NamedTuple):
    """A session's live owner as the hub has it (``Hub.owner_lease``)."""

    owner: str | None  # None: no live node owns it
    lease_left_ms: int  # until the owner's node lease ends (0 without an owner)
    owned_ms: int  # since the owner took (or created) the session (0 without an owner)


class Hub(Protocol):
    """Shared live state; every method is one round trip to Redis at most."""

    kind: str  # "local" or "redis"
    node_id: str  # this node's name in the directory (unique per process)

    def claim(self, kind: str, value: str, holder: str, ttl_s: float) -> bool:
        """Hold ``kind:value`` for ``holder`` for ``ttl_s``; False when someone else holds it.

        Claiming again what ``holder`` already holds renews it.
        """
        ...

    def release(self, kind: str, value: str, holder: str) -> None:
        """Let go of a claim (only its holder's)."""
        ...

    def holder(self, kind: str, value: str) -> str | None: ...

    def take_session(self, session_id: str, ttl_s: float) -> str:
        """Own ``session_id`` unless a live node owns it (renewing this node's lease of
        ``ttl_s`` if it lapsed); returns the owner: this node's id, or the live owner's."""
        ...

    def take_sessions(self, session_ids: Collection[str], ttl_s: float) -> dict[str, str]:
        """:meth:`take_session` of each of ``session_ids`` in one round trip (sessions taken
        over together): ``session id -> owner``."""
        ...

    def heartbeat(self, ttl_s: float) -> None:
        """Renew this node's lease (one round trip, whatever its number of sessions)."""
        ...

    def owner(self, session_id: str) -> str | None:
        """The session's owner while that node's lease lives; else None."""
        ...

    def owner_lease(self, session_id: str) -> OwnerLease:
        """The session's live owner (as :meth:`owner`), the milliseconds its node's lease
        has left and how long it has owned the session (both 0 when there is no live owner),
        read together (one round trip): a node that refuses ``wrong_node`` tells the client
        when to come back."""
        ...

    def live_nodes(self) -> set[str]:
        """The nodes whose lease lives (this one's included once it has one)."""
        ...

    def hand_over(self, session_id: str) -> None:
        """Stop owning one session (it ended, or is handed over): another node may take it."""
        ...

    def leave(self) -> None:
        """Drop this node's lease (a drain): every session it owned is free at once."""
        ...

    def hit(self, key: str, window_s: float, now: float) -> int:
        """Count one event of ``key`` in the window holding ``now``; returns the count."""
        ...

    def count(self, key: str, window_s: float, now: float) -> int:
        """Events of ``key`` in the window holding ``now``, without counting one."""
        ...

    def set_presence(self, name: str, ttl_s: float) -> None: ...

    def present(self, name: str) -> str | None:
        """The node that marked ``name`` present, while its mark lives; else None."""
        ...

    def publish(self, session_id: str, message_id: str, frame: str) -> None:
        """Send a frame to the other nodes with members of ``session_id``."""
        ...

    def follow(self, session_id: str) -> None:
        """Receive the session's frames on this node (it has members there)."""
        ...

    def unfollow(self, session_id: str) -> None: ...

    def on_delivery(self, handler: DeliveryHandler) -> None:
        """Call ``handler`` for each frame another node published for a followed session."""
        ...

    def announce(self, topic: str, text: str) -> None:
        """Tell every other node (one round trip); nodes that are down never hear it."""
        ...

    def on_announce(self, handler: NoticeHandler) -> None:
        """Call ``handler`` for each notice another node announces from now on."""
        ...

    def round_trips(self) -> int:
        """Requests sent to the hub's server so far (0 for a local hub)."""
        ...

    def check(self) -> str | None:
        """None when the hub answers (``/ready``), else what is wrong."""
        ...

    def close(self) -> None: ...


class Delivery:
    """Drops frames already delivered on this node: by message id, the newest
    :data:`REMEMBERED_MESSAGE_IDS` of them (a resend or a second path to the same node)."""

    def __init__(self, limit: int = REMEMBERED_MESSAGE_IDS):
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._limit = limit

    def first_time(self, session_id: str, message_id: str) -> bool:
        key = (session_id, message_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return True
