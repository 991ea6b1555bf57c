"""The relay's store: TinyDB tables in memory, made durable by a journal and checkpoints.

Every change is applied to the in-memory TinyDB and appended to ``journal.jsonl``; it is
durable once the journal is synced (callers wait for that before acknowledging anything).
A checkpoint writes the whole database atomically to ``relay.json`` (temp file, fsync,
rename) and empties the journal. Opening the store replays whatever the journal holds, so a
relay killed at any moment loses nothing it had acknowledged.

Why not let TinyDB write the file on every change: it rewrites the whole database each time,
which at thousands of chat messages a second would be thousands of full rewrites.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import Middleware
from tinydb.table import Document as TinyDocument

from relay_server.store.interface import Document, StoreError
from relay_server.store.journal import Journal
from suite.atomic_files import AtomicJSONStorage

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024
META_TABLE = "meta"


class _InMemory(Middleware):
    """Keeps the database in memory; only :meth:`flush` writes it to the real storage."""

    def __init__(self, storage_cls):
        super().__init__(storage_cls)
        self.cache: dict[str, Any] | None = None

    def read(self):
        if self.cache is None:
            self.cache = self.storage.read() or {}
        return self.cache

    def write(self, data):
        self.cache = data

    def flush(self) -> None:
        self.storage.write(self.read())

    def close(self) -> None:
        self.storage.close()


class TinyDBStore:
    """The default :class:`~relay_server.store.interface.Store`: one data folder with
    ``relay.json`` (checkpoint), ``journal.jsonl`` and ``relay.lock``.

    Only one process may hold a data folder; a second one gets :class:`StoreError`.
    """

    kind = "tinydb"
    node_id = "local"  # one relay per folder: nobody else claims
    shared_files = None  # one node: its folder is the only one (postgres.py shares files)
    sync_blocks_loop = True

    def __init__(self, folder: str | Path, checkpoint_bytes: int = DEFAULT_CHECKPOINT_BYTES):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.checkpoint_bytes = checkpoint_bytes
        self._lock_fd = self._take_lock()
        self._next_ids: dict[str, int] = {}
        try:
            self._memory = _InMemory(AtomicJSONStorage)
            self.db = TinyDB(self.folder / "relay.json", storage=self._memory)
            self._check_schema()
            journal_path = self.folder / "journal.jsonl"
            replayed = 0
            for change in Journal.replay(journal_path):
                self._apply(change)
                replayed += 1
            self.journal = Journal(journal_path)
            if replayed:
                logger.info("replayed %d journal changes from %s", replayed, journal_path)
                self.checkpoint()
        except Exception:
            os.close(self._lock_fd)
            raise

    def _take_lock(self) -> int:
        fd = os.open(self.folder / "relay.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"data folder {self.folder} is in use by another process "
                "(stop the relay that uses it first)"
            ) from None
        return fd

    def _check_schema(self) -> None:
        meta = self.db.table(META_TABLE)
        doc = meta.get(doc_id=1)
        if doc is None:
            meta.insert(TinyDocument({"schema_version": SCHEMA_VERSION}, doc_id=1))
            self._memory.flush()
            return
        version = doc.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StoreError(
                f"data folder {self.folder} has schema version {version!r}; "
                f"this relay understands up to {SCHEMA_VERSION}: use a newer relay"
            )

    # -- reading ---------------------------------------------------------------------------

    def all(self, table: str) -> list[Document]:
        docs = self._memory.read().get(table, {})
        return sorted((Document(doc, int(key)) for key, doc in docs.items()), key=_doc_id)

    def get(self, table: str, doc_id: int) -> Document | None:
        doc = self._memory.read().get(table, {}).get(str(doc_id))
        return None if doc is None else Document(doc, doc_id)

    def find(self, table: str, predicate: Callable[[Document], bool]) -> Document | None:
        return next((doc for doc in self.all(table) if predicate(doc)), None)

    def lookup(self, table: str, field: str, value: str, fresh: bool = False) -> Document | None:
        """The first document whose ``field`` is ``value`` (one process: memory holds all)."""
        return self.find(table, lambda doc: doc.get(field) == value)

    def lookup_many(
        self, table: str, field: str, values: Collection[str], fresh: bool = False
    ) -> dict[str, Document]:
        wanted = set(values)
        found: dict[str, Document] = {}
        for doc in self.all(table):
            value = doc.get(field)
            if value in wanted and value not in found:
                found[value] = doc
        return found

    def forget(self, table: str) -> None:
        """Nothing to drop: one relay owns the folder, so its memory is never stale."""

    def reload(self, tables: Collection[str]) -> None:
        """Nothing to read again: one relay owns the folder."""

    def refresh(self, table: str, doc_ids: Collection[int] | None) -> None:
        """Nothing to read again: one relay owns the folder."""

    def on_commit(
        self, tables: Collection[str], listener: Callable[[dict[str, list[int]]], None]
    ) -> None:
        """Never called: one relay owns the folder, nobody else to tell."""

    def fence(self, session_ids: Collection[str]) -> None:
        """Nothing to fence: one relay owns the folder."""

    def on_fenced(self, listener: Callable[[set[str]], None]) -> None:
        """Never called: one relay owns the folder."""

    def claim(self, table: str, doc_id: int, ttl_s: float, take_from: Collection[str] = ()) -> bool:
        """One relay per folder: every row that exists is this relay's to work on."""
        return self.get(table, doc_id) is not None

    def has_table(self, name: str) -> bool:
        return name in self._memory.read()

    def tables(self) -> list[str]:
        return sorted(name for name in self._memory.read() if name != META_TABLE)

    # -- writing ---------------------------------------------------------------------------

    def insert(self, table: str, doc: dict[str, Any]) -> int:
        """Insert ``doc``; returns its id. Durable after the next :meth:`sync`.

        O(1): TinyDB's own ``Table.insert`` rebuilds the whole table on every call (1 ms per
        chat message at 5,000 messages), so inserts write the cached data directly.
        """
        doc_id = self._next_id(table)
        self._put(table, doc_id, doc)
        self.journal.append({"t": table, "op": "i", "id": doc_id, "d": doc})
        return doc_id

    def _next_id(self, table: str) -> int:
        next_id = self._next_ids.get(table)
        if next_id is None:
            next_id = max(map(int, self._memory.read().get(table, {})), default=0) + 1
        self._next_ids[table] = next_id + 1
        return next_id

    def _put(self, table: str, doc_id: int, doc: dict[str, Any]) -> None:
        self._memory.read().setdefault(table, {})[str(doc_id)] = dict(doc)
        self._forget_queries(table)

    def _forget_queries(self, table: str) -> None:
        """Drop TinyDB's cached query results for ``table``, if it made a ``Table`` for it.

        Reads go to the memory above, so only ``remove`` and the journal's replay make one;
        ``db.table(name)`` here made one per chat table at its first message (a ``Table``,
        its ``LRUCache`` and ``OrderedDict`` and their dicts per session): at 9,950 sessions
        ~100,000 objects that survived the young passes of the chat's first ten seconds and
        made its middle passes of ~100 ms (docs/performance.md, "Middle passes at the chat's
        start").
        """
        made = self.db._tables.get(table)
        if made is not None:
            made.clear_cache()

    def update(self, table: str, doc_id: int, fields: dict[str, Any]) -> None:
        """Change fields of one document. O(1), as :meth:`insert`: TinyDB's ``Table.update``
        rebuilds the whole table (1.8 ms at 2,000 outbox mails, three times per mail sent).

        Raises:
            KeyError: no document ``doc_id`` in ``table``.
        """
        docs = self._memory.read().get(table, {})
        docs[str(doc_id)].update(fields)
        self._forget_queries(table)
        self.journal.append({"t": table, "op": "u", "id": doc_id, "d": fields})

    def remove(self, table: str, doc_id: int) -> None:
        self.db.table(table).remove(doc_ids=[doc_id])
        self.journal.append({"t": table, "op": "r", "id": doc_id})

    def drop_table(self, table: str) -> None:
        """Forget a whole table (an ended session's chat, once it is in the history)."""
        self.db.drop_table(table)
        self._next_ids.pop(table, None)
        self.journal.append({"t": table, "op": "d", "id": 0})

    def _apply(self, change: dict[str, Any]) -> None:
        op = change["op"]
        if op == "d":
            self.db.drop_table(change["t"])
            self._next_ids.pop(change["t"], None)
            return
        table = self.db.table(change["t"])
        doc_id = change["id"]
        if op == "i":
            self._put(change["t"], doc_id, change["d"])
            self._next_ids.pop(change["t"], None)
        elif op == "u":
            if table.contains(doc_id=doc_id):
                table.update(change["d"], doc_ids=[doc_id])
        elif op == "r":
            if table.contains(doc_id=doc_id):
                table.remove(doc_ids=[doc_id])
        else:
            raise StoreError(f"journal holds an unknown change {op!r}")

    # -- durability ------------------------------------------------------------------------

    @property
    def appended(self) -> int:
        return self.journal.appended

    @property
    def synced(self) -> int:
        return self.journal.synced

    def check(self) -> str | None:
        return None  # the folder is locked and open for as long as the store is

    def sync(self) -> int:
        """Make every change so far durable; returns the journal sequence number reached."""
        return self.journal.sync()

    @property
    def needs_checkpoint(self) -> bool:
        return self.journal.size_bytes >= self.checkpoint_bytes

    def checkpoint(self) -> None:
        """Write the whole database atomically and empty the journal."""
        self.journal.sync()
        self._memory.flush()
        self.journal.truncate()

    def close(self) -> None:
        """Checkpoint and release the data folder."""
        try:
            self.checkpoint()
            self.journal.close()
        finally:
            os.close(self._lock_fd)


def _doc_id(doc: Document) -> int:
    return doc.doc_id
