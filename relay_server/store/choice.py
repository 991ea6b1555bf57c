"""``--store``: which store the relay (and its commands) open, from the command line.

- ``--store tinydb:<folder>`` (default: ``tinydb:<--data>``): the TinyDB store in a folder.
- ``--store postgresql://user@host:port/dbname`` (or ``postgres://``): the PostgreSQL store;
  ``--data`` is then the local folder for files' bytes, photos and exports. The password
  never goes in the URL (the URL shows in process lists): ``--store-password-file``,
  ``$REMOTESALES_STORE_PASSWORD``, or libpq's own ``PGPASSWORD`` / ``PGPASSFILE`` /
  ``~/.pgpass``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from relay_server.password_file import read_password
from relay_server.store.interface import Store, StoreError

PASSWORD_ENV = "REMOTESALES_STORE_PASSWORD"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class StoreChoice:
    kind: str  # "tinydb" or "postgresql"
    target: str  # the folder, or the database URL (without a password)
    folder: Path  # local files (the TinyDB folder itself)
    password: str | None = None

    def describe(self) -> str:
        return f"{self.kind}:{self.target}" if self.kind == "tinydb" else self.target


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("data"),
        help="data folder: the TinyDB store, and with --store postgresql the local files "
        "(files' bytes, photos, exports)",
    )
    parser.add_argument(
        "--store",
        metavar="tinydb:FOLDER|postgresql://USER@HOST:PORT/DB",
        help="where durable data lives (default tinydb:<--data>); no password in the URL",
    )
    parser.add_argument(
        "--store-password-file",
        type=Path,
        metavar="FILE",
        help=f"the database password's file (its first line); else ${PASSWORD_ENV}, "
        "PGPASSWORD or PGPASSFILE",
    )


def parse_choice(store: str | None, data: Path, password_file: Path | None = None) -> StoreChoice:
    """What ``--store``, ``--data`` and ``--store-password-file`` ask for.

    Raises:
        ValueError: a malformed choice, with the reason (the caller prints it, exit 2).
    """
    if store is None or store.startswith("tinydb:"):
        if store == "tinydb:":
            raise ValueError("--store tinydb: needs a folder (tinydb:./data)")
        folder = Path(store[len("tinydb:") :]) if store else data
        if password_file is not None:
            raise ValueError("--store-password-file is for a PostgreSQL store")
        return StoreChoice("tinydb", str(folder), folder)
    if not store.startswith(POSTGRES_SCHEMES):
        raise ValueError(
            f"--store {store!r}: give tinydb:<folder> or postgresql://user@host:port/database"
        )
    try:
        password_in_url = urlsplit(store).password is not None
    except ValueError as error:
        raise ValueError(f"--store: not a database URL ({error})") from None
    if password_in_url:
        raise ValueError(
            "--store: no password in the URL (process lists show it); use "
            f"--store-password-file, ${PASSWORD_ENV} or PGPASSFILE"
        )
    password = read_password("--store-password-file", password_file, PASSWORD_ENV)
    return StoreChoice("postgresql", store, data, password)


def open_store(choice: StoreChoice, node_id: str = "") -> Store:
    """Open the chosen store (``node_id``: who claims rows, the hub's name of this node).

    Raises:
        StoreError: it cannot be used (locked, unreachable, newer schema).
    """
    if choice.kind == "tinydb":
        from relay_server.store.store import TinyDBStore

        return TinyDBStore(choice.folder)
    # Imported here: psycopg must come after gevent's monkey-patching, and a TinyDB relay
    # never loads it.
    from relay_server.store.postgres import PostgresStore

    return PostgresStore(choice.target, choice.folder, choice.password, node_id)


__all__ = ["StoreChoice", "StoreError", "add_store_arguments", "open_store", "parse_choice"]
