"""The agents' icon numbers over the store: ``icon_numbers`` table, one document per number.

The rule is :class:`icon_numbers.IconNumbers` (pure); this module loads it at start-up and
writes what it changes (durable with the store's next sync, which ``new_support`` waits for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from relay_server.sessions.icon_numbers import IconHolder, IconNumbers
from relay_server.store import Store

ICON_NUMBERS = "icon_numbers"


class AgentIcons:
    """Per-agent icon numbers that survive a relay restart."""

    def __init__(self, store: Store):
        self.store = store
        self.numbers = IconNumbers()
        self._doc_ids: dict[int, int] = {}
        for doc in store.all(ICON_NUMBERS):
            self.numbers.holders[doc["icon"]] = IconHolder(doc["username"], doc["last_used"])
            self._doc_ids[doc["icon"]] = doc.doc_id

    def number_for(
        self, username: str, live: Mapping[int, Iterable[str]], now: float
    ) -> int | None:
        """The number for a new support of ``username`` (see ``IconNumbers.number_for``)."""
        before = dict(self.numbers.holders)
        icon = self.numbers.number_for(username, live, now)
        for gone in before.keys() - self.numbers.holders.keys():
            self.store.remove(ICON_NUMBERS, self._doc_ids.pop(gone))
        if icon is not None:
            doc = {"icon": icon, "username": username, "last_used": now}
            if icon in self._doc_ids:
                self.store.update(ICON_NUMBERS, self._doc_ids[icon], doc)
            else:
                self._doc_ids[icon] = self.store.insert(ICON_NUMBERS, doc)
        return icon
