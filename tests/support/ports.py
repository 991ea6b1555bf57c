"""Free ports on 127.0.0.1 for programs that must be told one (Qt's DevTools, coturn,
PostgreSQL, Redis, HAProxy, tinyproxy, an SMTP server), race-free across parallel test runs.

"Bind port 0, read the port, close, pass it on" is racy: between the close and the program's
own bind, the kernel can give the same port to anyone else asking for port 0 or connecting out
(the two come from the same ephemeral range), such as another xdist worker's Chromium or
another free_port() caller. Two apps of two workers were seen sharing one DevTools port. So:

- ports come from below the kernel's ephemeral range (``ip_local_port_range``), which port 0
  binds and outgoing connections never use: only callers of this module take them;
- each is reserved with an exclusive ``flock`` on a file named after it in a folder of /tmp
  shared by every test process of the machine (every worker, every worktree's run), held by
  this process until HELD_PORTS later ports have been handed out, so long after the program
  it was given to has bound it;
- a port that someone still listens on (or that a closed socket holds in TIME_WAIT) fails a
  probe bind and is skipped.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
import threading
from collections import deque
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "rs-test-ports"
HELD_PORTS = 64  # reservations this process keeps; the oldest goes when a new one comes
LOWEST_PORT = 10_000  # below: well-known services of the machine
ATTEMPTS = 500

_held: deque[tuple[int, int]] = deque()  # (port, locked file descriptor), oldest first
_lock = threading.Lock()


def port_range() -> tuple[int, int]:
    """The ports handed out (inclusive): below the ephemeral range, or above it when it
    starts too low (then a range of at least 1,000 ports is left above it)."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if low - LOWEST_PORT >= 1000:
        return LOWEST_PORT, low - 1
    if 65535 - high >= 1000:
        return high + 1, 65535
    raise RuntimeError(f"no room for test ports beside the ephemeral range {low}-{high}")


def free_port(udp: bool = False) -> int:
    """A port of 127.0.0.1 free for TCP (and UDP with ``udp``), reserved for this process
    among test processes: pass it to the program that binds it.

    Raises:
        RuntimeError: no free port found after ATTEMPTS tries.
    """
    low, high = port_range()
    LOCK_DIR.mkdir(exist_ok=True)
    try:
        LOCK_DIR.chmod(0o1777)  # any user's test run may reserve ports here
    except PermissionError:
        pass  # another user made it
    with _lock:
        for _ in range(ATTEMPTS):
            port = random.randint(low, high)
            fd = _reserve(port)
            if fd is None:
                continue
            if not _bindable(port, udp):
                os.close(fd)
                continue
            _held.append((port, fd))
            while len(_held) > HELD_PORTS:
                os.close(_held.popleft()[1])
            return port
    raise RuntimeError(f"no free port in {low}-{high} after {ATTEMPTS} tries")


def _reserve(port: int) -> int | None:
    """The descriptor of the port's lock file, locked; None when another process holds it."""
    try:
        fd = os.open(LOCK_DIR / str(port), os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        return None  # another user's file; that user's run may hold it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _bindable(port: int, udp: bool) -> bool:
    kinds = [socket.SOCK_STREAM, socket.SOCK_DGRAM] if udp else [socket.SOCK_STREAM]
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True
