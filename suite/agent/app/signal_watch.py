"""Act on a signal at once while a GUI toolkit's loop holds the main thread.

Python runs a signal's handler only when the main thread next runs Python code. Under
pywebview's Qt loop (``QApplication.exec()``, C++) that is the no-op timer pywebview starts for
this, every 500 ms, so SIGTERM (a logout, a shutdown, a test's stop) waited up to half a second
before the app began to quit. Python's C-level handler also writes the signal's number to the
wakeup fd (``signal.set_wakeup_fd``); a thread blocked on that fd's other end wakes at once.
Whichever of the two comes first acts, once.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)


class SignalWatch:
    """Call ``on_signal(signum)`` once, on the first of ``signals`` that arrives.

    ``on_signal`` runs on the watch's thread or on the main thread (whichever sees the signal
    first), so it must not block the GUI: hand long work to a thread. Call :meth:`start` from the
    main thread (Python installs signal handlers and the wakeup fd only there); :meth:`close`
    after the GUI loop has returned.
    """

    def __init__(self, signals: Iterable[signal.Signals], on_signal: Callable[[int], None]):
        self._signals = frozenset(int(number) for number in signals)
        self._on_signal = on_signal
        self._lock = threading.RLock()  # a second signal may interrupt the first's handler
        self._fired = False
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)  # the C-level handler must never block
        self._previous_fd = -1

    def start(self) -> SignalWatch:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for number in self._signals:
            signal.signal(number, self._handler)
        threading.Thread(target=self._watch, name="signal-watch", daemon=True).start()
        return self

    def close(self) -> None:
        """Give the wakeup fd back and stop the watch's thread (the handlers stay: a late
        signal is acted on once only anyway)."""
        signal.set_wakeup_fd(self._previous_fd)
        self._writer.close()  # the watch's recv() returns b"" and its thread ends

    def _handler(self, signum: int, frame: object) -> None:
        self._fire(signum)

    def _watch(self) -> None:
        while True:
            try:
                received = self._reader.recv(64)
            except OSError:
                break
            if not received:
                break
            for number in received:  # one byte per signal, its number
                if number in self._signals:
                    self._fire(number)
        self._reader.close()

    def _fire(self, signum: int) -> None:
        with self._lock:
            if self._fired:
                return
            self._fired = True
        try:
            self._on_signal(signum)
        except Exception:  # a signal's action must not kill the thread that saw it silently
            logger.exception("acting on signal %s failed", signum)
