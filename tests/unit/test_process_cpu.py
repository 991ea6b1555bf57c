"""A process tree's CPU time from /proc stat lines (tests/support/process_cpu.py): the fields
after a command name holding spaces and parentheses, and a tree's sum with reaped children."""

from __future__ import annotations

import os

import pytest

from tests.support.process_cpu import ProcStat, own_cpu_s, parse_stat, tree_ticks

# A PostgreSQL backend's line (its title holds spaces and parentheses), fields 1-20 of 52.
BACKEND = (
    "4242 (postgres: relay cluster_1a 127.0.0.1(51234) idle) S 4200 4200 4200 0 -1 4194560 "
    "900 0 0 0 130 27 5 3 20 0 1 0 " + " ".join(["0"] * 32)
)


def stat(pid: int, ppid: int, own: int, reaped: int = 0) -> ProcStat:
    return ProcStat(pid, ppid, own, 0, reaped, 0)


def test_the_fields_are_counted_from_the_last_parenthesis():
    """A command name with spaces and ')' inside does not shift ppid and the four times."""
    parsed = parse_stat(BACKEND)
    assert parsed == ProcStat(4242, 4200, 130, 27, 5, 3)
    assert (parsed.own_ticks, parsed.with_reaped_ticks) == (157, 165)


@pytest.mark.parametrize(
    "line",
    ["", "4242 postgres S 1 2 3", "4242 (x) S 1 2 3", "4242 (x) S 1 " + "a " * 20],
)
def test_what_is_not_a_stat_line_is_refused(line: str):
    """No command in parentheses, too few fields or a field not a number: ValueError."""
    with pytest.raises(ValueError, match="/proc stat"):
        parse_stat(line)


def test_a_tree_sums_its_live_descendants_and_their_reaped_children():
    """The postmaster (with the backends it reaped), its live backends and their children
    count; a process outside the tree and the tree's parent do not."""
    stats = [
        stat(1, 0, 1000, 5000),  # the bench: its reaped children are not the tree's
        stat(10, 1, 50, 7),  # the postmaster, 7 ticks of ended backends
        stat(11, 10, 100),
        stat(12, 10, 30, 2),
        stat(13, 12, 4),  # a grandchild
        stat(20, 1, 999),  # a sibling of the root: another server
    ]
    assert tree_ticks(10, stats) == 50 + 7 + 100 + 30 + 2 + 4
    assert tree_ticks(13, stats) == 4
    assert tree_ticks(99, stats) == 0  # gone


def test_this_process_reads_its_own_cpu_time():
    """The test process's own CPU seconds grow as it computes."""
    before = own_cpu_s(os.getpid())
    sum(i * i for i in range(2_000_000))
    assert own_cpu_s(os.getpid()) > before
