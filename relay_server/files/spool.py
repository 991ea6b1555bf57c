"""Spool files of transfers on the relay's disk: appended in pieces, read in pieces.

One file per transfer under ``<data>/file_spool/``, named by the transfer id (random,
url-safe: never a name a client chose). Nothing is held in memory beyond one piece, so a
2 GiB file costs the relay a few hundred KiB. The folder is emptied at start-up: transfers
live in memory, so spool files left by a previous run belong to nobody.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

PIECE_BYTES = 256 * 1024


class FileSpool:
    def __init__(self, folder: Path):
        self.folder = folder

    def sweep(self) -> int:
        """Delete every spool file (at start-up). Returns how many there were."""
        if not self.folder.exists():
            self.folder.mkdir(parents=True)
            return 0
        count = 0
        for path in self.folder.iterdir():
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            count += 1
        if count:
            logger.info("swept %d spool files left from a previous run", count)
        return count

    def path(self, transfer_id: str) -> Path:
        return self.folder / f"{transfer_id}.spool"

    def create(self, transfer_id: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path(transfer_id).touch()

    def append(
        self,
        transfer_id: str,
        source: BinaryIO,
        length: int,
        wrote: Callable[[bytes], None],
    ) -> int:
        """Copy up to ``length`` bytes from ``source`` to the end of the spool file.

        Each piece is written, then passed to ``wrote`` (which hashes and counts it), so the
        count always matches what is on disk even when ``source`` breaks off half-way (a
        dropped connection): the sender then resumes from there.

        Returns:
            the number of bytes appended (less than ``length`` if the source ended early).
        """
        done = 0
        with self.path(transfer_id).open("ab") as spool:
            while done < length:
                try:
                    piece = source.read(min(PIECE_BYTES, length - done))
                except (OSError, ValueError):  # the client went away mid-body
                    piece = b""
                if not piece:
                    break
                spool.write(piece)
                spool.flush()
                wrote(piece)
                done += len(piece)
        return done

    def read(self, transfer_id: str, start: int, end: int) -> Iterator[bytes]:
        """Yield bytes ``start`` to ``end`` (exclusive) in pieces (a streaming response body)."""
        with self.path(transfer_id).open("rb") as spool:
            spool.seek(start)
            left = end - start
            while left > 0:
                piece = spool.read(min(PIECE_BYTES, left))
                if not piece:
                    return
                left -= len(piece)
                yield piece

    def copy_in(self, source: Path, transfer_id: str) -> None:
        """Put the file at ``source`` (on the same disk: linked, else copied) as the spool
        file of ``transfer_id`` (a reservation's material shared in its session, A11)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, self.path(transfer_id))
        except OSError:
            shutil.copyfile(source, self.path(transfer_id))

    def delete(self, transfer_id: str) -> None:
        try:
            os.unlink(self.path(transfer_id))
        except FileNotFoundError:
            pass

    def files(self) -> list[Path]:
        """The spool files present (for tests and health)."""
        return sorted(self.folder.glob("*.spool")) if self.folder.exists() else []
