"""Stopping a child process: ask, wait, terminate, wait, kill (one ladder for every child).

The agent app stops its presenter children this way (``suite/agent/app/presentations.py``:
``stop`` on the child's stdin), and the presenter its drawing overlay
(``suite/agent/overlay/link.py``: end-of-file on the child's stdin).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

STOP_WAIT_S = 3.0


def stop_child(
    process: subprocess.Popen[Any],
    ask: Callable[[], None] | None = None,
    wait_s: float = STOP_WAIT_S,
    name: str = "child process",
) -> int:
    """Stop ``process`` and reap it; returns its exit status.

    Args:
        process: the child.
        ask: asks the child to stop by itself (writes ``stop``, closes its stdin); a broken pipe
            or closed file there means the child has gone already, which the wait then sees.
        wait_s: how long to wait after asking, and again after ``terminate()``, before the next
            step; the last step, ``kill()``, is waited for without a limit.
        name: what to call the child in the log.
    """
    if ask is not None:
        try:
            ask()
        except (BrokenPipeError, OSError, ValueError):
            pass
    try:
        return process.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        logger.warning("%s %d did not stop; terminating it", name, process.pid)
        process.terminate()
    try:
        return process.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        logger.warning("%s %d did not terminate; killing it", name, process.pid)
        process.kill()
        return process.wait()
