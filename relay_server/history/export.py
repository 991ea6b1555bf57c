"""The history export's child process: ``python -m relay_server export-history``.

The relay picks the sessions from its index and hands this process where each record lies
(one JSON line per session on stdin: ``{"shard", "offset", "length", "id"}``, plus
``"notes"`` / ``"notes_updated_at"`` when the notes were edited after the end); the process
reads the records from the month files itself (or, with ``--store``, from PostgreSQL's
``history_records`` by row) (read-only: it never cuts a torn line nor writes
a snapshot) and streams the workbook (:mod:`relay_server.history.xlsx_stream`) to stdout or
``--out``. It runs at a lower priority, on the other core, and holds none of the relay's
interpreter lock, so chat is not slowed while a large export is built (docs/performance.md).

Exit status: 0 written; 1 a record could not be read (the message on stderr); 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import IO, Any

from relay_server.history.xlsx_stream import HEADERS, write_workbook

logger = logging.getLogger(__name__)

MAX_EXPORT_SESSIONS = 20_000
NICENESS = 19  # the lowest: chat goes first whenever both want a core
_SHARD_RE = re.compile(r"^\d{4}-\d{2}$")


class ExportError(Exception):
    """A record of the job could not be read as the relay described it."""


def job_lines(locations: Iterable[tuple[str, Any, Any]]) -> Iterator[bytes]:
    """The child's stdin, a chunk per ~1,000 sessions, from ``History.locations``.

    The location is formatted by hand (it runs in the relay's event loop: ~1 µs a session
    instead of json.dumps' ~5); the ID and edited notes go through JSON.
    """
    lines: list[str] = []
    for shard, summary, notes in locations:
        line = (
            f'{{"shard":"{shard}","offset":{summary.offset:d},"length":{summary.length:d},'
            f'"id":{json.dumps(summary.id)}'
        )
        if notes is not None:
            edited = json.dumps({"notes": notes.notes, "notes_updated_at": notes.updated_at})
            line += "," + edited[1:-1]
        lines.append(line + "}\n")
        if len(lines) == 1000:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def _job(line: bytes, number: int, length_min: int) -> dict[str, Any]:
    try:
        job = json.loads(line)
        shard, offset, length = job["shard"], job["offset"], job["length"]
        if not (
            isinstance(shard, str)
            and _SHARD_RE.match(shard)
            and isinstance(offset, int)
            and isinstance(length, int)
            and offset >= 0
            and length >= length_min
        ):
            raise ValueError("shard, offset or length out of range")
    except (ValueError, KeyError, TypeError) as error:
        raise ExportError(f"job line {number} is not a record location: {error}") from None
    return job


def _with_notes(record: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    if isinstance(job.get("notes"), str):
        record.update(notes=job["notes"], notes_updated_at=job.get("notes_updated_at"))
    return record


def read_records(folder: Path, lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The records the job's ``lines`` point at, read one at a time from the month files.

    Raises:
        ExportError: a line that is not a job, or a record that is not where it should be.
    """
    files: dict[str, int] = {}
    try:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            job = _job(line, number, 1)
            shard, offset, length = job["shard"], job["offset"], job["length"]
            fd = files.get(shard)
            if fd is None:
                try:
                    fd = files[shard] = os.open(folder / f"{shard}.jsonl", os.O_RDONLY)
                except OSError as error:
                    raise ExportError(f"month {shard}: {error.strerror}") from None
            data = os.pread(fd, length, offset)
            try:
                record = json.loads(data)
            except ValueError:
                record = None
            if not isinstance(record, dict) or record.get("id") != job.get("id"):
                raise ExportError(f"month {shard}: no record of {job.get('id')} at byte {offset}")
            yield _with_notes(record, job)
    finally:
        for fd in files.values():
            os.close(fd)


def read_database_records(
    url: str, password: str | None, lines: Iterable[bytes]
) -> Iterator[dict[str, Any]]:
    """As :func:`read_records`, from PostgreSQL's ``history_records`` (the offset is the
    row's ``seq``), a thousand rows a query.

    Raises:
        ExportError: a line that is not a job, a record that is not there, no database.
    """
    import psycopg

    from relay_server.store.postgres import connect_kwargs

    try:
        conn = psycopg.connect(url, **connect_kwargs(password))
    except psycopg.Error as error:
        raise ExportError(f"cannot connect to the database: {error}") from None
    with conn:
        batch: list[dict[str, Any]] = []
        for number, line in enumerate(chain(lines, [b""]), 1):
            if line.strip():
                batch.append(_job(line, number, 0))
            if batch and (len(batch) == 1000 or not line):
                rows = conn.execute(
                    "SELECT seq, record FROM history_records WHERE seq = ANY(%s)",
                    ([job["offset"] for job in batch],),
                ).fetchall()
                found = dict(rows)
                for job in batch:
                    record = found.get(job["offset"])
                    if not isinstance(record, dict) or record.get("id") != job.get("id"):
                        raise ExportError(f"no record of {job.get('id')} at row {job['offset']}")
                    yield _with_notes(record, job)
                batch = []


def export(
    folder: Path,
    lines: Iterable[bytes],
    out: IO[bytes],
    tz: int,
    lang: str,
    database: tuple[str, str | None] | None = None,
) -> int:
    """Write the workbook of the job's records to ``out``; returns the sessions written.

    The first record is read before anything is written: a job that fails at once leaves
    ``out`` empty, and the relay can answer with an error instead of a cut file.

    Args:
        database: ``(url, password)`` of a PostgreSQL store: the records are read there.
    """
    if database is None:
        records = read_records(folder, lines)
    else:
        records = read_database_records(*database, lines)
    first = next(records, None)
    chained = records if first is None else chain((first,), records)
    return write_workbook(out, chained, tz, lang)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="remotesales-relay export-history",
        description="Write an .xlsx of archived sessions (the relay runs this for its history "
        "export). Reads one JSON record location a line on stdin.",
    )
    parser.add_argument("--data", type=Path, required=True, help="the relay's data folder")
    parser.add_argument(
        "--store",
        help="a PostgreSQL store's URL: read the records there (its password from "
        "$REMOTESALES_STORE_PASSWORD, PGPASSWORD or PGPASSFILE)",
    )
    parser.add_argument("--tz-offset-min", type=int, default=0, help="the reader's UTC offset")
    parser.add_argument("--lang", choices=sorted(HEADERS), default="en")
    parser.add_argument("--out", type=Path, help="the .xlsx file (default: stdout)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    if not -14 * 60 <= args.tz_offset_min <= 14 * 60:
        print("error: --tz-offset-min is -840 to 840", file=sys.stderr)
        return 2
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    folder = args.data / "history"
    database = None
    if args.store:
        database = (args.store, os.environ.get("REMOTESALES_STORE_PASSWORD") or None)
    try:
        if args.out is None:
            count = export(
                folder, sys.stdin.buffer, sys.stdout.buffer, args.tz_offset_min, args.lang,
                database,
            )  # fmt: skip
            sys.stdout.buffer.flush()
        else:
            with open(args.out, "wb") as out:
                count = export(
                    folder, sys.stdin.buffer, out, args.tz_offset_min, args.lang, database
                )
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        if args.out is not None:
            args.out.unlink(missing_ok=True)
        return 1
    except BrokenPipeError:  # the relay stopped reading (its client went away)
        return 1
    logger.info("exported %d sessions", count)
    return 0
