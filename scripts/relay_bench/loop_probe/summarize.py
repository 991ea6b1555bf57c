#!/usr/bin/env python3
"""Count the loop probe's long slices and collector passes by third of the chat.

    .venv/bin/python scripts/relay_bench/loop_probe/summarize.py WORK_DIR [--duration 60]

``WORK_DIR`` is the bench's kept work directory (``bench_relay.py --loop-probe --keep``): its
``chat-start`` file holds the chat's start (epoch seconds), ``probe-*.log`` the relay's
lines. Counted by CPU time (a loaded machine stretches wall time, not CPU time).
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

CPU = re.compile(r"cpu=([\d.]+)ms")
THRESHOLDS_MS = (5, 10, 20, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--duration", type=float, default=60.0, help="the chat's seconds")
    args = parser.parse_args()
    start = float((args.work_dir / "chat-start").read_text())
    logs = sorted(args.work_dir.glob("probe-*.log"), key=lambda p: p.stat().st_size)
    counts: collections.Counter[tuple[str, str, int]] = collections.Counter()
    longest: dict[tuple[str, str], float] = collections.defaultdict(float)
    origins: collections.Counter[str] = collections.Counter()
    for line in logs[-1].read_text().splitlines():  # the relay's is the largest
        kind = line.split(" ", 1)[0]
        if kind not in ("SLICE", "GC"):
            continue
        at = float(line.split()[1]) - start
        if not -10 <= at <= args.duration:
            continue
        phase = "before" if at < 0 else f"third {min(2, int(3 * at / args.duration)) + 1}"
        cpu = float(CPU.search(line)[1])  # type: ignore[index]
        what = kind if kind == "SLICE" else line.split()[2]  # gen=N
        longest[(phase, what)] = max(longest[(phase, what)], cpu)
        for ms in THRESHOLDS_MS:
            counts[(phase, what, ms)] += cpu >= ms
        if kind == "SLICE" and cpu >= THRESHOLDS_MS[0]:
            origins[line.rsplit("origin=", 1)[1]] += 1
    print(f"CPU ms of each logged slice/pass; counts at >= {THRESHOLDS_MS} ms; longest")
    for phase, what in sorted(longest):
        row = " / ".join(str(counts[(phase, what, ms)]) for ms in THRESHOLDS_MS)
        print(f"{phase:8} {what:6} {row:16} longest {longest[(phase, what)]:.1f} ms")
    print("slices of >= 5 ms CPU by greenlet:", origins.most_common(8))


if __name__ == "__main__":
    main()
