"""The PostgreSQL store (``--store postgresql://...``): the store interface on a database.

The relay's domains read whole tables once at start and keep their own indexes, so this store
does as the TinyDB one does: it loads every document into memory when it opens, answers reads
from there, and writes changes through to PostgreSQL in batches. ``sync()`` is the group
commit: every change since the last one goes in ONE transaction (upserts of the documents'
latest versions, deletes, dropped tables), however many greenlets made them; a change is
durable once a ``sync()`` that started after it has returned (the group committer's
``wait_durable``). What a relay acknowledges is therefore committed in PostgreSQL.

gevent: psycopg 3 waits for its socket with ``select`` when gevent has monkey-patched it
(``psycopg.waiting`` checks at import; the relay patches before it imports anything), so a
commit yields to the other greenlets instead of blocking the loop: the committer runs it in
the loop (no thread hand-over; measured in docs/performance.md).

One relay per database for now: the store holds a PostgreSQL advisory lock for as long as it
is open (as the TinyDB store locks its folder); a second relay is refused. The shared hub
(next step, docs/architecture.md) lifts that.

Schema: ordered migration files in ``migrations/`` (``NNNN_name.sql``), applied at open in
one transaction under an advisory lock, recorded in ``schema_version``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from relay_server.store.interface import Document, StoreError

logger = logging.getLogger(__name__)

MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
RELAY_LOCK_KEY = 0x52454C4159  # "RELAY": one relay per database (the advisory lock)
MIGRATION_LOCK_KEY = 0x4D49475241  # "MIGRA": one schema migration at a time
POOL_MAX = 4
CONNECT_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 2.0

_UPSERT = (
    "INSERT INTO documents (tbl, id, doc) VALUES (%s, %s, %s::json) "
    "ON CONFLICT (tbl, id) DO UPDATE SET doc = excluded.doc"
)
_DELETE = "DELETE FROM documents WHERE tbl = %s AND id = %s"


def migrations() -> list[tuple[int, str, str]]:
    """The schema's migration files as ``(version, name, sql)``, in order."""
    found = []
    for entry in resources.files("relay_server.store").joinpath("migrations").iterdir():
        match = MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    if [version for version, _, _ in found] != list(range(1, len(found) + 1)):
        raise StoreError("the store's migration files are not numbered 0001, 0002, ... in order")
    return found


def migrate_schema(conn: psycopg.Connection) -> list[str]:
    """Apply the migrations ``conn``'s database lacks, in one transaction; returns their names.

    Raises:
        StoreError: the database has a newer schema than this relay knows.
    """
    known = migrations()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
            "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_version")}
        if applied and max(applied) > len(known):
            raise StoreError(
                f"the database has schema version {max(applied)}; this relay understands up "
                f"to {len(known)}: use a newer relay"
            )
        done = []
        for version, name, sql in known:
            if version not in applied:
                conn.execute(sql.encode())
                conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES (%s, %s)", (version, name)
                )
                done.append(name)
    return done


def connect_kwargs(password: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"connect_timeout": int(CONNECT_TIMEOUT_S)}
    if password is not None:
        kwargs["password"] = password
    return kwargs


class PostgresStore:
    """The :class:`~relay_server.store.interface.Store` on PostgreSQL.

    Args:
        url: a libpq connection URL or string, without the password (see ``password``).
        folder: the local folder for files' bytes, photos and exports.
        password: from ``--store-password-file`` or ``$REMOTESALES_STORE_PASSWORD``; ``None``
            lets libpq find one (``PGPASSWORD``, ``PGPASSFILE``, ``~/.pgpass``).

    Raises:
        StoreError: the database cannot be reached, has a newer schema, or another relay
            uses it.
    """

    kind = "postgresql"
    sync_blocks_loop = False
    needs_checkpoint = False

    def __init__(self, url: str, folder: str | Path, password: str | None = None):
        self.url = url
        self.password = password
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        kwargs = connect_kwargs(password)
        try:
            self._lock_conn = psycopg.connect(url, autocommit=True, **kwargs)
        except psycopg.Error as error:
            raise StoreError(f"cannot connect to the database: {_reason(error)}") from None
        try:
            locked = self._lock_conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK_KEY,)
            ).fetchone()
            if not (locked and locked[0]):
                raise StoreError(
                    "the database is in use by another relay (stop it first; several relays "
                    "on one database need the shared hub, docs/architecture.md)"
                )
            applied = migrate_schema(self._lock_conn)
            if applied:
                logger.info("database schema migrated", extra={"migrations": applied})
            self._tables = self._load()
        except BaseException:
            self._lock_conn.close()
            raise
        self.pool = ConnectionPool(
            url, min_size=1, max_size=POOL_MAX, kwargs=kwargs, open=True, name="relay-store"
        )
        self._next_ids: dict[str, int] = {}
        self._pending: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._dropped: list[str] = []
        self._appended = 0
        self._synced = 0

    def _load(self) -> dict[str, dict[int, dict[str, Any]]]:
        tables: dict[str, dict[int, dict[str, Any]]] = {}
        with self._lock_conn.cursor() as cursor:
            cursor.execute("SELECT tbl, id, doc FROM documents ORDER BY tbl, id")
            for table, doc_id, doc in cursor:
                tables.setdefault(table, {})[doc_id] = doc
        return tables

    # -- reading ---------------------------------------------------------------------------

    def all(self, table: str) -> list[Document]:
        return [
            Document(doc, doc_id) for doc_id, doc in sorted(self._tables.get(table, {}).items())
        ]

    def get(self, table: str, doc_id: int) -> Document | None:
        doc = self._tables.get(table, {}).get(doc_id)
        return None if doc is None else Document(doc, doc_id)

    def find(self, table: str, predicate: Callable[[Document], bool]) -> Document | None:
        return next((doc for doc in self.all(table) if predicate(doc)), None)

    def has_table(self, name: str) -> bool:
        return name in self._tables

    def tables(self) -> list[str]:
        return sorted(self._tables)

    # -- writing ---------------------------------------------------------------------------

    def insert(self, table: str, doc: dict[str, Any]) -> int:
        docs = self._tables.setdefault(table, {})
        doc_id = self._next_ids.get(table) or max(docs, default=0) + 1
        self._next_ids[table] = doc_id + 1
        docs[doc_id] = dict(doc)
        self._changed(table, doc_id, docs[doc_id])
        return doc_id

    def update(self, table: str, doc_id: int, fields: dict[str, Any]) -> None:
        doc = self._tables.get(table, {})[doc_id]  # KeyError: no such document
        doc.update(fields)
        self._changed(table, doc_id, doc)

    def remove(self, table: str, doc_id: int) -> None:
        if self._tables.get(table, {}).pop(doc_id, None) is not None:
            self._changed(table, doc_id, None)

    def drop_table(self, table: str) -> None:
        self._tables.pop(table, None)
        self._next_ids.pop(table, None)
        for key in [key for key in self._pending if key[0] == table]:
            del self._pending[key]
        self._dropped.append(table)
        self._appended += 1

    def _changed(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> None:
        # The latest version only: ten updates of one document between two commits are one
        # upsert. The document itself is read at commit time (serialised then).
        self._pending[(table, doc_id)] = doc
        self._appended += 1

    # -- durability ------------------------------------------------------------------------

    @property
    def appended(self) -> int:
        return self._appended

    @property
    def synced(self) -> int:
        return self._synced

    def sync(self) -> int:
        """Commit every change so far in one transaction; returns the sequence number reached."""
        upto = self._appended
        pending, self._pending = self._pending, {}
        dropped, self._dropped = self._dropped, []
        if pending or dropped:
            # Serialised before the first round trip: other greenlets change the documents
            # while this one waits for the database.
            upserts = []
            deletes = []
            for (table, doc_id), doc in pending.items():
                if doc is None:
                    deletes.append((table, doc_id))
                else:
                    upserts.append((table, doc_id, _dumps(doc)))
            try:
                with self.pool.connection() as conn, conn.cursor() as cursor:
                    if dropped:
                        cursor.execute("DELETE FROM documents WHERE tbl = ANY(%s)", (dropped,))
                    if upserts:
                        cursor.executemany(_UPSERT, upserts)
                    if deletes:
                        cursor.executemany(_DELETE, deletes)
            except BaseException:
                # Not committed: keep the changes for the next attempt (later ones win).
                self._pending = {**pending, **self._pending}
                self._dropped = dropped + self._dropped
                raise
        self._synced = max(self._synced, upto)
        return upto

    def checkpoint(self) -> None:
        """Nothing to compact: PostgreSQL keeps its own write-ahead log."""

    def check(self) -> str | None:
        try:
            with self.pool.connection(timeout=READY_TIMEOUT_S) as conn:
                conn.execute("SELECT 1")
        except Exception as error:
            return f"database: {_reason(error)}"
        return None

    def close(self) -> None:
        """Commit what is pending, close the pool and release the database."""
        try:
            self.sync()
        finally:
            self.pool.close()
            self._lock_conn.close()


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _reason(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
