"""Child processes seen through /proc: whether one has exited, and its children."""

from __future__ import annotations

from pathlib import Path

from tests.support.waiting import WAIT_S, wait_until


def gone(pid: int) -> bool:
    """The process has exited (a zombie left to an init that does not reap counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_gone(pid: int, timeout: float = WAIT_S) -> None:
    """Wait until process ``pid`` has exited; fail after ``timeout`` seconds."""
    wait_until(lambda: gone(pid), f"process {pid} to exit", timeout)


def children(pid: int) -> list[int]:
    """The child processes of `pid`, whichever of its threads started them."""
    found = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in listing.read_text().split()]
    return found
