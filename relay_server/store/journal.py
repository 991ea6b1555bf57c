"""The write-ahead journal: one JSON line per change, appended and fsynced in batches."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class Journal:
    """Append-only change log.

    ``append()`` only buffers; ``sync()`` writes everything buffered with one ``write`` and one
    ``fsync`` (group commit), so many changes share the cost of one disk flush. A change is
    durable once a ``sync()`` that started after its ``append()`` has returned.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._buffer: list[bytes] = []
        self._lock = threading.Lock()  # sync() may run in a worker thread
        self.appended = 0  # sequence number of the last appended change
        self.synced = 0  # sequence number of the last durable change
        self.size_bytes = os.fstat(self._fd).st_size
        # The last sync's bytes and fsync duration, for the committer's stats (commit_stats).
        self.last_sync_bytes = 0
        self.last_fsync_s = 0.0

    def append(self, change: dict[str, Any]) -> int:
        """Buffer one change; returns its sequence number for ``synced`` comparisons."""
        line = json.dumps(change, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            self._buffer.append(line)
            self.appended += 1
            return self.appended

    def sync(self) -> int:
        """Write and fsync what is buffered; returns the sequence number now durable."""
        with self._lock:
            lines, self._buffer = self._buffer, []
            upto = self.appended
        written_bytes, fsync_s = 0, 0.0
        if lines:
            data = b"".join(lines)
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            started = time.perf_counter()
            os.fsync(self._fd)
            fsync_s = time.perf_counter() - started
            written_bytes = len(data)
            self.size_bytes += written_bytes
        self.last_sync_bytes, self.last_fsync_s = written_bytes, fsync_s
        with self._lock:
            self.synced = max(self.synced, upto)
        return upto

    def truncate(self) -> None:
        """Empty the journal (after a checkpoint has made its changes durable elsewhere)."""
        with self._lock:
            if self._buffer:
                raise RuntimeError("truncate() with unsynced changes would lose them")
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
            self.size_bytes = 0

    def close(self) -> None:
        self.sync()
        os.close(self._fd)

    @staticmethod
    def replay(path: Path) -> Iterator[dict[str, Any]]:
        """Yield the changes stored in ``path``.

        A torn last line (the process died during ``write``) was never acknowledged, so it is
        skipped with a warning; damage anywhere else is an error.
        """
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return
        lines = raw.split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                if number >= len(lines) - 1:
                    logger.warning("journal %s: skipping torn last line %d", path, number)
                    return
                raise
