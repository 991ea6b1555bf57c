"""An agent's short messages and preferences, stored with the account on the relay.

One document per account in the store's ``agent_data`` table: ``{username, short_messages,
revision, preferences, updated_at}``. The rules are in ``agent_data_rules.py``; the routes in
``routes.py``. Changes are durable after the store's next sync (the routes wait for it).
``revision`` counts the saves of the short-message list, so a window that saves an older list
than another window saved meanwhile is told (``short_messages_changed``) instead of
overwriting it.
"""

from __future__ import annotations

from typing import Any

from relay_server.accounts.agent_data_rules import (
    AgentDataError,
    apply_preferences,
    check_preferences,
    check_short_messages,
    merge_imported,
    with_defaults,
)
from relay_server.store import Store

AGENT_DATA = "agent_data"


class AgentData:
    """Short messages and preferences per account, over the store."""

    def __init__(self, store: Store):
        self.store = store
        self._doc_ids: dict[str, int] = {
            doc["username"]: doc.doc_id for doc in store.all(AGENT_DATA)
        }

    def changed(self, doc_ids: list[int] | None) -> None:
        """Several nodes: another node wrote these rows (the store has read them again; all
        for ``None``): an account's first row written there is found here too."""
        if doc_ids is None:
            self._doc_ids = {doc["username"]: doc.doc_id for doc in self.store.all(AGENT_DATA)}
            return
        for doc_id in doc_ids:
            doc = self.store.get(AGENT_DATA, doc_id)
            if doc is not None:
                self._doc_ids.setdefault(doc["username"], doc_id)
            else:
                self._doc_ids = {u: i for u, i in self._doc_ids.items() if i != doc_id}

    def _doc(self, username: str) -> dict[str, Any]:
        doc_id = self._doc_ids.get(username)
        doc = self.store.get(AGENT_DATA, doc_id) if doc_id is not None else None
        return dict(doc) if doc else {"short_messages": [], "revision": 0, "preferences": {}}

    def _write(self, username: str, fields: dict[str, Any], now: float) -> None:
        fields = {**fields, "updated_at": now}
        doc_id = self._doc_ids.get(username)
        if doc_id is None:
            base = {"username": username, "short_messages": [], "revision": 0, "preferences": {}}
            self._doc_ids[username] = self.store.insert(AGENT_DATA, {**base, **fields})
        else:
            self.store.update(AGENT_DATA, doc_id, fields)

    # -- short messages --------------------------------------------------------------------

    def short_messages(self, username: str) -> dict[str, Any]:
        """``{short_messages, revision}``."""
        doc = self._doc(username)
        return {"short_messages": doc["short_messages"], "revision": doc["revision"]}

    def put_short_messages(
        self, username: str, value: Any, revision: Any, now: float
    ) -> dict[str, Any]:
        """Replace the list. ``revision`` is the one the client last read (None: no check).

        Raises:
            AgentDataError: a bad list; ``short_messages_changed`` when another window saved
                since ``revision`` (details: the current ``revision``).
        """
        clean = check_short_messages(value)
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            raise AgentDataError("bad_request", "'revision' must be a whole number")
        current = self._doc(username)["revision"]
        if revision is not None and revision != current:
            raise AgentDataError(
                "short_messages_changed",
                "the short messages were changed in another window; load them again",
                details={"revision": current},
            )
        self._write(username, {"short_messages": clean, "revision": current + 1}, now)
        return self.short_messages(username)

    def import_short_messages(self, username: str, value: Any, now: float) -> dict[str, Any]:
        """Add messages kept on one machine (before they followed the account): those whose
        key the account has not got. Idempotent: the same import twice adds nothing.

        Returns:
            ``{short_messages, revision, added}``.
        """
        imported = check_short_messages(value)
        doc = self._doc(username)
        merged, added = merge_imported(doc["short_messages"], imported)
        if added:
            self._write(username, {"short_messages": merged, "revision": doc["revision"] + 1}, now)
        return {**self.short_messages(username), "added": added}

    # -- preferences -----------------------------------------------------------------------

    def preferences(self, username: str) -> dict[str, Any]:
        return with_defaults(self._doc(username)["preferences"])

    def update_preferences(self, username: str, changes: Any, now: float) -> dict[str, Any]:
        """Apply a partial change (checked as a whole; nothing is stored when it is refused)."""
        clean = check_preferences(changes)
        stored = self._doc(username)["preferences"]
        self._write(username, {"preferences": apply_preferences(stored, clean)}, now)
        return self.preferences(username)
