"""Timing helpers of scripts/bench_whiteboard.py: percentiles and the page thread's CPU time
of each painted frame from a Chromium trace."""

from __future__ import annotations

import json
import statistics


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def traced(browser, page, script: str, arg: dict) -> dict:
    """Run ``script`` (an UNTIL_WHOLE loop) under a Chromium trace; adds ``thread`` to its
    result: the page thread's CPU time of each painted frame (its animation frame task), which
    a starved machine does not inflate as it does the wall-clock ``times``."""
    browser.start_tracing(page=page, categories=["devtools.timeline"])
    try:
        got = page.evaluate(script, arg)
    finally:
        trace = json.loads(browser.stop_tracing())
    tasks = [
        e for e in trace["traceEvents"] if e.get("name") == "FireAnimationFrame" and "tdur" in e
    ]
    # The loop's frames are the longest animation frame tasks (the page's own are tiny).
    tasks.sort(key=lambda e: e["dur"], reverse=True)
    ours = sorted(tasks[: len(got["times"])], key=lambda e: e["ts"])  # in the frames' order
    got["thread"] = [e["tdur"] / 1000 for e in ours]
    return got


def summary(times: list[float], size: list[int]) -> dict:
    """Median and p95 of frame times (ms) on a canvas of ``size`` device pixels."""
    return {
        "canvas_px": size,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(pct(times, 0.95), 2),
    }
