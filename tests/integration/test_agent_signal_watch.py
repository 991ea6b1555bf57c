"""SIGTERM reaches the agent app while its GUI loop (Qt's, in C++) holds the main thread.

A Qt event loop with no Python timer never gives Python's signal handler a turn: this program
stands for the app's main thread under pywebview (minus pywebview's 500 ms no-op timer), and
quits only if suite/agent/app/signal_watch.py acts on the signal from its own thread.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.support.relay import REPO_ROOT

QT_LOOP = """
import signal, sys
from PyQt6.QtCore import QCoreApplication, QMetaObject, Qt
from suite.agent.app.signal_watch import SignalWatch

app = QCoreApplication(sys.argv)
acted = []

def on_signal(signum):
    acted.append(signum)
    QMetaObject.invokeMethod(app, "quit", Qt.ConnectionType.QueuedConnection)

watch = SignalWatch([signal.SIGTERM], on_signal).start()
print("looping", flush=True)
app.exec()
watch.close()
print("acted on", acted, flush=True)
"""


def test_sigterm_ends_a_qt_loop_that_never_runs_python():
    pytest.importorskip("PyQt6.QtCore")
    process = subprocess.Popen(
        [sys.executable, "-c", QT_LOOP], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "looping"
        time.sleep(0.2)  # let it settle in exec() (a signal before that is acted on too)
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        process.kill()
    assert process.returncode == 0
    assert out.strip() == f"acted on [{int(signal.SIGTERM)}]"
    # Not a poll's 500 ms: the loop wakes when the signal arrives (generous for load).
    assert took < 2.0, took
