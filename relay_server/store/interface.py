"""What the relay's domains need from durable storage: the :class:`Store` protocol.

Every domain (accounts, sessions and their chat, notes, invitations, reservations, the mail
outbox, options and audit log, whiteboards, favourites, agent data, icon numbers) keeps its
own in-memory index and talks to the store in a few shapes only, found by reading every use:

- ``all(table)``: the whole table, read once when the domain starts (and by a few admin
  reads: the audit log, favourites' kept documents);
- ``get(table, doc_id)`` and ``find(table, predicate)``: one document, by id or by a plain
  Python predicate (an account by its user name);
- ``insert`` / ``update`` (merge top-level fields) / ``remove`` / ``drop_table`` (an ended
  session's chat);
- ``lookup`` (a document by one key, read from the database when another node wrote it),
  ``lookup_many`` (many keys at once), ``forget`` and ``reload`` (read tables again: sessions
  taken over, ``reload`` all at once), ``claim`` (one node works on a
  row: a mail being sent), ``refresh`` (read rows another node changed) and
  ``on_commit`` (which shared rows this node changed), for several nodes on one PostgreSQL
  database;
- the durability barrier: a change is durable once ``sync()`` (or the group committer's
  ``wait_durable``, which batches many greenlets' changes into one ``sync``) has returned
  after it; nobody acknowledges a change before that.

Two implementations: :class:`~relay_server.store.store.TinyDBStore` (the default: TinyDB in
memory, a journal and checkpoints in a data folder) and
:class:`~relay_server.store.postgres.PostgresStore` (``--store postgresql://...``). Both
keep ``folder``: the local folder for what is not a database row (files' bytes, photos,
whiteboard images, history exports), and the TinyDB store's history files.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from relay_server.store.shared_files import SharedFiles


class StoreError(Exception):
    """The store cannot be used (folder locked, newer schema, database unreachable, damaged)."""


class Document(dict[str, Any]):
    """One stored document: its fields, and its id in its table as ``doc_id``."""

    __slots__ = ("doc_id",)

    def __init__(self, fields: dict[str, Any], doc_id: int):
        super().__init__(fields)
        self.doc_id = doc_id


class Store(Protocol):
    """Durable tables of JSON documents with integer ids that increase from 1 per table.

    Reads see every change made so far (durable or not); writes are durable after the next
    :meth:`sync`. Not thread-safe: the relay calls it from its one event loop (``sync`` may
    run in a worker thread, as the group committer decides).
    """

    folder: Path  # local files beside the database (spools, photos, exports)
    kind: str  # "tinydb" or "postgresql": for logs, /ready and the history's search
    node_id: str  # who claims rows (``claim``): the hub's name of this node

    @property
    def shared_files(self) -> SharedFiles | None:
        """Files every node can read (favourite documents), or None: one node, its folder
        only."""

    def all(self, table: str) -> list[Document]:
        """Every document of ``table`` in id order (``[]`` for a table never written)."""
        ...

    def get(self, table: str, doc_id: int) -> Document | None: ...

    def find(self, table: str, predicate: Callable[[Document], bool]) -> Document | None:
        """The first document (lowest id) for which ``predicate`` is true, or ``None``."""
        ...

    def lookup(self, table: str, field: str, value: str, fresh: bool = False) -> Document | None:
        """The first document whose top-level ``field`` is ``value``; on PostgreSQL read from
        the database when this node's copy lacks it (another node wrote it: a token), or
        always with ``fresh`` (another node may have removed it: a token signed out there)."""
        ...

    def lookup_many(
        self, table: str, field: str, values: Collection[str], fresh: bool = False
    ) -> dict[str, Document]:
        """As :meth:`lookup` for many values at once (one database round trip): ``value ->``
        its first document, for the values found (sessions taken over together)."""
        ...

    def forget(self, table: str) -> None:
        """Drop this node's copy of ``table`` so that its next use reads it again (a session
        taken over from another node); a no-op where one process owns the data."""
        ...

    def reload(self, tables: Collection[str]) -> None:
        """Read ``tables`` again now, all in one round trip (sessions taken over together:
        their chats, their boards' elements); a table with a change of this node not yet
        committed keeps this node's copy. A no-op where one process owns the data."""
        ...

    def refresh(self, table: str, doc_ids: Collection[int] | None) -> None:
        """Read these rows of ``table`` again (all of it for ``None``): another node changed
        them; a row gone there goes here. A no-op where one process owns the data."""
        ...

    def on_commit(
        self, tables: Collection[str], listener: Callable[[dict[str, list[int]]], None]
    ) -> None:
        """After each commit that changed rows of ``tables``, call ``listener`` with
        ``{table: ids}`` (inserted, updated or removed). Never called where one process owns
        the data (nobody else to tell)."""
        ...

    def fence(self, session_ids: Collection[str]) -> None:
        """This node takes live sessions over: from now on another node's commits skip the
        sessions' rows (``chat:<id>``, their ``live_sessions`` rows...), in one round trip
        however many. A no-op where one process owns the data."""
        ...

    def on_fenced(self, listener: Callable[[set[str]], None]) -> None:
        """Call ``listener`` with the sessions whose rows a commit of this node skipped
        (another node took them over). Never called where one process owns the data."""
        ...

    def claim(self, table: str, doc_id: int, ttl_s: float, take_from: Collection[str] = ()) -> bool:
        """Work on an existing row for ``ttl_s`` (a mail being sent): True when this node
        holds it, False when another node does or the row is gone. Atomic across nodes.
        A claim held by a node of ``take_from`` (dead: its lease in the hub expired) counts
        as expired."""
        ...

    def has_table(self, name: str) -> bool: ...

    def tables(self) -> list[str]:
        """The names of every table that holds or held documents (migrations, contract tests)."""
        ...

    def insert(self, table: str, doc: dict[str, Any]) -> int:
        """Store ``doc``; returns its new id."""
        ...

    def update(self, table: str, doc_id: int, fields: dict[str, Any]) -> None:
        """Set top-level ``fields`` of one document.

        Raises:
            KeyError: no document ``doc_id`` in ``table``.
        """
        ...

    def remove(self, table: str, doc_id: int) -> None: ...

    def drop_table(self, table: str) -> None: ...

    @property
    def appended(self) -> int:
        """Sequence number of the last change made (for :attr:`synced` comparisons)."""
        ...

    @property
    def synced(self) -> int:
        """Sequence number of the last durable change."""
        ...

    def sync(self) -> int:
        """Make every change so far durable; returns the sequence number reached."""
        ...

    @property
    def sync_blocks_loop(self) -> bool:
        """True when ``sync`` blocks the thread (a file fsync) rather than yielding to gevent
        (a database round trip on monkey-patched sockets): the committer may then move slow
        syncs to a worker thread."""
        ...

    @property
    def needs_checkpoint(self) -> bool: ...

    def checkpoint(self) -> None:
        """Compact what ``sync`` wrote (the TinyDB journal into ``relay.json``); may be a no-op."""
        ...

    def check(self) -> str | None:
        """``None`` when the store answers (readiness), else what is wrong."""
        ...

    def close(self) -> None:
        """Make everything durable and release the store."""
        ...
