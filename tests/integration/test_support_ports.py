"""tests/support/ports.py: ports for programs the tests start are free, outside the kernel's
ephemeral range, and never handed to two test processes at once (parallel xdist workers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.support import ports
from tests.support.relay import REPO_ROOT

HOLDER = textwrap.dedent(
    """
    import sys
    from tests.support import ports
    ports.port_range = lambda: (int(sys.argv[1]), int(sys.argv[2]))
    print(*(ports.free_port() for _ in range(int(sys.argv[3]))), flush=True)
    sys.stdin.read()  # holds its reservations until told to go
    """
)


def _available(port: int) -> bool:
    """Bindable and reserved by no test process (this one included)."""
    ports.LOCK_DIR.mkdir(exist_ok=True)
    fd = ports._reserve(port)
    if fd is None:
        return False
    os.close(fd)
    return ports._bindable(port, udp=False)


def _free_block(size: int) -> int:
    """The first port of ``size`` consecutive available ports of the test range."""
    low, high = ports.port_range()
    for start in range(low + 5000, high - size, size):
        if all(_available(port) for port in range(start, start + size)):
            return start
    pytest.skip("no block of free ports")


def test_ports_are_free_distinct_and_below_the_ephemeral_range() -> None:
    """A run of ports has no repeat among the held ones, each binds, and none is in the range
    the kernel hands out for port 0 and outgoing connections."""
    low, high = (int(n) for n in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    taken = [ports.free_port(udp=True) for _ in range(ports.HELD_PORTS)]
    assert len(set(taken)) == len(taken)
    assert not [port for port in taken if low <= port <= high]
    for port in taken[-3:]:
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", port))
            udp.bind(("127.0.0.1", port))


def test_a_port_another_test_process_holds_is_not_handed_out(monkeypatch) -> None:
    """With every port of a small range reserved by another process, none is handed out here;
    once that process has ended, they are."""
    start = _free_block(4)
    end = start + 3
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(start), str(end), "4"],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        held = sorted(map(int, holder.stdout.readline().split()))
        assert held == list(range(start, end + 1))
        monkeypatch.setattr(ports, "port_range", lambda: (start, end))
        monkeypatch.setattr(ports, "ATTEMPTS", 40)
        with pytest.raises(RuntimeError, match="no free port"):
            ports.free_port()
    finally:
        holder.communicate("", timeout=10)
    assert start <= ports.free_port() <= end


def test_a_port_someone_listens_on_is_skipped(monkeypatch) -> None:
    """A port of the range with a listener (a program started earlier) is never handed out."""
    start = _free_block(2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", start))
        listener.listen()
        monkeypatch.setattr(ports, "port_range", lambda: (start, start + 1))
        assert ports.free_port() == start + 1
