"""CPU seconds of a process and everything it forked, read from Linux's ``/proc/<pid>/stat``:
what a benchmark uses to say where the CPU went (the relays, PostgreSQL's backends, Redis,
HAProxy, the bench itself).

A process's own time is ``utime + stime``; ``cutime + cstime`` is what its children that have
exited (and were waited for) used. So a process tree's CPU so far is, over the process and every
live descendant, own + reaped children's time: a PostgreSQL backend that lives through the
window is counted as it runs, one that ends in it lands in the postmaster's ``cutime``. A
difference of two readings is the tree's CPU between them.

Not for a process whose children are other measured processes (the bench started the relays:
once it reaps the killed one, that relay's CPU is in the bench's ``cutime``): use ``own_cpu_s``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    """The fields of ``/proc/<pid>/stat`` a CPU count needs (times in clock ticks)."""

    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def own_ticks(self) -> int:
        return self.utime + self.stime

    @property
    def with_reaped_ticks(self) -> int:
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> ProcStat:
    """Read one ``/proc/<pid>/stat`` line.

    The second field is the command name in parentheses, which may hold spaces and ``)``
    itself (``postgres: relay db 127.0.0.1(5) idle``): the fields after it are counted from
    the *last* ``)``.

    Raises:
        ValueError: the text is not a stat line (no ``)``, too few fields, a field not a
            number).
    """
    head, sep, tail = text.rpartition(")")
    if not sep or "(" not in head:
        raise ValueError(f"not a /proc stat line (no command in parentheses): {text[:80]!r}")
    fields = tail.split()
    # tail starts at field 3 (state); ppid is field 4, utime..cstime fields 14-17 (proc(5)).
    if len(fields) < 15:
        raise ValueError(f"a /proc stat line has {len(fields) + 2} fields, expected >= 17")
    try:
        pid = int(head.split("(", 1)[0])
        return ProcStat(pid, int(fields[1]), *(int(fields[i]) for i in range(11, 15)))
    except ValueError as error:
        raise ValueError(f"a /proc stat field is not a number: {text[:80]!r}") from error


def read_stat(pid: int) -> ProcStat | None:
    """The process's stat now, or None once it is gone."""
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return None


def all_stats() -> list[ProcStat]:
    """Every process's stat (processes that end while they are read are left out)."""
    stats = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = read_stat(int(entry.name))
            if stat is not None:
                stats.append(stat)
    return stats


def tree_ticks(root: int, stats: Iterable[ProcStat]) -> int:
    """Clock ticks of ``root`` and its live descendants in ``stats``, each with its reaped
    children's; 0 when ``root`` is not among them."""
    children: dict[int, list[ProcStat]] = {}
    by_pid = {}
    for stat in stats:
        children.setdefault(stat.ppid, []).append(stat)
        by_pid[stat.pid] = stat
    if root not in by_pid:
        return 0
    total, todo = 0, [by_pid[root]]
    while todo:
        stat = todo.pop()
        total += stat.with_reaped_ticks
        todo.extend(children.get(stat.pid, ()))
    return total


def ticks_to_s(ticks: int) -> float:
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(roots: dict[str, int]) -> dict[str, float]:
    """Each named process tree's CPU seconds so far (one pass over ``/proc`` for all)."""
    stats = all_stats()
    return {name: ticks_to_s(tree_ticks(pid, stats)) for name, pid in roots.items()}


def own_cpu_s(pid: int) -> float:
    """The process's own CPU seconds (all its threads; not its children's), 0 once gone."""
    stat = read_stat(pid)
    return 0.0 if stat is None else ticks_to_s(stat.own_ticks)
