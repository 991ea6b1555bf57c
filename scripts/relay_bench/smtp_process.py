"""The benchmark's SMTP server in a process of its own, at the lowest priority.

It stands for a mail server on another machine: run as a thread of the benchmark, its parsing
of 50 mails a second took CPU from the very processes measured on a 2-core machine (the relay
and the chat clients). The child runs :class:`tests.support.smtp_server.SmtpServer` and writes
each accepted message's Message-ID to its stdout; a thread here reads them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support.smtp_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
NICENESS = 10

CHILD = """
import os, sys
sys.path.insert(0, sys.argv[2])
from tests.support.smtp_server import SmtpServer
os.nice(int(sys.argv[3]))
try:  # runs only when no other process wants the CPU, like a server on another machine
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
except (AttributeError, OSError):
    pass
server = SmtpServer(port=int(sys.argv[1])).start()
print("ready", flush=True)
written = 0
with server.changed:
    while True:
        server.changed.wait()
        for received in server.received[written:]:
            sys.stdout.write(received.message_id + "\\n")
        written = len(server.received)
        sys.stdout.flush()
"""


def lower_this_thread() -> None:
    """This thread at nice 10 and ``SCHED_IDLE`` where allowed (Linux: both are per thread),
    for the bench's own work beside the measured chat clients that stands for a machine
    elsewhere (``bench_mail.py``'s inviting thread: the agent who invites). It then takes CPU 1
    only when the clients there do not want it: at normal priority a burst of it (an
    invitation request of 50 recipients and its answer, 4-5 ms of CPU) may run on for its
    slice while a woken client waits, a few times a second, and the chat's p99 is 1 % of its
    deliveries (docs/performance.md, *Mail*). The thread that counts the server's mails stays
    at normal priority: its wake-ups are short, and phase 1's clock waits on it."""
    tid = threading.get_native_id()
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, tid, NICENESS)
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))


class SmtpProcess:
    """aiosmtpd on 127.0.0.1:<port> in a niced, idle-class child (SCHED_IDLE where the system
    allows it); counts what it accepted by Message-ID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[str] = []  # Message-IDs, in the order the server took them
        self._changed = threading.Condition()
        self._child: subprocess.Popen[str] | None = None

    def start(self) -> SmtpProcess:
        self._child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(self.port), str(REPO_ROOT), str(NICENESS)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._child.stdout is not None
        if self._child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the SMTP server did not start (exit {self._child.poll()})")
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self._child is not None and self._child.stdout is not None
        for line in self._child.stdout:
            with self._changed:
                self.received.append(line.strip())
                self._changed.notify_all()

    def stop(self) -> None:
        if self._child is not None:
            self._child.terminate()
            self._child.wait(10)
            self._child = None

    def relay_args(self, sender: str = "relay@example.com") -> list[str]:
        """The relay's command-line options that send through this server."""
        return ["--smtp-host", "127.0.0.1", "--smtp-port", str(self.port), "--mail-from", sender]

    def clear(self) -> None:
        """Start counting afresh."""
        with self._changed:
            self.received.clear()

    def message_id_counts(self) -> Counter[str]:
        with self._changed:
            return Counter(self.received)

    def wait_for(self, count: int, timeout_s: float = 30.0) -> None:
        """Wait until at least ``count`` messages were taken since the last :meth:`clear`."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout_s):
                raise RuntimeError(
                    f"the SMTP server took {len(self.received)} of {count} messages "
                    f"in {timeout_s:.0f} s"
                )

    def __enter__(self) -> SmtpProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
