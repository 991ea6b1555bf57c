"""The mail worker's own journal of commit points and outcomes (a file in the relay's data folder).

With the single-folder store (TinyDB), the mail worker (``relay_server/mail/worker.py``) keeps
a mail's commit point itself: right before the final ``.`` of the DATA phase it appends
``{"m": message_id, "s": "committing"}`` here and fsyncs, and after the server's ``250`` it
appends ``{"m": ..., "s": "sent", "a": answer, "t": time}`` without a sync of its own (the next
mail's ``committing`` sync, or the relay's ``truncate``, carries it). The relay's event loop
then spends on a mail one line to the worker, one line back and one journal line of its own
(the outcome, riding on the chat's commits): no commit point of its own, no ride per mail
(docs/performance.md, *Mail*).

What a restarted relay does with it (:func:`outcomes`, before ``Outbox.recover``): a mail
``sent`` here is sent; a mail ``committing`` here and not ``sent`` may have been taken, so it
is failed as ``uncertain``, never sent twice; a mail not here never reached its final ``.``
and is queued again. The relay empties the journal (the worker's ``truncate``) only when every
outcome it holds is durable in the store too: at start after the fold, and when the sender goes
idle.

Only for one relay on one folder: with several nodes on one database (PostgreSQL) a node that
adopts a dead node's mails cannot read the dead node's disk, so there the commit point stays
in the store (``committing``, the worker's ``commit``/``go`` lines).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FILE_NAME = "mail-commits.jsonl"
COMMITTING, SENT, ANSWERED = "committing", "sent", "answered"


def path_in(folder: str | Path) -> Path:
    return Path(folder) / FILE_NAME


class CommitJournal:
    """The worker's writing side: append-only, one JSON line a mark."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def committing(self, message_id: str) -> None:
        """Durable before it returns: the final ``.`` may follow."""
        self._append({"m": message_id, "s": COMMITTING})
        os.fsync(self._fd)

    def sent(self, message_id: str, answer: str, at: float) -> None:
        """Written, not synced: durable with the next :meth:`committing` or :meth:`truncate`."""
        self._append({"m": message_id, "s": SENT, "a": answer, "t": at})

    def answered(self, message_id: str) -> None:
        """The server refused the message after its ``.`` (a 4xx or 5xx: not taken); the relay
        keeps the outcome. Not synced, as :meth:`sent`: lost, the mail is ``uncertain``."""
        self._append({"m": message_id, "s": ANSWERED})

    def truncate(self) -> None:
        """Empty the journal (the relay has every outcome in its store, durable)."""
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def _append(self, mark: dict[str, Any]) -> None:
        line = json.dumps(mark, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        view = memoryview(line)
        while view:
            view = view[os.write(self._fd, view) :]


def outcomes(path: str | Path) -> dict[str, dict[str, Any]]:
    """The last mark of every message in the journal: ``{message_id: {"s", "a"?, "t"?}}``.

    A torn last line (the worker died while writing it) is skipped: a ``committing`` line is
    durable only once its fsync returned, and the ``.`` is written only after that.
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for line in raw.split(b"\n"):
        if not line:
            continue
        try:
            mark = json.loads(line)
        except ValueError:
            logger.warning("mail commit journal %s: skipping a torn line", path)
            continue
        if isinstance(mark, dict) and isinstance(mark.get("m"), str):
            found[mark["m"]] = mark
    return found


def truncate(path: str | Path) -> None:
    """Empty the journal from the relay's side (at start, no worker running yet)."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        os.ftruncate(fd, 0)
        os.fsync(fd)
    finally:
        os.close(fd)
