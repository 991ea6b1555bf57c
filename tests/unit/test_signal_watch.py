"""suite/agent/app/signal_watch.py: the first watched signal is acted on, once."""

from __future__ import annotations

import os
import signal
import threading

from suite.agent.app.signal_watch import SignalWatch
from tests.support.waiting import wait_until


def test_the_first_signal_is_acted_on_once_and_others_are_left_alone():
    acted: list[tuple[int, str]] = []
    previous = signal.getsignal(signal.SIGUSR1), signal.getsignal(signal.SIGUSR2)
    watch = SignalWatch(
        [signal.SIGUSR1], lambda n: acted.append((n, threading.current_thread().name))
    ).start()
    signal.signal(signal.SIGUSR2, lambda *_: None)  # its byte reaches the watch too: ignored
    try:
        os.kill(os.getpid(), signal.SIGUSR2)
        os.kill(os.getpid(), signal.SIGUSR1)
        wait_until(lambda: acted, timeout_s=5, what="the watch acting on SIGUSR1")
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR1)
    finally:
        watch.close()
        signal.signal(signal.SIGUSR1, previous[0])
        signal.signal(signal.SIGUSR2, previous[1])
    assert [number for number, _ in acted] == [signal.SIGUSR1]
    # Either the main thread's handler or the watch's thread got there first; nobody else.
    assert acted[0][1] in {"MainThread", "signal-watch"}


def test_close_gives_the_wakeup_fd_back():
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    previous = signal.getsignal(signal.SIGUSR1)
    watch = SignalWatch([signal.SIGUSR1], lambda n: None).start()
    watch.close()
    signal.signal(signal.SIGUSR1, previous)
    assert signal.set_wakeup_fd(before) == before
