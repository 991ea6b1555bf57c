"""The history archive in PostgreSQL: what :class:`~relay_server.history.archive.Archive`
keeps in monthly files, as rows of ``history_records`` and ``history_notes``
(relay_server/store/migrations).

A record's ``(offset, length)`` in the summary becomes ``(seq, 0)``: its row. Each row
carries the record's search words (the same tokens as the in-memory index: words and CJK
bigrams) as a ``tsvector`` of exact lexemes under a GIN index, so the history's text search
asks PostgreSQL (:meth:`PostgresArchive.matching`) instead of holding an inverted index in
memory; the shards built at start therefore carry summaries only.

Several relay nodes on one database each keep their own index of the summaries: what the
others archived since (sessions ended there, notes edited there) comes in on the next read of
the history (:meth:`PostgresArchive.news`, one round trip when there is nothing new).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from psycopg_pool import ConnectionPool

from relay_server.history.index import Shard, record_tokens, summarize

logger = logging.getLogger(__name__)

# Rows are looked for again this far below the highest seq seen: a seq is taken at the insert
# and visible at the commit, so another node's lower seq may become visible after a higher one.
SEQ_WINDOW = 256


class PostgresArchive:
    """Ended sessions in PostgreSQL. Called from the relay's loop, as the file archive."""

    text_search = True  # History asks matching() for its text filter

    def __init__(self, pool: ConnectionPool):
        self.pool = pool
        self._records = _Seen()  # history_records' seqs this node has indexed
        self._notes = _Seen()  # history_notes' seqs it has applied

    def shard_names(self) -> list[str]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT DISTINCT shard FROM history_records ORDER BY shard")
            return [row[0] for row in rows]

    # -- writing ---------------------------------------------------------------------------

    def append(self, shard: str, record: dict[str, Any]) -> tuple[int, int]:
        """Insert one record (committed when this returns); returns ``(seq, 0)``."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO history_records (session_id, shard, record, search) "
                "VALUES (%s, %s, %s::json, array_to_tsvector(%s)) RETURNING seq",
                (str(record.get("id")), shard, _dumps(record), sorted(record_tokens(record))),
            ).fetchone()
        assert row is not None
        self._records.add(int(row[0]))
        return int(row[0]), 0

    def append_notes(self, edit: dict[str, Any]) -> None:
        """Record a notes edit and give the session's latest record the new notes' words."""
        session_id = str(edit.get("id"))
        with self.pool.connection() as conn, conn.transaction():
            noted = conn.execute(
                "INSERT INTO history_notes (session_id, edit) VALUES (%s, %s::json) RETURNING seq",
                (session_id, _dumps(edit)),
            ).fetchone()
            assert noted is not None
            self._notes.add(int(noted[0]))
            row = conn.execute(
                "SELECT seq, record FROM history_records WHERE session_id = %s "
                "ORDER BY seq DESC LIMIT 1",
                (session_id,),
            ).fetchone()
            if row is not None:
                words = sorted(record_tokens(row[1], str(edit.get("notes") or "")))
                conn.execute(
                    "UPDATE history_records SET search = array_to_tsvector(%s) WHERE seq = %s",
                    (words, row[0]),
                )

    def close(self) -> None:
        """Nothing of its own to close: the pool is the store's."""

    # -- reading ---------------------------------------------------------------------------

    def read(self, shard: str, offset: int, length: int) -> dict[str, Any]:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT record FROM history_records WHERE seq = %s", (offset,)
            ).fetchone()
        if row is None:
            raise KeyError(f"history record {offset} of {shard} is gone")
        return dict(row[0])

    def records(self, seqs: Iterable[int]) -> Iterator[dict[str, Any]]:
        """The records of ``seqs``, in that order (exports), fetched a thousand at a time."""
        batch: list[int] = []
        for seq in seqs:
            batch.append(seq)
            if len(batch) == 1000:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, seqs: list[int]) -> Iterator[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT seq, record FROM history_records WHERE seq = ANY(%s)", (seqs,)
            ).fetchall()
        found = {seq: record for seq, record in rows}
        for seq in seqs:
            if seq in found:
                yield found[seq]

    def notes_edits(self) -> Iterator[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT seq, edit FROM history_notes ORDER BY seq").fetchall()
        for seq, edit in rows:
            self._notes.add(seq)
            yield edit

    def news(self) -> tuple[list[tuple[str, int, dict[str, Any]]], list[dict[str, Any]]]:
        """What other nodes archived since this node last looked: ``(shard, seq, record)``
        of each new record and each new notes edit, in seq order. One round trip when
        there is nothing new (the seqs of the last :data:`SEQ_WINDOW` rows of each table,
        under their primary keys), one more per table that has news."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT 'r', seq FROM history_records WHERE seq > %s "
                "UNION ALL SELECT 'n', seq FROM history_notes WHERE seq > %s",
                (self._records.low(), self._notes.low()),
            ).fetchall()
            new_records = self._records.claim(seq for kind, seq in rows if kind == "r")
            new_notes = self._notes.claim(seq for kind, seq in rows if kind == "n")
            records: list[tuple[str, int, dict[str, Any]]] = []
            edits: list[dict[str, Any]] = []
            if new_records:
                records = [
                    (shard, seq, record)
                    for seq, shard, record in conn.execute(
                        "SELECT seq, shard, record FROM history_records WHERE seq = ANY(%s) "
                        "ORDER BY seq",
                        (new_records,),
                    )
                ]
            if new_notes:
                edits = [
                    edit
                    for (edit,) in conn.execute(
                        "SELECT edit FROM history_notes WHERE seq = ANY(%s) ORDER BY seq",
                        (new_notes,),
                    )
                ]
        return records, edits

    def load(self, shard_name: str) -> tuple[Shard, int]:
        """The month's summaries (no words: the text search is PostgreSQL's); ``(shard, 0)``."""
        shard = Shard(shard_name)
        with self.pool.connection() as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT seq, record FROM history_records WHERE shard = %s ORDER BY seq",
                (shard_name,),
            )
            for seq, record in cursor:
                self._records.add(seq)
                try:
                    shard.add(summarize(record, seq, 0), ())
                except (KeyError, TypeError, ValueError) as error:
                    logger.error("history record %d skipped: %s", seq, error)
        return shard, 0

    def write_snapshot(self, shard: Shard) -> None:
        """No snapshot: loading from PostgreSQL reads summaries, not transcripts' words."""

    def matching(self, words: list[str]) -> set[str]:
        """The session ids whose latest record has every one of ``words``."""
        query = " & ".join(
            "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in words
        )
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT session_id FROM history_records WHERE search @@ %s::tsquery",
                (query,),
            ).fetchall()
        return {row[0] for row in rows}


class _Seen:
    """The seqs of one table this node has taken in, kept only near the highest."""

    def __init__(self) -> None:
        self.high = 0
        self.seqs: set[int] = set()

    def add(self, seq: int) -> None:
        self.high = max(self.high, seq)
        self.seqs.add(seq)

    def low(self) -> int:
        """Rows above this may still be new to this node."""
        return max(0, self.high - SEQ_WINDOW)

    def claim(self, seqs: Iterable[int]) -> list[int]:
        """Of ``seqs``, those not taken in yet, now marked taken (before the caller yields
        to read them: another greenlet asking meanwhile does not take them twice)."""
        new = sorted(set(seqs) - self.seqs)
        for seq in new:
            self.add(seq)
        low = self.low()
        if len(self.seqs) > 4 * SEQ_WINDOW:
            self.seqs = {seq for seq in self.seqs if seq > low}
        return new


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
