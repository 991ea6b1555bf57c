"""The transcript of one support session, kept in the store (table ``chat:<session id>``)."""

from __future__ import annotations

from typing import Any

from relay_server.store import Store

MAX_REPLAY = 5000


def chat_table(session_id: str) -> str:
    return f"chat:{session_id}"


class ChatLog:
    """Chat messages of one session; ids increase from 1 and equal the store's doc ids.

    Idempotent: a message whose ``(sender, client_id)`` is already stored is not stored again
    (the sender: its participant id; several customers may pick the same client id).
    """

    def __init__(self, store: Store, session_id: str):
        self.store = store
        self.table = chat_table(session_id)
        self.messages: list[dict[str, Any]] = [
            dict(doc, id=doc.doc_id) for doc in store.all(self.table)
        ]
        self.messages.sort(key=lambda m: m["id"])
        self._by_client = {(_sender(m), m["client_id"]): m for m in self.messages}
        # Runtime state, not stored: how far each role has read.
        self.read_up_to: dict[str, int] = {"agent": 0, "customer": 0}

    def find(self, participant_id: str, client_id: str) -> dict[str, Any] | None:
        return self._by_client.get((participant_id, client_id))

    def append(
        self,
        role: str,
        name: str,
        client_id: str,
        text: str,
        now: float,
        participant_id: str = "",
        file: dict[str, Any] | None = None,
        link: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a new message (durable after the store's next sync); returns it with its id.

        Args:
            participant_id: the sender's (several customers share the role "customer").
            file: for a file transfer's entry, the transfer's ``{id, name, size, type}``
                (``text`` is then the file's name, for readers that know no files).
            link: for a favourite link's card (CH7), ``{title, url}`` (``text`` is the URL).
        """
        doc: dict[str, Any] = {
            "client_id": client_id, "role": role, "participant_id": participant_id,
            "name": name, "text": text, "sent_at": now,
        }  # fmt: skip
        if participant_id:
            doc["participant_id"] = participant_id
        if file is not None:
            doc["file"] = file
        if link is not None:
            doc["link"] = link
        doc_id = self.store.insert(self.table, doc)
        message = dict(doc, id=doc_id)
        self.messages.append(message)
        self._by_client[(_sender(message), client_id)] = message
        return message

    def after(self, last_seen_id: int) -> list[dict[str, Any]]:
        """Messages with an id above ``last_seen_id`` (the newest ``MAX_REPLAY`` at most)."""
        missed = [m for m in self.messages[-MAX_REPLAY:] if m["id"] > last_seen_id]
        return missed

    @property
    def last_id(self) -> int:
        return self.messages[-1]["id"] if self.messages else 0


def _sender(message: dict[str, Any]) -> str:
    """Who sent a stored message: its participant id (older records: its role)."""
    return message.get("participant_id") or message["role"]
