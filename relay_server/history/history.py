"""Support and usage history (A10, AD2): ended sessions, searchable, out of the live store.

A session's whole record (summary fields, transcript, notes, files, presentation and control
use) is appended to the archive when it ends (:meth:`History.add`) and leaves TinyDB, which
therefore holds only live data and stays small. Reads come from the in-memory index
(:mod:`relay_server.history.index`) and one ``pread`` per record shown.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count, repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

from relay_server.history.archive import Archive, HistoryArchive
from relay_server.history.index import (
    HistoryQuery,
    Shard,
    Summary,
    record_tokens,
    search,
    search_page,
    summarize,
    tokens,
)

logger = logging.getLogger(__name__)

RECORD_VERSION = 1
SNAPSHOT_TAIL_RECORDS = 200  # a month whose start indexed more than this saves a snapshot
MAX_PER_PAGE = 100


@dataclass(frozen=True, slots=True)
class NotesEdit:
    notes: str
    updated_at: float
    by: str


def shard_of(ended_at: float) -> str:
    """The month file a session ending at ``ended_at`` goes to (UTC)."""
    return datetime.fromtimestamp(ended_at, UTC).strftime("%Y-%m")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the index loads: its passes over the hundreds
    of thousands of new objects (summaries, sets) found nothing to free and cost ~20 % of the
    load (0.43 -> 0.34 s of CPU at 100,000 sessions)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class History:
    """Every ended session of the relay.

    Args:
        archive: where the records are: ``<data>/history`` (the file archive of the TinyDB
            store) or a :class:`~relay_server.history.pg_archive.PostgresArchive`.
    """

    def __init__(self, archive: Path | HistoryArchive):
        self.archive: HistoryArchive = Archive(archive) if isinstance(archive, Path) else archive
        self.shards: list[Shard] = []
        self._shard_by_name: dict[str, Shard] = {}
        self._where: dict[str, tuple[Shard, int]] = {}  # session id -> (shard, local)
        self.notes_edits: dict[str, NotesEdit] = {}
        self._edited: dict[str, set[int]] = {}  # shard name -> locals whose notes were edited
        started = time.perf_counter()
        indexed = 0
        with _collector_paused():
            for name in self.archive.shard_names():
                shard, tail = self.archive.load(name)
                self._adopt(shard)
                indexed += tail
                if tail > SNAPSHOT_TAIL_RECORDS:
                    self.archive.write_snapshot(shard)
        for edit in self.archive.notes_edits():
            self._apply_notes(edit)
        logger.info(
            "history: %d sessions in %d months loaded in %.2f s (%d indexed from the files)",
            len(self._where),
            len(self.shards),
            time.perf_counter() - started,
            indexed,
        )

    def _adopt(self, shard: Shard) -> None:
        self.shards.append(shard)
        self.shards.sort(key=lambda s: s.name)
        self._shard_by_name[shard.name] = shard
        # C loops instead of a Python statement per session (100,000 at start). A session
        # archived twice is listed once, as its later record (as add() does): shards come
        # oldest first, records in file order.
        ids = list(map(attrgetter("id"), shard.summaries))
        unique = set(ids)
        for session_id in self._where.keys() & unique:
            earlier, local = self._where[session_id]
            earlier.listed.discard(local)
        self._where.update(zip(ids, zip(repeat(shard), count()), strict=False))
        if len(unique) != len(ids):
            for local, session_id in enumerate(ids):  # twice in this month: rare
                if self._where[session_id][1] != local:
                    shard.listed.discard(local)

    def _apply_notes(self, edit: dict[str, Any]) -> None:
        found = self._where.get(str(edit.get("id")))
        notes = edit.get("notes")
        if found is None or not isinstance(notes, str):
            return
        shard, local = found
        self._edited.setdefault(shard.name, set()).add(local)
        self.notes_edits[shard.summaries[local].id] = NotesEdit(
            notes, float(edit.get("updated_at") or 0), str(edit.get("by") or "")
        )
        shard.add_words(local, tokens(notes))

    # -- writing ---------------------------------------------------------------------------

    def __contains__(self, session_id: str) -> bool:
        if session_id not in self._where:
            self.catch_up()  # ended on another node?
        return session_id in self._where

    def add(self, record: dict[str, Any]) -> Summary:
        """Archive one ended session (durable when this returns) and index it."""
        record = {"v": RECORD_VERSION, **record}
        name = shard_of(float(record.get("ended_at") or time.time()))
        shard = self._shard_by_name.get(name)
        if shard is None:
            shard = Shard(name)
            self._adopt(shard)
        offset, length = self.archive.append(name, record)
        return self._index(shard, record, offset, length)

    def _index(self, shard: Shard, record: dict[str, Any], offset: int, length: int) -> Summary:
        summary = summarize(record, offset, length)
        previous = self._where.get(summary.id)
        if previous is not None and previous[0] is shard:
            known = shard.summaries[previous[1]]
            if known.offset == offset:  # this very record (taken in through news())
                return known
        local = shard.add(summary, record_tokens(record))
        shard.end_bytes = offset + length
        self._where[summary.id] = (shard, local)
        if previous is not None:
            previous[0].listed.discard(previous[1])  # listed once, as its later record
            logger.warning("history: session %s archived twice; the later record wins", summary.id)
        return summary

    def set_notes(self, session_id: str, notes: str, by: str, now: float) -> dict[str, Any]:
        """Edit the notes of an archived session (an appended edit; durable on return)."""
        edit = {"id": session_id, "notes": notes, "updated_at": now, "by": by}
        self.archive.append_notes(edit)
        self._apply_notes(edit)
        return {"session_id": session_id, "notes": notes, "updated_at": now}

    def close(self) -> None:
        """Save the index of every month that grew since its snapshot, then close the files."""
        for shard in self.shards:
            if shard.tail or shard.snapshot_count != len(shard.summaries):
                self.archive.write_snapshot(shard)
        self.archive.close()

    # -- reading ---------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Take in what other relay nodes archived since (several nodes on one database:
        sessions ended there, notes edited there); nothing with the file archive."""
        records, edits = self.archive.news()
        for name, seq, record in records:
            shard = self._shard_by_name.get(name)
            if shard is None:
                shard = Shard(name)
                self._adopt(shard)
            try:
                self._index(shard, record, seq, 0)
            except (KeyError, TypeError, ValueError) as error:
                logger.error("history record %d skipped: %s", seq, error)
        for edit in edits:
            self._apply_notes(edit)

    def summary(self, session_id: str) -> Summary | None:
        self.catch_up()
        found = self._where.get(session_id)
        return found[0].summaries[found[1]] if found else None

    def record(self, session_id: str) -> dict[str, Any] | None:
        """The whole record, with the latest notes."""
        self.catch_up()
        found = self._where.get(session_id)
        if found is None:
            return None
        return self._read(*found)

    def _read(self, shard: Shard, local: int) -> dict[str, Any]:
        summary = shard.summaries[local]
        record = self.archive.read(shard.name, summary.offset, summary.length)
        edit = self.notes_edits.get(summary.id)
        if edit is not None:
            record.update(notes=edit.notes, notes_updated_at=edit.updated_at)
        return record

    def notes(self, session_id: str) -> dict[str, Any] | None:
        record = self.record(session_id)
        if record is None:
            return None
        return {
            "session_id": session_id,
            "notes": record.get("notes", ""),
            "updated_at": record.get("notes_updated_at"),
        }

    def _stale(self, shard: Shard) -> set[int]:
        return self._edited.get(shard.name, set())

    def _recheck(self, query: HistoryQuery) -> Callable[[Shard, int], bool]:
        words = set(query.words)

        def recheck(shard: Shard, local: int) -> bool:
            # Edited notes leave their old words in the index: check the current text.
            return words <= record_tokens(self._read(shard, local))

        return recheck

    def _search_args(self, query: HistoryQuery) -> tuple[Any, ...]:
        """``stale, recheck, matching`` for the index's search functions: with the PostgreSQL
        archive, its full-text index answers the words (edits included: never stale)."""
        if not (query.words and self.archive.text_search):
            return self._stale, self._recheck(query), None
        by_shard: dict[str, set[int]] = {}
        for session_id in self.archive.matching(query.words):
            found = self._where.get(session_id)
            if found is not None:
                by_shard.setdefault(found[0].name, set()).add(found[1])

        def matching(shard: Shard, words: list[str]) -> set[int]:
            return by_shard.get(shard.name, set())

        return lambda shard: set(), lambda shard, local: True, matching

    def find(self, query: HistoryQuery) -> Iterator[Summary]:
        """Every session ``query`` matches, newest first."""
        self.catch_up()
        return search(self.shards, query, *self._search_args(query))

    def page(self, query: HistoryQuery, page: int, per_page: int) -> dict[str, Any]:
        self.catch_up()
        shown, total = search_page(self.shards, query, page, per_page, *self._search_args(query))
        return {
            "sessions": [s.view() for s in shown],
            "total": total,
            "page": page,
            "per_page": per_page,
        }

    def locations(
        self, summaries: Iterable[Summary]
    ) -> Iterator[tuple[str, Summary, NotesEdit | None]]:
        """Where each of ``summaries`` lies (its month, offset and length in the summary) and
        its notes edited after the end, if any: what the export's child process reads."""
        for summary in summaries:
            found = self._where.get(summary.id)
            if found is not None:
                yield found[0].name, summary, self.notes_edits.get(summary.id)

    def records(self, summaries: list[Summary]) -> Iterator[dict[str, Any]]:
        """The whole records of ``summaries``, read one at a time (exports)."""
        for summary in summaries:
            found = self._where.get(summary.id)
            if found is not None:
                yield self._read(*found)

    def __len__(self) -> int:
        return len(self._where)
