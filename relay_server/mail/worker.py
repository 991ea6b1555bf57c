"""The mail worker: a child process of the relay that builds and sends its mails.

The relay's sender (``relay_server/mail/sender.py``) keeps the outbox: which mail is due, its
states, the commit point, retries. What a try costs in CPU, the MIME serialisation and the SMTP
conversation (:class:`relay_server.mail.delivery.Delivery`), runs here, in an interpreter of its
own at a lower priority, so that it takes no time from the relay's event loop where the chat
runs (docs/performance.md, *Mail*). ``remotesales-relay mail-worker FD PARENT_PID`` is started
by :class:`relay_server.mail.worker_client.WorkerDelivery` with one end of a socket pair (FD).

The protocol, one JSON object a line, one try at a time:

- relay → worker ``{"op": "send", "settings": {...}, "envelope": {...}, "key": ...,
  "sent_at": t, "content": {...}}``: build and send one mail (``settings``: the fields of
  :class:`~relay_server.mail.settings.SmtpSettings`; ``envelope``: of
  :class:`~relay_server.mail.delivery.Envelope`; ``content``: the outbox's stored fields,
  ``key`` its SHA-256 or null).
- worker → relay ``{"op": "commit"}``: the message is written, only the final ``.`` is left.
- relay → worker ``{"op": "go"}``: the outbox's ``committing`` is durable: write the ``.``.
- worker → relay ``{"op": "done", "outcome": o, "answer": text}``; ``o`` is ``sent``,
  ``temporary``, ``permanent``, ``uncertain`` (as ``smtp_client`` sorts failures),
  ``unbuildable`` or ``error`` (a bug here).
- relay → worker ``{"op": "close"}``: QUIT the connection (idle, or after a temporary failure);
  no answer.

With a commit journal (``mail-worker FD PARENT_PID JOURNAL``, the single-folder store) a
``send`` with ``"journal": true`` keeps its commit point here instead: the worker appends and
fsyncs ``committing`` to its own journal (``relay_server/mail/commit_journal.py``) and writes the
``.`` without asking, then appends the outcome; no ``commit``/``go`` lines. ``{"op":
"truncate"}`` empties that journal (the relay has every outcome durable in its store); no answer.

Batches (the journaled worker, ``WorkerDelivery.send_many``): the relay writes a batch of
``send`` lines at once, as bytes it built once per batch, and the worker answers them in
order. ``{"op": "content", "key": k, "content": {...}}`` hands a content over once (the worker
keeps the last :data:`CONTENTS_KEPT` by key, first in first out, as the relay counts them), and
a ``send`` with a ``key`` and no ``content`` uses it. A ``send`` with ``"flush": false`` has its
``done`` line held back until a ``send`` without it, or :data:`FLUSH_S` after the first line
held (a timer: a slow SMTP answer later in the batch does not hold the earlier outcomes): the
relay's loop wakes once for a batch's outcomes, not once a mail (docs/performance.md, *Mail*).
``done`` lines then carry ``"m"``, the Message-ID.

The end of the socket means the relay stopped or crashed: a transaction still without its
``.`` is dropped (the server discards it) and the worker exits. The worker also dies with the
relay (``PR_SET_PDEATHSIG``), so a relay killed with ``kill -9`` leaves no worker that could
finish a mail after it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
from typing import Any, BinaryIO

from relay_server.mail.commit_journal import CommitJournal
from relay_server.mail.delivery import Delivery, Envelope, Unbuildable
from relay_server.mail.settings import SmtpSettings
from relay_server.mail.smtp_client import (
    MailFailure,
    PermanentFailure,
    TemporaryFailure,
    UncertainFailure,
)

logger = logging.getLogger(__name__)

NICENESS = 10  # below the relay: the chat wins the CPU when both want it
CONTENTS_KEPT = 16  # contents kept by key (the relay counts the same: worker_client)
FLUSH_S = 0.05  # a held-back ``done`` line waits at most this long
OUTCOMES: tuple[tuple[type[MailFailure], str], ...] = (
    (Unbuildable, "unbuildable"),
    (UncertainFailure, "uncertain"),
    (PermanentFailure, "permanent"),
    (TemporaryFailure, "temporary"),
)


class RelayGone(Exception):
    """The relay closed its end (stopped, crashed) or did not say "go"."""


class Worker:
    """The worker's loop over one socket's lines (``reader``, ``writer``)."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO, journal: CommitJournal | None = None):
        self.reader = reader
        self.writer = writer
        self.journal = journal
        self.delivery = Delivery()
        self.contents: dict[str, dict[str, Any]] = {}  # ``content`` ops, by key
        self.lines = HeldLines(writer)

    def serve(self) -> None:
        """Answer the relay until it closes its end."""
        try:
            while True:
                request = self._read()
                if request is None:
                    return
                if request.get("op") == "send":
                    done = self._send(request)
                    done["m"] = request["envelope"]["message_id"]
                    self._write(done, flush=request.get("flush", True))
                elif request.get("op") == "content":
                    if len(self.contents) >= CONTENTS_KEPT:
                        self.contents.pop(next(iter(self.contents)))
                    self.contents[request["key"]] = request["content"]
                elif request.get("op") == "close":
                    self.delivery.close()
                elif request.get("op") == "truncate" and self.journal is not None:
                    self.journal.truncate()
        except RelayGone:
            return
        finally:
            self.delivery.drop()

    def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        envelope = Envelope(**request["envelope"])
        journal = self.journal if request.get("journal") else None
        committed = False

        def commit_point() -> None:
            nonlocal committed
            if journal is None:
                self._commit_point()
                return
            journal.committing(envelope.message_id)  # durable: the "." may follow
            committed = True

        try:
            content = request.get("content")
            if content is None:  # handed over before (``content`` op)
                content = self.contents[request["key"]]
            answer = self.delivery.send(
                SmtpSettings(**request["settings"]),
                envelope,
                request.get("key"),
                content,
                float(request["sent_at"]),
                commit_point,
            )
        except RelayGone:
            raise
        except MailFailure as failure:
            outcome = next(name for kind, name in OUTCOMES if isinstance(failure, kind))
            if journal is not None and committed and outcome in ("permanent", "temporary"):
                journal.answered(envelope.message_id)  # refused after its ".": not taken
            return {"op": "done", "outcome": outcome, "answer": failure.answer}
        except Exception as error:  # a bug: the relay decides by its own commit mark
            logger.exception("mail worker failed")
            self.delivery.drop()
            return {"op": "done", "outcome": "error", "answer": f"{type(error).__name__}: {error}"}
        if journal is not None:
            journal.sent(envelope.message_id, answer, float(request["sent_at"]))
        return {"op": "done", "outcome": "sent", "answer": answer}

    def _commit_point(self) -> None:
        self._write({"op": "commit"})
        reply = self._read()
        if reply is None or reply.get("op") != "go":
            raise RelayGone()

    def _read(self) -> dict[str, Any] | None:
        line = self.reader.readline()
        if not line:
            return None
        request = json.loads(line)
        return request if isinstance(request, dict) else {}

    def _write(self, message: dict[str, Any], flush: bool = True) -> None:
        """One line to the relay; held back (``flush`` False) at most :data:`FLUSH_S`."""
        self.lines.write(json.dumps(message).encode() + b"\n", flush)


class HeldLines:
    """The worker's lines to the relay, some held back: flushed with the next line that is not,
    or by a timer thread :data:`FLUSH_S` after the first one held, whatever the worker is
    waiting for meanwhile (an SMTP server slow to answer the next mail of the batch)."""

    def __init__(self, writer: BinaryIO, hold_s: float = FLUSH_S):
        self.writer = writer
        self.hold_s = hold_s
        self._lock = threading.Condition()
        self._due: float | None = None  # time.monotonic() of the held lines' flush
        self._broken = False  # the timer's flush found the relay gone
        threading.Thread(target=self._timer, name="held-lines", daemon=True).start()

    def write(self, line: bytes, flush: bool) -> None:
        with self._lock:
            try:
                if self._broken:
                    raise OSError("the relay's end is closed")
                self.writer.write(line)
                if flush:
                    self.writer.flush()
                    self._due = None
                elif self._due is None:
                    self._due = time.monotonic() + self.hold_s
                    self._lock.notify()
            except OSError:
                raise RelayGone() from None

    def _timer(self) -> None:
        with self._lock:
            while True:
                left = None if self._due is None else self._due - time.monotonic()
                if left is None or left > 0:
                    self._lock.wait(left)
                    continue
                self._due = None
                try:
                    self.writer.flush()
                except (OSError, ValueError):  # gone (or closed as the worker exits)
                    self._broken = True


def _die_with(parent_pid: int) -> None:
    """Be killed when the relay dies (Linux); exit now if it already has."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig, sigkill = 1, 9
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, sigkill, 0, 0, 0)
    if os.getppid() != parent_pid:
        sys.exit(0)


def stay_out_of_the_relays_way(parent_pid: int) -> None:
    """Take the CPU only where and when the relay's loop does not want it.

    - nice 10: when both want a core, the relay (and its chat) goes first;
    - ``SCHED_BATCH`` (Linux): a worker woken by the relay's line does not preempt the relay
      on its core; it runs at the relay's next wait. Under ``SCHED_OTHER`` each of the four
      lines of a try woke the worker on the relay's core and the relay lost its slice then:
      a py-spy of the relay sending 1,000 mails pinned on one core found 16 % of its samples
      in the ``send`` of those lines (docs/performance.md, *Mail*);
    - CPUs: a relay pinned to some CPUs (``taskset``) left them to itself; the worker
      inherited the pin and competed for exactly those. It runs on the other CPUs it may use
      when there are any.
    """
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_BATCH"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    if hasattr(os, "sched_getaffinity"):
        with contextlib.suppress(OSError):
            relay = os.sched_getaffinity(parent_pid)
            usable = _usable_cpus()
            others = usable - relay
            if others and relay and relay != usable:
                os.sched_setaffinity(0, others)


def _usable_cpus() -> set[int]:
    """The CPUs this process may run on: its cgroup's, else all online ones."""
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/cpuset.cpus.effective") as effective:
            return _cpu_list(effective.read())
    return set(range(os.cpu_count() or 1))


def _cpu_list(text: str) -> set[int]:
    """``0-3,6`` -> {0, 1, 2, 3, 6}."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if part:
            first, _, last = part.partition("-")
            cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def main(argv: list[str]) -> int:
    """``mail-worker FD PARENT_PID [JOURNAL]``."""
    fd, parent_pid = int(argv[0]), int(argv[1])
    journal = CommitJournal(argv[2]) if len(argv) > 2 else None
    _die_with(parent_pid)
    stay_out_of_the_relays_way(parent_pid)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    connection = socket.socket(fileno=fd)
    connection.setblocking(True)  # the relay's end is gevent's: the flag came non-blocking
    with connection, connection.makefile("rb") as reader, connection.makefile("wb") as writer:
        Worker(reader, writer, journal).serve()
    return 0
