"""Several relay nodes on one database: the mails a dead node left waiting are sent by another.

Each node looks at the hub's live nodes once a second (one round trip). A node that was alive
at the last look and is not now has died (its lease expired, ``SESSION_LEASE_S``) or drained:
:meth:`Outbox.adopt` takes over its waiting mails, each claimed in the store so that exactly
one node sends it. At the first look, the nodes named by the waiting mails this node read at
its start and not alive now are taken as dead (they died while this node was down). What a
dead node was ``sending`` is retried every :data:`ORPHANS_RETRY_S` (or half the claim's time,
``--mail-claim``, when that is shorter) until its claim expires.
"""

from __future__ import annotations

from relay_server.hub.interface import Hub
from relay_server.mail.outbox import Outbox

ADOPT_POLL_S = 1.0
ORPHANS_RETRY_S = 30.0


class MailAdoption:
    """Finds the nodes that died since the last look and adopts their mails."""

    def __init__(self, hub: Hub, outbox: Outbox):
        self.hub = hub
        self.outbox = outbox
        self._alive: set[str] | None = None
        self._orphans_at = 0.0

    def poll(self, now: float) -> dict[str, int] | None:
        """One look (one hub round trip); the counts of :meth:`Outbox.adopt` when it ran.

        Raises:
            HubError: the hub cannot be reached (the next look tries again).
        """
        alive = self.hub.live_nodes()
        known = self.outbox.waiting_nodes() if self._alive is None else self._alive
        self._alive = alive
        dead = known - alive - {self.hub.node_id}
        if dead or (self.outbox.orphans and now >= self._orphans_at):
            self._orphans_at = now + min(ORPHANS_RETRY_S, self.outbox.claim_s / 2)
            return self.outbox.adopt(dead, now)
        return None
