"""Shared documents changed on one node, read again on the others within a second.

Several nodes on one database each keep a copy of the shared tables (:data:`SHARED_TABLES`:
accounts and their tokens, options and their audit log, reservations, personal invitation
links, favourites, agent data) and their domains keep indexes over them. After a commit that
changed rows of those tables, the node announces ``{table: [ids]}`` through the hub (one
``PUBLISH`` per commit, not per change); every other node reads those rows again from the
store (one query per table) and tells the domains that listen to the table (the options
take their values again, the accounts recheck their tokens, the reservations and the links
re-index, the agent data and favourites learn an account's first row).

A node that was down when a notice went out reads everything at its start anyway; a node
whose subscription was lost hears ``RESYNC`` when it is back and reads the whole tables. A
hub that cannot be reached when a node commits loses that notice: the others see the change
when they next read the row (the tokens within ``TOKEN_RECHECK_S``) or restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from relay_server.hub.interface import RESYNC, Hub, HubError
from relay_server.store.interface import Store

logger = logging.getLogger(__name__)

TOPIC = "changed"
# The shared tables whose changes the other nodes read at once.
SHARED_TABLES = (
    "accounts", "tokens", "options", "audit", "reservations",
    "invitations", "favourites", "agent_data",
)  # fmt: skip

# A domain's listener: the ids of its table that changed, or None (read everything again).
ChangeListener = Callable[[list[int] | None], None]
# ``SharedChanges.listen``, as handed to the routes whose domains cache a shared table.
Listen = Callable[[str, ChangeListener], None]


class SharedChanges:
    """Announces this node's changes of :data:`SHARED_TABLES` and applies the others'."""

    def __init__(self, store: Store, hub: Hub):
        self.store = store
        self.hub = hub
        self._listeners: dict[str, list[ChangeListener]] = {}
        self.applied = 0  # notices applied here (tests, logs)
        store.on_commit(SHARED_TABLES, self._committed)
        hub.on_announce(self._announced)

    def listen(self, table: str, listener: ChangeListener) -> None:
        """Call ``listener`` after rows of ``table`` changed on another node were read again."""
        self._listeners.setdefault(table, []).append(listener)

    def _committed(self, changes: dict[str, list[int]]) -> None:
        try:
            self.hub.announce(TOPIC, json.dumps(changes, separators=(",", ":")))
        except HubError as error:
            logger.warning("shared changes not announced: %s", error, extra={"tables": changes})

    def _announced(self, topic: str, text: str) -> None:
        if topic == RESYNC:
            self.apply({table: None for table in SHARED_TABLES})
        elif topic == TOPIC:
            changes = json.loads(text)
            self.apply(
                {table: [int(i) for i in ids] for table, ids in changes.items()
                 if table in SHARED_TABLES}
            )  # fmt: skip

    def apply(self, changes: dict[str, list[int] | None]) -> None:
        """Read the changed rows again and tell each table's listeners."""
        for table, ids in changes.items():
            try:
                self.store.refresh(table, ids)
                for listener in self._listeners.get(table, []):
                    listener(ids)
            except Exception:
                logger.exception("another node's change could not be applied",
                                 extra={"table": table})  # fmt: skip
        self.applied += 1
