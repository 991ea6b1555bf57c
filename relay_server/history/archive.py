"""The history archive on disk: append-only monthly JSON-lines files and index snapshots.

``<data>/history/`` holds

- ``YYYY-MM.jsonl``: one ended session a line, appended when it ends (the month it ended in),
  written and fsynced before the relay acknowledges the end. Nothing is rewritten.
- ``notes.jsonl``: edits of notes after the end, one a line (``{id, notes, updated_at, by}``);
  the last edit of a session wins.
- ``YYYY-MM.snapshot.json`` + ``YYYY-MM.postings``: the month's index (summaries and inverted
  index: the text fields and the words in the JSON, the postings and then the summaries'
  number fields as raw arrays in ``.postings``) as of ``bytes`` of its file, so a start
  reads a few MB instead of parsing every transcript; written atomically at a clean stop and
  when a start had to index a long tail.
  A missing, stale or damaged snapshot only costs time: the file is indexed again.

A torn last line (the relay died mid-write; that end was never acknowledged) is cut off when
the file is opened; a damaged line elsewhere is logged and skipped.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from relay_server.history.index import Shard, Summary, record_tokens, summarize
from suite.atomic_files import write_atomically

logger = logging.getLogger(__name__)

SNAPSHOT_VERSION = 2  # 2: summaries as columns; 1 (rows) is still read, and rewritten at stop
READABLE_SNAPSHOTS = (1, 2)
# Summary fields kept as raw arrays in the .postings file after the postings (version 2).
NUMBER_COLUMNS = (
    ("started_at", "d"), ("ended_at", "d"), ("duration_s", "d"), ("message_count", "q"),
    ("file_count", "q"), ("presented", "B"), ("controlled", "B"), ("offset", "q"),
    ("length", "q"),
)  # fmt: skip
NUMBER_ROW_BYTES = sum(array(code).itemsize for _, code in NUMBER_COLUMNS)
TEXT_COLUMNS = tuple(name for name in Summary.FIELDS if name not in dict(NUMBER_COLUMNS))
# Summary fields added after snapshots were first written, with what a snapshot that lacks
# them means (the last fields of Summary.FIELDS): a record archived before calls were counted
# has no call. Such snapshots load as they are; the next stop writes the column.
DEFAULTED_COLUMNS = {"called": False}
SHARD_RE = re.compile(r"^(\d{4}-\d{2})\.jsonl$")
NOTES_FILE = "notes.jsonl"


def encode_line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class HistoryArchive(Protocol):
    """Where ended sessions are kept: this module's files, or PostgreSQL (pg_archive.py)."""

    text_search: bool  # True: matching() answers the text filter instead of the shards' words

    def shard_names(self) -> list[str]: ...
    def append(self, shard: str, record: dict[str, Any]) -> tuple[int, int]: ...
    def append_notes(self, edit: dict[str, Any]) -> None: ...
    def close(self) -> None: ...
    def read(self, shard: str, offset: int, length: int) -> dict[str, Any]: ...
    def notes_edits(self) -> Iterator[dict[str, Any]]: ...
    def load(self, shard_name: str) -> tuple[Shard, int]: ...
    def write_snapshot(self, shard: Shard) -> None: ...
    def matching(self, words: list[str]) -> set[str]: ...
    def news(self) -> tuple[list[tuple[str, int, dict[str, Any]]], list[dict[str, Any]]]: ...


class Archive:
    """The files of one history folder. Not thread-safe: the relay calls it from one loop."""

    text_search = False

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._fds: dict[str, int] = {}

    def shard_names(self) -> list[str]:
        return sorted(m[1] for p in self.folder.iterdir() if (m := SHARD_RE.match(p.name)))

    def path(self, shard: str) -> Path:
        return self.folder / f"{shard}.jsonl"

    def matching(self, words: list[str]) -> set[str]:
        raise NotImplementedError("the file archive's words are in the shards' index")

    def news(self) -> tuple[list[tuple[str, int, dict[str, Any]]], list[dict[str, Any]]]:
        """Nothing written by anyone else: one relay owns the folder."""
        return [], []

    # -- writing ---------------------------------------------------------------------------

    def append(self, shard: str, record: dict[str, Any]) -> tuple[int, int]:
        """Append one record and fsync it; returns its ``(offset, length)`` in the file."""
        line = encode_line(record)
        fd = self._fd(shard)
        offset = os.lseek(fd, 0, os.SEEK_END)
        _write_all(fd, line)
        os.fsync(fd)
        return offset, len(line)

    def append_notes(self, edit: dict[str, Any]) -> None:
        fd = self._fd(NOTES_FILE)
        _write_all(fd, encode_line(edit))
        os.fsync(fd)

    def _fd(self, shard: str) -> int:
        fd = self._fds.get(shard)
        if fd is None:
            name = shard if shard == NOTES_FILE else f"{shard}.jsonl"
            fd = os.open(self.folder / name, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            self._fds[shard] = fd
        return fd

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    # -- reading ---------------------------------------------------------------------------

    def read(self, shard: str, offset: int, length: int) -> dict[str, Any]:
        data = os.pread(self._fd(shard), length, offset)
        return json.loads(data)

    def notes_edits(self) -> Iterator[dict[str, Any]]:
        path = self.folder / NOTES_FILE
        if path.exists():
            for _offset, _length, edit in self._lines(path, 0):
                yield edit

    def load(self, shard_name: str) -> tuple[Shard, int]:
        """The shard's index: its snapshot, plus the records appended after it.

        Returns:
            the shard and how many records had to be indexed from the file (the tail).
        """
        path = self.path(shard_name)
        shard = self._load_snapshot(shard_name, path.stat().st_size)
        tail = 0
        end = shard.covered_bytes
        for offset, length, record in self._lines(path, shard.covered_bytes):
            try:
                shard.add(summarize(record, offset, length), record_tokens(record))
            except (KeyError, TypeError, ValueError) as error:
                logger.error("history %s: record at byte %d skipped: %s", path, offset, error)
            tail += 1
            end = offset + length
        shard.end_bytes = end
        return shard, tail

    def _lines(self, path: Path, start: int) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """``(offset, length, record)`` of every whole line from ``start``; cuts a torn end."""
        with open(path, "rb") as file:
            file.seek(start)
            offset = start
            for line in file:
                if not line.endswith(b"\n"):
                    logger.warning("history %s: cutting a torn last line at byte %d", path, offset)
                    file.close()
                    os.truncate(path, offset)
                    return
                try:
                    data = json.loads(line)
                except ValueError:
                    logger.error("history %s: damaged line at byte %d skipped", path, offset)
                else:
                    if isinstance(data, dict):
                        yield offset, len(line), data
                offset += len(line)

    # -- snapshots -------------------------------------------------------------------------

    def _snapshot_paths(self, shard: str) -> tuple[Path, Path]:
        return self.folder / f"{shard}.snapshot.json", self.folder / f"{shard}.postings"

    def _load_snapshot(self, name: str, file_size: int) -> Shard:
        meta_path, postings_path = self._snapshot_paths(name)
        try:
            meta = json.loads(meta_path.read_bytes())
            if (
                meta.get("v") not in READABLE_SNAPSHOTS
                or meta.get("itemsize") != array("I").itemsize
                or meta.get("byteorder") != sys.byteorder
                or not 0 <= meta["bytes"] <= file_size
            ):
                raise ValueError("another format, or longer than the file")
            data = postings_path.read_bytes()
            postings = array("I")
            postings.frombytes(data[: meta["postings"] * postings.itemsize])
            if len(postings) != meta["postings"]:
                raise ValueError("postings file of the wrong length")
            columns = _columns(meta, memoryview(data)[len(postings) * postings.itemsize :])
            words = {word: (span[0], span[1]) for word, span in meta["words"].items()}
            shard = Shard.from_columns(name, columns, words, postings)
        except FileNotFoundError:
            return Shard(name)
        except (ValueError, KeyError, TypeError) as error:
            logger.warning("history snapshot of %s not used (%s): indexing the file", name, error)
            return Shard(name)
        shard.covered_bytes = meta["bytes"]
        shard.snapshot_count = len(shard.summaries)
        return shard

    def write_snapshot(self, shard: Shard) -> None:
        """Save the shard's index as of the bytes it has indexed (atomically: tmp, fsync,
        rename; the postings first, so a crash between leaves the old metadata refusing
        the new postings by their length)."""
        spans, postings = shard.merged_postings()
        summaries = shard.summaries
        # Columns, not rows: the text fields as one JSON array each, the numbers as raw
        # arrays after the postings (parsing 100,000 floats from JSON was most of the load),
        # and Shard.from_columns builds the summaries from them in C.
        numbers = [
            array(code, [getattr(s, name) for s in summaries]) for name, code in NUMBER_COLUMNS
        ]
        meta = {
            "v": SNAPSHOT_VERSION,
            "bytes": shard.end_bytes,
            "itemsize": postings.itemsize,
            "byteorder": sys.byteorder,
            "postings": len(postings),
            "rows": len(summaries),
            "columns": {name: [getattr(s, name) for s in summaries] for name in TEXT_COLUMNS},
            "words": spans,
        }
        meta_path, postings_path = self._snapshot_paths(shard.name)
        write_atomically(postings_path, b"".join(a.tobytes() for a in (postings, *numbers)))
        write_atomically(meta_path, json.dumps(meta, ensure_ascii=False).encode())
        shard.frozen, shard.frozen_postings, shard.tail = spans, postings, {}
        shard.covered_bytes = shard.end_bytes
        shard.snapshot_count = len(shard.summaries)


def _columns(meta: dict[str, Any], numbers: memoryview) -> list[Sequence[Any]]:
    """The summary columns of a snapshot, in :attr:`Summary.FIELDS` order, checked for length.

    Args:
        numbers: what follows the postings in the ``.postings`` file (version 2).

    Raises:
        ValueError, KeyError, TypeError: a damaged snapshot (the caller indexes the file).
    """
    if meta["v"] == 1:
        rows = meta["rows"]
        full = len(Summary.FIELDS)
        older = full - len(DEFAULTED_COLUMNS)  # a row saved before the defaulted fields
        if any(len(row) not in (full, older) for row in rows):
            raise ValueError("a row of the wrong length")
        defaults = list(DEFAULTED_COLUMNS.values())
        rows = [row if len(row) == full else [*row, *defaults] for row in rows]
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) or [()] * full
    else:
        count = meta["rows"]
        if not isinstance(count, int) or len(numbers) != count * NUMBER_ROW_BYTES:
            raise ValueError("number columns of the wrong length")
        found: dict[str, Sequence[Any]] = {}
        start = 0
        for name, code in NUMBER_COLUMNS:
            column = array(code)
            column.frombytes(numbers[start : start + count * column.itemsize])
            start += count * column.itemsize
            found[name] = list(map(bool, column)) if code == "B" else column
        for name in TEXT_COLUMNS:
            if name in DEFAULTED_COLUMNS and name not in meta["columns"]:
                found[name] = [DEFAULTED_COLUMNS[name]] * count
            else:
                found[name] = meta["columns"][name]
        columns = [found[name] for name in Summary.FIELDS]
    if len({len(column) for column in columns}) != 1:
        raise ValueError("columns of different lengths")
    return columns


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
