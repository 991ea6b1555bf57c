"""``stop_child``, the one stop ladder (ask, wait, terminate, wait, kill), on real children."""

from __future__ import annotations

import subprocess
import sys
import time

from suite.child_processes import stop_child

WAIT_S = 0.5


def child(code: str) -> subprocess.Popen[str]:
    """A Python child running ``code``, ready once it printed its first line."""
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def test_a_child_that_stops_when_asked_is_not_terminated():
    """A child that exits at end-of-file on its stdin exits by itself, with its own status."""
    process = child("import sys; print('ready', flush=True); sys.stdin.read(); sys.exit(7)")
    assert process.stdin is not None
    started = time.monotonic()
    assert stop_child(process, ask=process.stdin.close, wait_s=5.0) == 7
    assert time.monotonic() - started < 5.0


def test_a_child_that_ignores_the_request_is_terminated():
    """A child that does not read its stdin gets SIGTERM after ``wait_s``."""
    process = child("import time; print('ready', flush=True); time.sleep(60)")
    assert stop_child(process, wait_s=WAIT_S) == -15


def test_a_child_that_ignores_sigterm_is_killed():
    """A child that ignores SIGTERM gets SIGKILL after a second ``wait_s``."""
    process = child(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    assert stop_child(process, wait_s=WAIT_S) == -9


def test_a_child_that_has_gone_already_is_reaped():
    """Asking a child that has exited (broken pipe) is not an error: its status comes back."""
    process = child("print('ready', flush=True)")
    process.wait()

    def ask() -> None:
        assert process.stdin is not None
        process.stdin.write("stop\n" * 100_000)
        process.stdin.close()

    assert stop_child(process, ask=ask, wait_s=WAIT_S) == 0
