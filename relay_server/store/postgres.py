"""The PostgreSQL store (``--store postgresql://...``): the store interface on a database.

Several relay nodes share one database (docs/architecture.md, *Several relay nodes*). A node
loads a table into memory on its first use (``all``, ``get``, ``insert``...), not every table
at open: the tables of one session (``chat:<id>`` and the like, names with a ``:``) are read
only by the node that owns the session, when it starts or takes it over; :meth:`forget` drops
a table's copy so that the next use reads it again (a session taken over from a dead node).
Shared tables (accounts, tokens, the outbox, live sessions...) are cached the same way, and a
key another node wrote is read on use by :meth:`lookup` (a token signed in elsewhere). Ids of
shared tables come in blocks reserved in ``table_ids`` (two nodes never pick one id); rows one
node works on for a while (a mail being sent) are claimed in ``row_claims`` (:meth:`claim`).
Writes go through to PostgreSQL in batches. ``sync()`` is the group
commit: every change since the last one goes in ONE transaction (upserts of the documents'
latest versions, deletes, dropped tables), however many greenlets made them; a change is
durable once a ``sync()`` that started after it has returned (the group committer's
``wait_durable``). What a relay acknowledges is therefore committed in PostgreSQL.

gevent: psycopg 3 waits for its socket with ``select`` when gevent has monkey-patched it
(``psycopg.waiting`` checks at import; the relay patches before it imports anything), so a
commit yields to the other greenlets instead of blocking the loop: the committer runs it in
the loop (no thread hand-over; measured in docs/performance.md).

Schema: ordered migration files in ``migrations/`` (``NNNN_name.sql``), applied at open in
one transaction under an advisory lock, recorded in ``schema_version``.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Collection
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from relay_server.store import fencing
from relay_server.store.interface import Document, StoreError
from relay_server.store.node_reads import NodeReads
from relay_server.store.readiness import ReadinessProbe
from relay_server.store.shared_files import SharedFiles

logger = logging.getLogger(__name__)

MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
MIGRATION_LOCK_KEY = 0x4D49475241  # "MIGRA": one schema migration at a time
POOL_MAX = 4
CONNECT_TIMEOUT_S = 10.0
ID_BLOCK = 64  # ids of a shared table reserved per round trip

# A commit writes each kind of change with ONE statement over arrays (``unnest``), not one
# statement per row (``executemany``): psycopg's per-row work (binding, the pipeline's
# bookkeeping) was most of a commit's relay CPU. The arrays go in binary (``%(...)b``): in
# text, psycopg escapes every element of a text array with a regular expression in Python
# (docs/performance.md, *The store on PostgreSQL*).
_UPSERT = (
    "INSERT INTO documents (tbl, id, doc) SELECT u.tbl, u.id, u.doc::json "
    "FROM unnest(%(tbl)b::text[], %(id)b::bigint[], %(doc)b::text[]) AS u(tbl, id, doc) "
    "ON CONFLICT (tbl, id) DO UPDATE SET doc = excluded.doc"
)
_DELETE = (
    "DELETE FROM documents d USING unnest(%(tbl)b::text[], %(id)b::bigint[]) AS u(tbl, id) "
    "WHERE d.tbl = u.tbl AND d.id = u.id"
)
LIVE_SESSIONS_TABLE = "live_sessions"
# Shared tables with one row per live session, fenced as the session's own tables: the field
# that names the session (sessions/takeover.py's records, whiteboard/boards.py's states).
SESSION_ROWS = {LIVE_SESSIONS_TABLE: "id", "whiteboards": "session_id"}
# A block of ids: the first reservation starts above the table's highest stored id (a
# database migrated from TinyDB, or written before table_ids existed).
_RESERVE = (
    "INSERT INTO table_ids (tbl, next_id) VALUES (%(tbl)s, "
    "(SELECT coalesce(max(id), 0) + 1 FROM documents WHERE tbl = %(tbl)s) + %(n)s) "
    "ON CONFLICT (tbl) DO UPDATE SET next_id = table_ids.next_id + %(n)s RETURNING next_id"
)
# Take (or renew) a claim on an existing row: free, expired, or already this node's.
_CLAIM = (
    "INSERT INTO row_claims (tbl, id, node, until) "
    "SELECT %(tbl)s, %(id)s, %(node)s, now() + %(ttl)s * interval '1 second' "
    "WHERE EXISTS (SELECT 1 FROM documents WHERE tbl = %(tbl)s AND id = %(id)s) "
    "ON CONFLICT (tbl, id) DO UPDATE SET node = excluded.node, until = excluded.until "
    "WHERE row_claims.node = excluded.node OR row_claims.until < now() "
    "OR row_claims.node = ANY(%(dead)s) RETURNING node"
)
LOOKUP_FIELDS = {"tokens": "token_hash", "accounts": "username", "live_sessions": "id"}


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


class PostgresStore(NodeReads):
    """The :class:`~relay_server.store.interface.Store` on PostgreSQL, shared by every node.

    Args:
        url: a libpq connection URL or string, without the password (see ``password``).
        folder: the local folder for files' bytes, photos and exports.
        password: from ``--store-password-file`` or ``$REMOTESALES_STORE_PASSWORD``; ``None``
            lets libpq find one (``PGPASSWORD``, ``PGPASSFILE``, ``~/.pgpass``).
        node_id: who claims rows (:meth:`claim`); a random one by default.

    Raises:
        StoreError: the database cannot be reached or has a newer schema.
    """

    kind = "postgresql"
    sync_blocks_loop = False
    needs_checkpoint = False

    def __init__(
        self, url: str, folder: str | Path, password: str | None = None, node_id: str = ""
    ):
        self.url = url
        self.password = password
        self.node_id = node_id or uuid.uuid4().hex[:16]
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        kwargs = connect_kwargs(password)
        try:
            with psycopg.connect(url, autocommit=True, **kwargs) as conn:
                applied = migrate_schema(conn)
        except psycopg.Error as error:
            raise StoreError(f"cannot use the database: {_reason(error)}") from None
        if applied:
            logger.info("database schema migrated", extra={"migrations": applied})
        self.pool = ConnectionPool(
            url, min_size=1, max_size=POOL_MAX, kwargs=kwargs, open=True, name="relay-store"
        )
        self._readiness = ReadinessProbe(url, kwargs)
        self.shared_files: SharedFiles | None = SharedFiles(self.pool)
        self._tables: dict[str, dict[int, dict[str, Any]]] = {}
        self._next_ids: dict[str, int] = {}
        self._id_blocks: dict[str, tuple[int, int]] = {}  # shared table -> [next, end)
        self._pending: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._dropped: list[str] = []
        self._appended = 0
        self._synced = 0
        self._watchers: list[tuple[frozenset[str], Callable[[dict[str, list[int]]], None]]] = []
        self._in_flight: list[dict[tuple[str, int], Any]] = []  # changes being committed
        # A SESSION_ROWS row -> its session (fencing: a removed row's session)
        self._live_rows: dict[tuple[str, int], str] = {}
        self._on_fenced: list[Callable[[set[str]], None]] = []
        self._claimed_tables: set[str] = set()  # tables this node claims rows in (fencing)

    def _table(self, table: str) -> dict[int, dict[str, Any]]:
        """The table's documents, read from the database on first use."""
        docs = self._tables.get(table)
        if docs is None:
            with self.pool.connection() as conn:
                rows = conn.execute(
                    "SELECT id, doc FROM documents WHERE tbl = %s ORDER BY id", (table,)
                ).fetchall()
            docs = self._tables.setdefault(table, {})  # another greenlet may have read it
            for doc_id, doc in rows:
                if (table, doc_id) not in self._pending:  # this node's newer change wins
                    docs.setdefault(doc_id, doc)
        return docs

    # -- reading ---------------------------------------------------------------------------

    def all(self, table: str) -> list[Document]:
        return [Document(doc, doc_id) for doc_id, doc in sorted(self._table(table).items())]

    def get(self, table: str, doc_id: int) -> Document | None:
        doc = self._table(table).get(doc_id)
        return None if doc is None else Document(doc, doc_id)

    def find(self, table: str, predicate: Callable[[Document], bool]) -> Document | None:
        return next((doc for doc in self.all(table) if predicate(doc)), None)

    def on_commit(
        self, tables: Collection[str], listener: Callable[[dict[str, list[int]]], None]
    ) -> None:
        self._watchers.append((frozenset(tables), listener))

    def has_table(self, name: str) -> bool:
        return bool(self._table(name))

    def tables(self) -> list[str]:
        with self.pool.connection() as conn:
            stored = {row[0] for row in conn.execute("SELECT DISTINCT tbl FROM documents")}
        return sorted(stored | {name for name, docs in self._tables.items() if docs})

    # -- writing ---------------------------------------------------------------------------

    def insert(self, table: str, doc: dict[str, Any]) -> int:
        docs = self._table(table)
        if ":" in table:  # one session's table: only its owner writes it
            doc_id = self._next_ids.get(table) or max(docs, default=0) + 1
            self._next_ids[table] = doc_id + 1
        else:
            doc_id = self._shared_id(table)
        docs[doc_id] = dict(doc)
        self._changed(table, doc_id, docs[doc_id])
        return doc_id

    def _shared_id(self, table: str) -> int:
        """The next id of a shared table, from this node's block (a new block when it is
        used up: one round trip per :data:`ID_BLOCK` inserts)."""
        next_id, end = self._id_blocks.get(table, (0, 0))
        if next_id >= end:
            with self.pool.connection() as conn:
                row = conn.execute(_RESERVE, {"tbl": table, "n": ID_BLOCK}).fetchone()
            assert row is not None
            # Another greenlet may have taken a block meanwhile: the newer one is used.
            next_id, end = row[0] - ID_BLOCK, row[0]
        self._id_blocks[table] = (next_id + 1, end)
        return next_id

    def claim(self, table: str, doc_id: int, ttl_s: float, take_from: Collection[str] = ()) -> bool:
        """Work on one row for ``ttl_s`` (a mail being sent): True when this node holds it now,
        False when another node does or the row is gone. Atomic in the database. Claims of
        the nodes in ``take_from`` (dead ones) count as expired."""
        args = {"tbl": table, "id": doc_id, "node": self.node_id, "ttl": ttl_s,
                "dead": list(take_from)}  # fmt: skip
        self._claimed_tables.add(table)  # its rows are written under the claims' fence now
        with self.pool.connection() as conn:
            row = conn.execute(_CLAIM, args).fetchone()
        return row is not None

    def update(self, table: str, doc_id: int, fields: dict[str, Any]) -> None:
        doc = self._table(table)[doc_id]  # KeyError: no such document
        doc.update(fields)
        self._changed(table, doc_id, doc)

    def remove(self, table: str, doc_id: int) -> None:
        doc = self._table(table).pop(doc_id, None)
        if doc is not None:
            if table in SESSION_ROWS:  # its session, for the fenced delete
                self._live_rows[(table, doc_id)] = str(doc.get(SESSION_ROWS[table], ""))
            self._changed(table, doc_id, None)

    def drop_table(self, table: str) -> None:
        self._tables[table] = {}  # empty, not unread: the rows go at the next commit
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
        lost: set[str] = set()  # sessions another node took over: their rows were skipped
        taken: set[tuple[str, int]] = set()  # rows another node claimed: skipped too
        pending, self._pending = self._pending, {}
        dropped, self._dropped = self._dropped, []
        if pending or dropped:
            # Serialised before the first round trip: other greenlets change the documents
            # while this one waits for the database.
            upserts = []
            deletes = []
            fenced: list[dict[str, Any]] = []  # a session's rows: see session_fences
            fenced_deletes: list[dict[str, Any]] = []
            claimed: list[dict[str, Any]] = []  # rows nodes claim: see fencing.NOT_CLAIMED
            claimed_deletes: list[dict[str, Any]] = []
            for (table, doc_id), doc in pending.items():
                sid = self._session_of(table, doc_id, doc)
                if sid is not None:
                    row = {"tbl": table, "id": doc_id, "sid": sid, "node": self.node_id}
                    if doc is None:
                        fenced_deletes.append(row)
                    else:
                        fenced.append({**row, "doc": _dumps(doc)})
                elif table in self._claimed_tables:
                    if doc is None:
                        claimed_deletes.append({"tbl": table, "id": doc_id})
                    else:
                        claimed.append({"tbl": table, "id": doc_id, "doc": _dumps(doc)})
                elif doc is None:
                    deletes.append((table, doc_id))
                else:
                    upserts.append((table, doc_id, _dumps(doc)))
            drops = [{"tbl": t, "sid": t.split(":", 1)[1], "node": self.node_id}
                     for t in dropped if ":" in t]  # fmt: skip
            plain_drops = [t for t in dropped if ":" not in t]
            self._in_flight.append(pending)
            try:
                with self.pool.connection() as conn, conn.cursor() as cursor:
                    if plain_drops:
                        cursor.execute("DELETE FROM documents WHERE tbl = ANY(%s)", (plain_drops,))
                    if drops:
                        cursor.execute(fencing.FENCED_DROP, self._columns(drops, "tbl", "sid"))
                    if upserts:
                        tables, ids, docs = zip(*upserts, strict=True)  # binary arrays
                        cursor.execute(_UPSERT, {"tbl": list(tables), "id": list(ids),
                                                 "doc": list(docs)})  # fmt: skip
                    if deletes:
                        tables, ids = zip(*deletes, strict=True)
                        cursor.execute(_DELETE, {"tbl": list(tables), "id": list(ids)})
                    if fenced:
                        columns = self._columns(fenced, "tbl", "id", "doc", "sid")
                        cursor.execute(fencing.FENCED_UPSERT, columns)
                        if cursor.rowcount < len(fenced):  # some rows were not written
                            lost = self._fenced_sessions(cursor, fenced)
                    if fenced_deletes:
                        columns = self._columns(fenced_deletes, "tbl", "id", "sid")
                        cursor.execute(fencing.FENCED_DELETE, columns)
                        lost |= self._fenced_sessions(cursor, fenced_deletes) if (
                            cursor.rowcount < len(fenced_deletes)) else set()  # fmt: skip
                    lost |= self._fenced_sessions(cursor, drops) if drops else set()
                    for rows, statement in ((claimed, fencing.CLAIMED_UPSERT),
                                            (claimed_deletes, fencing.CLAIMED_DELETE)):  # fmt: skip
                        if rows:
                            cursor.execute(statement, self._columns(rows, *rows[0]))
                            if cursor.rowcount < len(rows):  # another node's claim held some
                                taken |= self._claimed_by_others(cursor, rows)
            except BaseException:
                # Not committed: keep the changes for the next attempt (later ones win).
                self._pending = {**pending, **self._pending}
                self._dropped = dropped + self._dropped
                raise
            finally:
                self._in_flight.remove(pending)
        self._synced = max(self._synced, upto)
        if pending and self._watchers:
            self._tell_watchers(pending)
        if lost:
            self._fenced_out(lost)
        if taken:
            self._claimed_away(taken)
        return upto

    # -- fencing: a session another node took over ----------------------------------------

    def _session_of(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> str | None:
        """The live session a row belongs to (its rows are fenced), else None."""
        if ":" in table:
            return table.split(":", 1)[1]
        field = SESSION_ROWS.get(table)
        if field is None:
            return None
        if doc is None:
            return self._live_rows.pop((table, doc_id), None)
        self._live_rows[(table, doc_id)] = str(doc.get(field, ""))
        return self._live_rows[(table, doc_id)]

    def _columns(self, rows: list[dict[str, Any]], *names: str) -> dict[str, Any]:
        """The rows' fields ``names`` as arrays (the ``unnest`` statements' parameters), with
        this node's id."""
        return {"node": self.node_id, **{name: [row[name] for row in rows] for name in names}}

    def _fenced_sessions(self, cursor: Any, rows: list[dict[str, Any]]) -> set[str]:
        """Of these rows' sessions, those another node took over (their rows were skipped)."""
        sids = sorted({row["sid"] for row in rows})
        cursor.execute(fencing.FENCED_SESSIONS, (sids, self.node_id))
        return {row[0] for row in cursor.fetchall()}

    def _claimed_by_others(self, cursor: Any, rows: list[dict[str, Any]]) -> set[tuple[str, int]]:
        """Of these rows, those another node holds a live claim on (they were skipped)."""
        cursor.execute(fencing.CLAIMED_BY_OTHERS, self._columns(rows, "tbl", "id"))
        return {(table, doc_id) for table, doc_id in cursor.fetchall()}

    def _claimed_away(self, rows: set[tuple[str, int]]) -> None:
        """A commit skipped ``rows``: another node claimed them while this one stalled. This
        node's copy follows the database's (the taker's) from now on."""
        logger.error("rows another node claimed were not written",
                     extra={"rows": sorted(rows)})  # fmt: skip
        with self.pool.connection() as conn:
            for table, doc_id in sorted(rows):
                found = conn.execute(
                    "SELECT doc FROM documents WHERE tbl = %s AND id = %s", (table, doc_id)
                ).fetchone()
                docs = self._tables.setdefault(table, {})
                if (table, doc_id) in self._pending:  # changed again since: the next commit
                    continue
                if found is None:
                    docs.pop(doc_id, None)
                else:
                    docs[doc_id] = found[0]

    def fence(self, session_ids: Collection[str]) -> None:
        """This node takes ``session_ids`` over: from now on only its commits write the
        sessions' rows (committed at once, before the sessions are read; one statement)."""
        sids = sorted(set(session_ids))  # one row each: ON CONFLICT changes a row once
        if sids:
            with self.pool.connection() as conn:
                conn.execute(fencing.FENCE, {"sids": sids, "node": self.node_id})

    def on_fenced(self, listener: Callable[[set[str]], None]) -> None:
        """Call ``listener`` with the sessions whose rows a commit of this node skipped:
        another node took them over (this node stalled past its lease)."""
        self._on_fenced.append(listener)

    def _fenced_out(self, sessions: set[str]) -> None:
        logger.error("rows of sessions another node took over were not written",
                     extra={"sessions": sorted(sessions)})  # fmt: skip
        for table in [t for t in self._tables if ":" in t and t.split(":", 1)[1] in sessions]:
            self._tables.pop(table, None)  # this node's copy is not the database's any more
            self._next_ids.pop(table, None)
        for listener in self._on_fenced:
            try:
                listener(sessions)
            except Exception:
                logger.exception("a fencing listener failed")

    def _tell_watchers(self, committed: dict[tuple[str, int], Any]) -> None:
        for tables, listener in self._watchers:
            changes: dict[str, list[int]] = {}
            for table, doc_id in committed:
                if table in tables:
                    changes.setdefault(table, []).append(doc_id)
            if changes:
                try:
                    listener(changes)
                except Exception:  # committed all the same: the listener's failure is its own
                    logger.exception("a commit's listener failed")

    def checkpoint(self) -> None:
        """Nothing to compact: PostgreSQL keeps its own write-ahead log."""

    def check(self) -> str | None:
        """On a connection of its own: a pool busy with a takeover is not a down database
        (store/readiness.py)."""
        problem = self._readiness.check()
        return None if problem is None else f"database: {problem}"

    def close(self) -> None:
        """Commit what is pending and close the pool."""
        try:
            self.sync()
        finally:
            self._readiness.close()
            self.pool.close()


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _reason(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
