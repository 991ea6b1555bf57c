"""The bench's loop probe (``bench_relay.py --loop-probe``): long event-loop slices and
collector passes of the relay, logged with their CPU time and a stack.

``bench_relay.py`` puts this folder first on the relay's ``PYTHONPATH`` and names a log folder
in ``RELAY_LOOP_PROBE``; Python imports ``sitecustomize`` at start, and the probe installs
itself only in a process started as ``python -m ...`` (the relay; not the bench's client
workers). Nothing of it is in the relay itself.

- A greenlet switch tracer (``greenlet.settrace``) times every slice between two switches:
  wall time and the main thread's CPU time (``time.thread_time``). On a loaded machine a
  slice's wall time is mostly waiting for a core; its CPU time is the relay's own work.
  Slices of ``RELAY_LOOP_PROBE_SLICE_MS`` (20) or more are logged with the greenlet that ran
  them and, from a sampling thread, the main thread's stack while they ran.
- A ``gc.callbacks`` entry logs every collector pass of 10 ms or more (generation, CPU time,
  objects collected, the generations' counts before it).

Each line starts with its kind and the epoch time: ``SLICE``/``GC``. ``summarize.py`` counts
them by third of the chat.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import traceback
from typing import Any

GC_LOGGED_S = 0.010
STACKS_PER_SLICE = 6


def install(folder: str, slice_s: float) -> None:
    import greenlet

    out = open(os.path.join(folder, f"probe-{os.getpid()}.log"), "a", buffering=1)  # noqa: SIM115
    out.write(f"START {time.time():.3f} {sys.argv}\n")
    state: dict[str, Any] = {"t": time.perf_counter(), "c": time.thread_time(), "n": 0}
    state["stacks"] = []
    main_ident = threading.get_ident()

    def tracer(event: str, args: Any) -> None:
        now = time.perf_counter()
        took, cpu = now - state["t"], time.thread_time() - state["c"]
        if took >= slice_s:
            origin = args[0]
            run = getattr(origin, "_run", None) or getattr(origin, "run", None)
            name = getattr(run, "__qualname__", None) or type(origin).__name__
            out.write(
                f"SLICE {time.time():.3f} {took * 1000:.1f}ms cpu={cpu * 1000:.1f}ms "
                f"origin={name}\n"
            )
            seen: set[str] = set()
            for at, stack in state["stacks"]:
                shown = " (same)\n" if stack in seen else f"\n{stack}"
                out.write(f"  @{at * 1000:.0f}ms{shown}")
                seen.add(stack)
        state["t"], state["c"] = now, time.thread_time()
        state["n"] += 1
        state["stacks"] = []

    def sampler() -> None:
        last_n, taken_at = -1, 0.0
        while True:
            time.sleep(0.005)
            n, elapsed = state["n"], time.perf_counter() - state["t"]
            if n != last_n:
                last_n, taken_at = n, 0.0
            due = elapsed >= 0.75 * slice_s and elapsed - taken_at >= 0.75 * slice_s
            if due and len(state["stacks"]) < STACKS_PER_SLICE:
                frame = sys._current_frames().get(main_ident)
                if frame is not None and state["n"] == n:
                    state["stacks"].append((elapsed, "".join(traceback.format_stack(frame)[-14:])))
                    taken_at = elapsed

    def passes(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            state["gc"] = (time.perf_counter(), time.thread_time(), gc.get_count())
            return
        started, cpu_started, counts = state.get("gc", (time.perf_counter(), 0.0, ()))
        took = time.perf_counter() - started
        if took >= GC_LOGGED_S:
            out.write(
                f"GC {time.time():.3f} gen={info.get('generation')} {took * 1000:.1f}ms "
                f"cpu={(time.thread_time() - cpu_started) * 1000:.1f}ms "
                f"collected={info.get('collected')} counts_before={counts}\n"
            )

    greenlet.settrace(tracer)
    threading.Thread(target=sampler, name="loop-probe", daemon=True).start()
    gc.callbacks.append(passes)


if os.environ.get("RELAY_LOOP_PROBE") and sys.argv[:1] == ["-m"]:
    install(
        os.environ["RELAY_LOOP_PROBE"],
        float(os.environ.get("RELAY_LOOP_PROBE_SLICE_MS", "20")) / 1000,
    )
