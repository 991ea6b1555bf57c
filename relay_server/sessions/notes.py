"""Consultation logs (CH5): the agent's notes on a support session, editable after it ends."""

from __future__ import annotations

from typing import Any

from relay_server.store import Store

NOTES = "notes"
MAX_NOTES_CHARS = 20_000


class SessionNotes:
    """One notes document per session, owned by the session's agent."""

    def __init__(self, store: Store):
        self.store = store
        self._doc_ids = {doc["session_id"]: doc.doc_id for doc in store.all(NOTES)}

    def _doc_id(self, session_id: str) -> int | None:
        """The session's notes document; on a shared database one written by the node that
        owned the session before this one (read on use)."""
        doc_id = self._doc_ids.get(session_id)
        if doc_id is None and self.store.kind != "tinydb":
            doc = self.store.lookup(NOTES, "session_id", session_id)
            if doc is not None:
                doc_id = self._doc_ids[session_id] = doc.doc_id
        return doc_id

    def get(self, session_id: str) -> dict[str, Any]:
        doc_id = self._doc_id(session_id)
        doc = self.store.get(NOTES, doc_id) if doc_id else None
        if doc is None:
            return {"session_id": session_id, "notes": "", "updated_at": None}
        return {"session_id": session_id, "notes": doc["notes"], "updated_at": doc["updated_at"]}

    def forget(self, session_id: str) -> None:
        """Drop the session's notes (they moved into its history record)."""
        doc_id = self._doc_id(session_id)
        self._doc_ids.pop(session_id, None)
        if doc_id is not None:
            self.store.remove(NOTES, doc_id)

    def put(self, session_id: str, username: str, notes: str, now: float) -> dict[str, Any]:
        """Replace the notes (durable after the store's next sync)."""
        fields = {"session_id": session_id, "username": username, "notes": notes, "updated_at": now}
        doc_id = self._doc_id(session_id)
        if doc_id is None:
            self._doc_ids[session_id] = self.store.insert(NOTES, fields)
        else:
            self.store.update(NOTES, doc_id, fields)
        return {"session_id": session_id, "notes": notes, "updated_at": now}
