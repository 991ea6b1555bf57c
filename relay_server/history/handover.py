"""The handover of an ended session from the live store to the history archive (A10, AD2).

When a session ends, its live parts (the session document, its chat table, its notes, what
the screen and file channels counted) become one archive record
(:meth:`HistoryHandover.archive`), appended and fsynced by :class:`History`; then the store
forgets them, so TinyDB only ever holds live data. At start, :meth:`HistoryHandover.recover`
moves sessions ended before the history existed into it, and finishes ends a crash
interrupted (archived, yet still live in the store).
"""

from __future__ import annotations

import logging
from typing import Any

from relay_server.history.history import History
from relay_server.history.usage import SessionUsage
from relay_server.sessions.chat_log import ChatLog, chat_table
from relay_server.sessions.notes import SessionNotes
from relay_server.sessions.supports import SupportSession
from relay_server.store import Store

logger = logging.getLogger(__name__)

SESSION_RECORDS = "session_records"  # ended sessions before the history archive: migrated


class HistoryHandover:
    """Turns ended sessions into history records and takes them out of the store.

    Args:
        store: the relay's store (live sessions, chat tables, notes).
        notes: the live sessions' notes.
        history: where records go.
        usage: presentation, control and file counts of the live sessions.
    """

    def __init__(self, store: Store, notes: SessionNotes, history: History, usage: SessionUsage):
        self.store = store
        self.notes = notes
        self.history = history
        self.usage = usage

    def archive(
        self, session: SupportSession, chat: ChatLog | None, ended_by_admin: str = ""
    ) -> dict[str, Any]:
        """Archive an ended ``session`` (durable when this returns) and drop its chat table
        and notes from the store (durable at the store's next sync). ``ended_by_admin``: the
        admin who ended it (AD5), if one did.

        Returns:
            the archived record.
        """
        ended = session.to_record()
        # Every participant with join and leave times (history); no customer token is kept.
        ended["participants"] = session.participant_records()
        ended.pop("customers", None)
        ended.pop("departed", None)
        ended["customer_name"] = session.customer_name
        record = self.record(ended, chat)
        record.update(self.usage.pop(session.id))
        if ended_by_admin:
            record["ended_by_admin"] = ended_by_admin
        self.history.add(record)  # appended and fsynced: the end is durable from here
        self.forget_stored(session.id)
        return record

    def record(self, record: dict[str, Any], chat: ChatLog | None) -> dict[str, Any]:
        """An ended session's archive record: the session, its transcript and notes (C4, P11)."""
        session_id = record["id"]
        record.pop("customer_token", None)
        chat = chat or ChatLog(self.store, session_id)
        record["messages"] = [
            {k: v for k, v in message.items() if k != "client_id"} for message in chat.messages
        ]
        # Messages people wrote: a file's entry in the conversation is counted in file_count.
        record["message_count"] = sum("file" not in message for message in chat.messages)
        started = record.get("started_at") or record.get("created_at") or 0.0
        if record.get("duration_s") is None:
            record["duration_s"] = round(max(0.0, (record.get("ended_at") or started) - started), 3)
        notes = self.notes.get(session_id)
        record["notes"] = notes["notes"]
        record["notes_updated_at"] = notes["updated_at"]
        return record

    def forget_stored(self, session_id: str) -> None:
        """Drop what the store kept of a session that is in the history now."""
        if self.store.has_table(chat_table(session_id)):
            self.store.drop_table(chat_table(session_id))
        self.notes.forget(session_id)

    def recover(self, live_table: str) -> None:
        """At start: move ended sessions from the store into the history (a store written
        before the history existed), and finish ends a crash interrupted (archived, yet still
        in ``live_table``)."""
        moved = 0
        records = sorted(self.store.all(SESSION_RECORDS), key=lambda d: d.get("ended_at") or 0)
        for doc in records:
            record = dict(doc)
            if str(record.get("id")) not in self.history:
                record = self.record(record, None)
                record.setdefault("presentations", 0)
                record.setdefault("control_grants", 0)
                record.setdefault("files", [])
                self.history.add(record)
            self.store.remove(SESSION_RECORDS, doc.doc_id)
            self.forget_stored(str(record.get("id")))
            moved += 1
        for doc in self.store.all(live_table):
            if str(doc.get("id")) in self.history:
                self.store.remove(live_table, doc.doc_id)
                self.forget_stored(doc["id"])
                moved += 1
        if moved:
            self.store.sync()
            logger.info("moved %d ended sessions into the history", moved)
