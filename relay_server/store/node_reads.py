"""Reads of rows other relay nodes wrote, for :class:`~relay_server.store.postgres.PostgresStore`.

A node keeps its own copy of each table it uses; another node may have changed or removed
rows since. These read them again from the database, by key (:meth:`NodeReads.lookup`, a token
signed in elsewhere; :meth:`NodeReads.lookup_many`, sessions taken over together), whole
tables (:meth:`NodeReads.forget`, :meth:`NodeReads.reload`) or changed rows
(:meth:`NodeReads.refresh`, told by another node). One rule throughout: a change of this node
not yet committed (pending, or in a commit under way) is newer than what the database says,
and is kept.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from relay_server.store.interface import Document


class NodeReads:
    """Mixed into the PostgreSQL store, whose state these read and keep."""

    pool: ConnectionPool
    _tables: dict[str, dict[int, dict[str, Any]]]
    _next_ids: dict[str, int]
    _pending: dict[tuple[str, int], dict[str, Any] | None]
    _in_flight: list[dict[tuple[str, int], Any]]

    def _table(self, table: str) -> dict[int, dict[str, Any]]:
        raise NotImplementedError

    def lookup(self, table: str, field: str, value: str, fresh: bool = False) -> Document | None:
        """The document whose ``field`` is ``value``: from memory, else read from the database
        (another node wrote it since this one read the table) and kept.

        Args:
            fresh: ask the database even when memory has it (another node may have removed
                or changed it: a token signed out elsewhere); memory follows the answer.

        Only the keys of :data:`LOOKUP_FIELDS` are indexed for this.
        """
        return self.lookup_many(table, field, [value], fresh).get(value)

    def lookup_many(
        self, table: str, field: str, values: Collection[str], fresh: bool = False
    ) -> dict[str, Document]:
        """As :meth:`lookup` for many values, with one query for all those read from the
        database (sessions taken over together)."""
        docs = self._table(table)
        wanted = set(values)
        cached: dict[str, int] = {}
        for doc_id, doc in docs.items():
            value = doc.get(field)
            if value in wanted and value not in cached:
                cached[value] = doc_id
                if len(cached) == len(wanted):
                    break
        found = {} if fresh else {v: Document(docs[i], i) for v, i in cached.items()}
        asked = sorted(wanted - found.keys())
        if not asked:
            return found
        # The table and field as literals: the plan can use the table's partial index on the
        # field (LOOKUP_FIELDS), which a parameter would hide from a generic plan.
        query = sql.SQL(
            "SELECT DISTINCT ON (doc->>{field}) doc->>{field}, id, doc FROM documents "
            "WHERE tbl = {table} AND doc->>{field} = ANY(%s) ORDER BY doc->>{field}, id"
        ).format(field=sql.Literal(field), table=sql.Literal(table))
        with self.pool.connection() as conn:
            rows = {value: (doc_id, doc) for value, doc_id, doc in
                    conn.execute(query, (asked,)).fetchall()}  # fmt: skip
        for value in asked:
            cached_id = cached.get(value)
            if cached_id is not None and (table, cached_id) in self._pending:
                if cached_id in docs:  # changed here, not yet committed: ours
                    found[value] = Document(docs[cached_id], cached_id)
                continue
            if value not in rows:
                if cached_id is not None:
                    docs.pop(cached_id, None)  # removed by another node
                continue
            doc_id, doc = rows[value]
            if (table, doc_id) in self._pending:  # removed here, not yet committed
                continue
            docs[doc_id] = doc
            found[value] = Document(doc, doc_id)
        return found

    def forget(self, table: str) -> None:
        """Drop this node's copy of ``table``: the next use reads it again from the database
        (a session this node takes over from another). Pending changes are kept."""
        if not any(key[0] == table for key in self._pending):
            self._tables.pop(table, None)
            self._next_ids.pop(table, None)

    def reload(self, tables: Collection[str]) -> None:
        """Read ``tables`` again in one query (as :meth:`forget` then a use of each): their
        sessions were taken over together. A table with a change of this node pending keeps
        this node's copy; one read meanwhile by another greenlet keeps what that one read."""
        busy = {table for table, _ in self._pending}
        wanted = [table for table in dict.fromkeys(tables) if table not in busy]
        if not wanted:
            return
        for table in wanted:
            self._tables.pop(table, None)
            self._next_ids.pop(table, None)
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT tbl, id, doc FROM documents WHERE tbl = ANY(%s) ORDER BY tbl, id",
                (wanted,),
            ).fetchall()
        read: dict[str, list[tuple[int, Any]]] = {}
        for table, doc_id, doc in rows:
            read.setdefault(table, []).append((doc_id, doc))
        for table in wanted:
            docs = self._tables.setdefault(table, {})  # another greenlet may have read it
            for doc_id, doc in read.get(table, ()):
                if (table, doc_id) not in self._pending:  # this node's newer change wins
                    docs.setdefault(doc_id, doc)

    def refresh(self, table: str, doc_ids: Collection[int] | None) -> None:
        """Read rows of ``table`` another node changed (all of them for ``None``) into this
        node's copy, if it has one (else the next use reads the table anyway). A row with a
        change of this node not yet committed keeps that change."""
        docs = self._tables.get(table)
        if docs is None:
            return
        # Changes of this node pending or committing when the query starts may be missing
        # from its answer even once they are committed: they are kept as this node has them.
        guarded = {*self._pending, *(key for changes in self._in_flight for key in changes)}
        with self.pool.connection() as conn:
            if doc_ids is None:
                rows = conn.execute(
                    "SELECT id, doc FROM documents WHERE tbl = %s", (table,)
                ).fetchall()
                wanted = list({*docs, *(row[0] for row in rows)})
            else:
                wanted = [doc_id for doc_id in doc_ids if not self._ours((table, doc_id))]
                if not wanted:
                    return
                rows = conn.execute(
                    "SELECT id, doc FROM documents WHERE tbl = %s AND id = ANY(%s)",
                    (table, wanted),
                ).fetchall()
        found: dict[int, Any] = dict(rows)
        for doc_id in wanted:
            if (table, doc_id) in guarded or self._ours((table, doc_id)):  # ours is newer
                continue
            if doc_id in found:
                docs[doc_id] = found[doc_id]
            else:
                docs.pop(doc_id, None)

    def _ours(self, key: tuple[str, int]) -> bool:
        """A change of this node to the row not yet committed, or being committed now (the
        database may not show it yet: a refresh must not drop or overwrite it)."""
        return key in self._pending or any(key in changes for changes in self._in_flight)
