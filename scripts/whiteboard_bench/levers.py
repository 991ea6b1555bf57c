"""The levers tried against the whiteboard renderer (`bench_whiteboard.py --levers`): the same
board drawn by each candidate way, timed in the page's thread."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

from scripts.whiteboard_bench.timing import pct, summary

REPO_ROOT = Path(__file__).resolve().parents[2]


LEVERS = (
    "base",
    "batch",
    "batch_reorder",
    "cached_path",
    "bevel_thin",
    "bevel_all",
    "rdp",
    "bitmaps",
)
# The same drawing in module workers (1, or 2 drawing half the canvas each).
WORKERS = ("worker1", "worker2")
STAMPS = ("lever-worker:", "lever-copy:")


def levers(browser, page, rounds: int) -> dict:
    """Each way of drawing the whole board (scripts/bench_whiteboard_levers.js), in turns, one
    full redraw per animation frame: its pixels against the renderer's, the wall clock and the
    page thread's CPU time of each frame (the trace's animation frame task holding its label)."""
    script = (REPO_ROOT / "scripts" / "bench_whiteboard_levers.js").read_text()
    library = [REPO_ROOT / "ui/common/whiteboard" / name for name in ("model.js", "renderer.js")]
    plain = (re.sub(r"^(import .*|export )", "", path.read_text(), flags=re.M) for path in library)
    worker = "".join(plain) + (REPO_ROOT / "scripts" / "bench_whiteboard_worker.js").read_text()
    page.route(
        "**/bench-board-worker.js",
        lambda route: route.fulfill(body=worker, content_type="text/javascript"),
    )
    browser.start_tracing(page=page, categories=["devtools.timeline"])
    try:
        got = page.evaluate(script, {"variants": list(LEVERS), "rounds": rounds})
    finally:
        trace = json.loads(browser.stop_tracing())
    events = trace["traceEvents"]
    frames = [e for e in events if e.get("name") == "FireAnimationFrame" and "tdur" in e]
    thread: dict[str, list[float]] = {name: [] for name in (*LEVERS, *WORKERS)}
    workers: dict[str, list[float]] = {name: [] for name in WORKERS}
    copies: dict[str, list[float]] = {name: [] for name in WORKERS}
    timed = [e for e in events if "tdur" in e and e.get("ph") == "X"]
    for stamp in events:
        message = stamp.get("args", {}).get("data", {}).get("message", "")
        if stamp.get("name") != "TimeStamp" or not message.startswith(STAMPS):
            continue
        # the task around the stamp on its thread (the worker's band, the page's copy-in)
        around = [
            e["tdur"] / 1000
            for e in timed
            if e.get("tid") == stamp.get("tid") and e["ts"] <= stamp["ts"] <= e["ts"] + e["dur"]
        ]
        kind, name = message.split(":")[:2]
        if around:
            (workers if kind == "lever-worker" else copies)[name].append(max(around))
    for stamp in events:
        message = stamp.get("args", {}).get("data", {}).get("message", "")
        if stamp.get("name") != "TimeStamp" or not message.startswith("lever:"):
            continue
        for f in frames:
            if f["ts"] <= stamp["ts"] <= f["ts"] + f["dur"] and f.get("tid") == stamp.get("tid"):
                thread[message[6:]].append(f["tdur"] / 1000)
                break
    out: dict[str, dict] = {
        "rdp_points": got["rdp"],
        "batched": got["calls"],
        "bitmap_cache": got["bitmapCache"],
    }
    for name in (*LEVERS, *WORKERS):
        times = got["times"][name][2:]
        threads = thread[name][2:] or [float("nan")]
        out[name] = {
            **summary(times, got["canvas"]),
            "thread_median_ms": round(statistics.median(threads), 2),
            "thread_p95_ms": round(pct(threads, 0.95), 2),
            "pixels_max_diff": got["pixels"][name]["max"],
            "pixels_over_96": got["pixels"][name]["over"],
        }
        if name in workers:
            bands = workers[name][2 * int(name[6:]) :] or [float("nan")]
            out[name]["worker_band_median_ms"] = round(statistics.median(bands), 2)
            out[name]["worker_band_p95_ms"] = round(pct(bands, 0.95), 2)
            copied = copies[name][2:] or [float("nan")]
            out[name]["copy_median_ms"] = round(statistics.median(copied), 2)
            out[name]["copy_p95_ms"] = round(pct(copied, 0.95), 2)
    return out
