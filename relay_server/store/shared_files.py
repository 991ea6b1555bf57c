"""Files every relay node can read, in PostgreSQL (``--store postgresql://...``): an agent's
favourite documents, which any node serving the agent may have to send; agents' photos
(``photos/<username>``), which any node may serve; a whiteboard's pictures
(``whiteboard/<session id>/<image id>``), which the node that takes a session over must draw.

Several nodes share one database but not a disk: a file kept in one node's folder is missing
on the others. Its bytes go to the ``shared_files`` table in pieces of :data:`PIECE_BYTES`
once it is complete; a node that lacks its own copy fetches the pieces into its folder
(:meth:`SharedFiles.fetch`) and uses that copy from then on. The bytes never go through the
hub (Redis), and no node needs another to be alive: the database is the one every node
already depends on. The TinyDB store has no such table (one node: its folder is the only
one).

gevent: psycopg waits on its socket through gevent (as :mod:`postgres` explains), so a
transfer of pieces yields to the other greenlets between round trips.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Collection
from pathlib import Path
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

PIECE_BYTES = 1024 * 1024
ORPHAN_AGE_S = 3600  # pieces no account lists are swept once this old


class SharedFiles:
    """Named files in the ``shared_files`` table of the store's database."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def put(self, name: str, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Store the file at ``path`` under ``name`` (replacing one of that name), with
        ``meta`` (what a node needs to know of it besides its bytes), in one transaction:
        other nodes see all of it or nothing."""
        with self.pool.connection() as conn:
            put_pieces(conn, name, path, meta)

    def set_meta(self, name: str, meta: dict[str, Any]) -> None:
        """Replace the ``meta`` of the file ``name`` (nothing happens when there is none)."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE shared_files SET meta = %s WHERE name = %s AND piece = 0",
                (Jsonb(meta), name),
            )

    def meta(self, name: str) -> dict[str, Any] | None:
        """The ``meta`` of the file ``name`` (``{}`` when it has none), or None: no such file.
        Its bytes are not read."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT meta FROM shared_files WHERE name = %s AND piece = 0", (name,)
            ).fetchone()
        return None if row is None else (row[0] or {})

    def find_meta(self, prefix: str, key: str, value: str) -> tuple[str, dict[str, Any]] | None:
        """The name and ``meta`` of a file named ``prefix``... whose ``meta`` has ``key`` =
        ``value``, or None."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, meta FROM shared_files WHERE starts_with(name, %s) AND piece = 0 "
                "AND meta ->> %s = %s LIMIT 1",
                (prefix, key, value),
            ).fetchone()
        return None if row is None else (row[0], row[1] or {})

    def metas(self, prefix: str) -> dict[str, dict[str, Any]]:
        """name -> ``meta`` of every file named ``prefix``... (their bytes are not read)."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT name, meta FROM shared_files WHERE starts_with(name, %s) AND piece = 0",
                (prefix,),
            ).fetchall()
        return {name: meta or {} for name, meta in rows}

    def metas_of(self, prefixes: Collection[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """As :meth:`metas` for several prefixes in one query: ``prefix -> {name: meta}``
        (a prefix with no file is absent)."""
        wanted = sorted(set(prefixes))
        if not wanted:
            return {}
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT p.prefix, f.name, f.meta FROM shared_files f "
                "JOIN unnest(%s::text[]) AS p(prefix) ON starts_with(f.name, p.prefix) "
                "WHERE f.piece = 0",
                (wanted,),
            ).fetchall()
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for prefix, name, meta in rows:
            found.setdefault(prefix, {})[name] = meta or {}
        return found

    def fetch(self, name: str, path: Path) -> bool:
        """Write the file ``name`` to ``path`` (through a temporary file of this call's own
        beside it, moved in place once complete and flushed); False when the database has
        no such file."""
        part = path.with_name(f"{path.name}.{secrets.token_hex(6)}.fetching")
        found = False
        try:
            with part.open("wb") as out:
                piece = 0
                while True:
                    with self.pool.connection() as conn:
                        row = conn.execute(
                            "SELECT data FROM shared_files WHERE name = %s AND piece = %s",
                            (name, piece),
                        ).fetchone()
                    if row is None:
                        break
                    out.write(row[0])
                    found = True
                    piece += 1
                out.flush()
                os.fsync(out.fileno())
            if found:
                os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
        return found

    def put_bytes(self, name: str, data: bytes, meta: dict[str, Any] | None = None) -> float:
        """Store ``data`` (a small file: one piece or a few) under ``name`` with ``meta``,
        replacing one of that name, in one transaction; returns its ``added_at`` (epoch
        seconds, the database's clock: the same on every node)."""
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM shared_files WHERE name = %s", (name,))
            for piece, start in enumerate(range(0, max(len(data), 1), PIECE_BYTES)):
                conn.execute(
                    "INSERT INTO shared_files (name, piece, data, meta) VALUES (%s, %s, %s, %s)",
                    (name, piece, data[start : start + PIECE_BYTES],
                     _meta(meta) if piece == 0 else None),
                )  # fmt: skip
            row = conn.execute(
                "SELECT extract(epoch FROM added_at) FROM shared_files "
                "WHERE name = %s AND piece = 0",
                (name,),
            ).fetchone()
        assert row is not None
        return float(row[0])

    def get_bytes(self, name: str) -> tuple[bytes, float] | None:
        """The whole file ``name`` (a small one: it is read into memory) and its
        ``added_at``, or None."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT data, extract(epoch FROM added_at) FROM shared_files "
                "WHERE name = %s ORDER BY piece",
                (name,),
            ).fetchall()
        if not rows:
            return None
        return b"".join(bytes(row[0]) for row in rows), float(rows[0][1])

    def added_at(self, name: str) -> float | None:
        """When the file ``name`` was stored (epoch seconds), or None: it is not."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT extract(epoch FROM added_at) FROM shared_files "
                "WHERE name = %s AND piece = 0",
                (name,),
            ).fetchone()
        return None if row is None else float(row[0])

    def delete(self, name: str) -> None:
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM shared_files WHERE name = %s", (name,))

    def delete_prefix(self, prefix: str) -> int:
        """Delete every file named ``prefix``... (a session's pictures); returns how many
        pieces went."""
        with self.pool.connection() as conn:
            cursor = conn.execute("DELETE FROM shared_files WHERE starts_with(name, %s)", (prefix,))
            return cursor.rowcount

    def sweep(self, prefix: str, kept: Collection[str]) -> int:
        """Delete the files named ``prefix``... that are not in ``kept`` and older than
        :data:`ORPHAN_AGE_S` (never an upload another node is finishing); returns how many
        pieces went."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM shared_files WHERE starts_with(name, %s) AND NOT name = ANY(%s) "
                "AND added_at < now() - %s * interval '1 second'",
                (prefix, list(kept), ORPHAN_AGE_S),
            )
            return cursor.rowcount


def put_pieces(
    conn: Connection[Any], name: str, path: Path, meta: dict[str, Any] | None = None
) -> None:
    """In ``conn``'s transaction: the file at ``path`` as the pieces of ``name`` (replacing
    those of a file of that name), ``meta`` on the first. Also the TinyDB-to-PostgreSQL
    migration's copy. An empty file is one empty piece (it exists: its ``meta`` is kept)."""
    conn.execute("DELETE FROM shared_files WHERE name = %s", (name,))
    with path.open("rb") as source:
        piece = 0
        while (data := source.read(PIECE_BYTES)) or piece == 0:
            conn.execute(
                "INSERT INTO shared_files (name, piece, data, meta) VALUES (%s, %s, %s, %s)",
                (name, piece, data, _meta(meta) if piece == 0 else None),
            )
            piece += 1
            if not data:
                break


def _meta(meta: dict[str, Any] | None) -> Jsonb | None:
    return None if meta is None else Jsonb(meta)
