"""``python -m relay_server migrate --from ./data --to postgresql://...``: copy a TinyDB data
folder into PostgreSQL.

Copies every table of the store (accounts and tokens, live sessions, chat, notes,
invitations, files' metadata, reservations, the mail outbox, options and audit log,
whiteboards, favourites, agent data, icon numbers) with their ids, and the history
(``history/*.jsonl`` and its notes edits) with its search words, in ONE transaction: a
failure leaves the database as it was. Favourite documents' bytes, agents' photos and the
pictures on live sessions' whiteboards are copied too (the ``shared_files`` table: any node
may serve them); chat files' bytes stay in the folder: run the relay on PostgreSQL with
``--data`` at the same folder (or a copy).

A target that already holds data is refused unless ``--force``; with ``--force`` the copy is
idempotent (documents are upserted by table and id, a session's history rows are replaced),
so running it twice leaves the same database.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from relay_server.accounts.photos import KINDS as PHOTO_KINDS
from relay_server.accounts.photos import SHARED_PREFIX as PHOTOS_PREFIX
from relay_server.accounts.photos import version_of as photo_version
from relay_server.history.archive import Archive
from relay_server.history.index import record_tokens
from relay_server.store.choice import PASSWORD_ENV, parse_choice
from relay_server.store.interface import StoreError
from relay_server.store.shared_files import put_pieces
from relay_server.store.store import META_TABLE, TinyDBStore
from relay_server.whiteboard.images import SHARED_PREFIX as BOARD_PREFIX

logger = logging.getLogger(__name__)

_UPSERT = (
    "INSERT INTO documents (tbl, id, doc) VALUES (%s, %s, %s::json) "
    "ON CONFLICT (tbl, id) DO UPDATE SET doc = excluded.doc"
)


# The mail worker's commit journal (relay_server/mail/commit_journal.py FILE_NAME): marks the
# TinyDB relay folds into its outbox at start; PostgreSQL keeps them in the store itself.
MAIL_COMMITS = "mail-commits.jsonl"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="remotesales-relay migrate",
        description="Copy a TinyDB data folder into a PostgreSQL database (stop the relay "
        "that uses the folder first).",
    )
    p.add_argument("--from", dest="source", type=Path, required=True, help="the data folder")
    p.add_argument(
        "--to", dest="target", required=True, help="postgresql://user@host:port/database"
    )
    p.add_argument(
        "--store-password-file",
        type=Path,
        metavar="FILE",
        help=f"the database password's file; else ${PASSWORD_ENV}, PGPASSWORD or PGPASSFILE",
    )
    p.add_argument(
        "--force", action="store_true", help="copy into a database that already holds data"
    )
    return p


def group_of(table: str) -> str:
    """The name a table is counted under: ``chat:<session>`` tables are all "chat"."""
    return table.split(":", 1)[0]


def migrate(source: TinyDBStore, conn, force: bool) -> Counter[str]:
    """Copy ``source`` (and its ``history/`` folder) through ``conn`` in one transaction.

    Returns:
        how many documents (or history records, ``history``; notes edits, ``history notes``)
        were copied per table group.

    Raises:
        StoreError: the target holds data and ``force`` is false.
    """
    commits = source.folder / MAIL_COMMITS
    if commits.exists() and commits.stat().st_size:
        raise StoreError(
            f"{commits} holds the mail worker's marks of a relay that stopped while sending "
            "mail; start the relay on this folder once (it writes them into the outbox) and "
            "stop it, then migrate"
        )
    counts: Counter[str] = Counter()
    with conn.transaction():
        if not force:
            held = conn.execute(
                "SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM history_records)"
            ).fetchone()[0]
            if held:
                raise StoreError(
                    f"the target database already holds {held} documents and history records; "
                    "--force copies over them (same ids are replaced)"
                )
        with conn.cursor() as cursor:
            for table in source.tables():
                if table == META_TABLE:
                    continue
                rows = [(table, doc.doc_id, _dumps(doc)) for doc in source.all(table)]
                cursor.executemany(_UPSERT, rows)
                counts[group_of(table)] += len(rows)
            # Favourite documents' bytes: every node must be able to send them.
            for doc in source.all("favourites"):
                for document in doc.get("documents", []):
                    path = source.folder / "favourites" / f"{document['id']}.bin"
                    if path.is_file():
                        put_pieces(conn, f"favourites/{document['id']}", path)
                        counts["favourite documents"] += 1
            counts.update(_copy_node_files(source.folder, conn))
            archive = Archive(source.folder / "history")
            for shard in archive.shard_names():
                records = [record for _, _, record in archive._lines(archive.path(shard), 0)]
                ids = [str(record.get("id")) for record in records]
                cursor.execute("DELETE FROM history_records WHERE session_id = ANY(%s)", (ids,))
                cursor.executemany(
                    "INSERT INTO history_records (session_id, shard, record, search) "
                    "VALUES (%s, %s, %s::json, array_to_tsvector(%s))",
                    [
                        (session_id, shard, _dumps(record), sorted(record_tokens(record)))
                        for session_id, record in zip(ids, records, strict=True)
                    ],
                )
                counts["history"] += len(records)
            edits = list(archive.notes_edits())
            archive.close()
            if edits:
                edited = sorted({str(edit.get("id")) for edit in edits})
                cursor.execute("DELETE FROM history_notes WHERE session_id = ANY(%s)", (edited,))
                cursor.executemany(
                    "INSERT INTO history_notes (session_id, edit) VALUES (%s, %s::json)",
                    [(str(edit.get("id")), _dumps(edit)) for edit in edits],
                )
                latest = {str(edit.get("id")): str(edit.get("notes") or "") for edit in edits}
                for session_id, notes in latest.items():
                    row = cursor.execute(
                        "SELECT seq, record FROM history_records WHERE session_id = %s "
                        "ORDER BY seq DESC LIMIT 1",
                        (session_id,),
                    ).fetchone()
                    if row is not None:
                        cursor.execute(
                            "UPDATE history_records SET search = array_to_tsvector(%s) "
                            "WHERE seq = %s",
                            (sorted(record_tokens(row[1], notes)), row[0]),
                        )
                counts["history notes"] += len(edits)
    return counts


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        choice = parse_choice(args.target, args.source, args.store_password_file)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if choice.kind != "postgresql":
        print("error: --to is a postgresql://... URL", file=sys.stderr)
        return 2
    if not (args.source / "relay.json").exists() and not (args.source / "journal.jsonl").exists():
        print(f"error: {args.source} is not a relay data folder (no relay.json)", file=sys.stderr)
        return 2
    from relay_server.store.postgres import PostgresStore

    try:
        source = TinyDBStore(args.source)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        target = PostgresStore(choice.target, args.source, choice.password)
    except StoreError as error:
        source.close()
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        with target.pool.connection() as conn:
            counts = migrate(source, conn, args.force)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        target.close()
        source.close()
    for group in sorted(counts):
        print(f"{group:<24} {counts[group]:>8}")
    print(f"copied {sum(counts.values())} rows from {args.source} to {choice.target}")
    return 0


def _copy_node_files(folder: Path, conn) -> Counter[str]:
    """Agents' photos (``photos/<username>.<ext>``) and whiteboard pictures
    (``whiteboard_images/<session id>/<image id>``) into ``shared_files``, under the names the
    relay on PostgreSQL reads (accounts/photos.py, whiteboard/images.py)."""
    counts: Counter[str] = Counter()
    for path in sorted((folder / "photos").glob("*.*")):
        if path.is_file() and path.suffix[1:] in {kind for kind, _ in PHOTO_KINDS}:
            put_pieces(conn, PHOTOS_PREFIX + path.stem, path,
                       {"sha256": photo_version(path.read_bytes())})  # fmt: skip
            counts["photos"] += 1
    for path in sorted((folder / "whiteboard_images").glob("*/*")):
        if path.is_file() and not path.name.startswith("."):
            put_pieces(conn, f"{BOARD_PREFIX}{path.parent.name}/{path.name}", path)
            counts["whiteboard pictures"] += 1
    return counts


def _dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
