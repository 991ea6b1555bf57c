"""A new layer of the whole board (`bench_whiteboard.py --layers ROUNDS`): drawn in the page's
thread in one frame (the single-thread full redraw) and by the painter's two drawing workers
(ui/common/whiteboard/board_workers.js), in turns on the same board, each to its pixels on
the screen.

Here: the one frame that draws it (`painter.offThread = false`, `progressive = false`). Workers:
the frame that asks (it shows the old layer meanwhile), the bands arriving, the next animation
frame that copies them in; the wall clock from the asking frame's start to the landing frame's
end (a 1-pixel read-back in each), the page thread's time of the two frames (trace), and each
worker's own time for its band (trace; its wall clock beside)."""

from __future__ import annotations

import json
import statistics

from scripts.whiteboard_bench.timing import pct, summary

TIME_LAYERS = """async ({rounds}) => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const painter = view.painter;
  const ctx = canvas.getContext('2d');
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const until = async (test) => { while (!test()) await frame(); };
  await until(() => painter.workers && (painter.workers.ready || painter.workers.failed));
  if (!painter.workers.ready) return { error: 'the workers did not start' };
  const redraw = painter.redraw;
  let arrived = null;
  painter.redraw = () => { if (arrived) arrived(); }; // the frames are this loop's own
  painter.enabled = true;
  painter.progressive = false;
  // A layer the page asked the workers for (its own frame at this size) lands first.
  painter.offThread = false;
  painter.invalidate();
  await until(() => { view.paint(); return !painter.building; });
  const pixels = () => ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const got = { here: [], wall: [], ask: [], arrive: [], land: [], bands: [], differ: null };
  for (let round = 0; round < rounds; round += 1) {
    for (const mode of ['here', 'workers']) {
      painter.offThread = mode === 'workers';
      painter.invalidate();
      await frame();
      console.timeStamp(`wb-layer:${mode === 'here' ? 'here' : 'ask'}`);
      const start = performance.now();
      view.paint();
      ctx.getImageData(0, 0, 1, 1);
      const asked = performance.now();
      if (mode === 'here') {
        if (painter.building) return { error: 'no layer drawn here' };
        got.here.push(asked - start);
        if (round === 0) got.herePixels = pixels();
        continue;
      }
      const before = painter.stats.offThread;
      await new Promise((resolve) => { arrived = resolve; });
      arrived = null;
      const arrival = performance.now();
      await frame();
      console.timeStamp('wb-layer:land');
      const began = performance.now();
      view.paint();
      ctx.getImageData(0, 0, 1, 1);
      const end = performance.now();
      if (painter.stats.offThread !== before + 1) return { error: 'no layer from the workers' };
      got.ask.push(asked - start);
      got.arrive.push(arrival - start);
      got.land.push(end - began);
      got.wall.push(end - start);
      got.bands.push([...painter.workers.lastTimes]);
      if (round === 0) {
        const here = got.herePixels;
        const there = pixels();
        let differ = 0, most = 0, rows = [Infinity, -Infinity];
        for (let i = 0; i < here.length; i += 1) {
          const d = Math.abs(here[i] - there[i]);
          if (d) {
            differ += 1; most = Math.max(most, d);
            const y = Math.floor(i / 4 / canvas.width);
            rows = [Math.min(rows[0], y), Math.max(rows[1], y)];
          }
        }
        got.differ = { bytes: differ, most, rows };
        delete got.herePixels;
      }
    }
  }
  painter.offThread = true;
  painter.progressive = true;
  painter.redraw = redraw;
  got.canvas = [canvas.width, canvas.height];
  return got;
}"""


def _stat(values: list[float]) -> dict:
    values = values or [float("nan")]
    return {"median_ms": round(statistics.median(values), 2), "p95_ms": round(pct(values, 0.95), 2)}


def layers(browser, page, rounds: int) -> dict:
    """Both ways, ``rounds`` turns each (the first two dropped), under a Chromium trace."""
    browser.start_tracing(page=page, categories=["devtools.timeline"])
    try:
        got = page.evaluate(TIME_LAYERS, {"rounds": rounds + 2})
    finally:
        trace = json.loads(browser.stop_tracing())
    if "error" in got:
        raise RuntimeError(got["error"])
    events = trace["traceEvents"]
    frames = [e for e in events if e.get("name") == "FireAnimationFrame" and "tdur" in e]
    thread: dict[str, list[float]] = {"here": [], "ask": [], "land": []}
    for stamp in events:
        message = stamp.get("args", {}).get("data", {}).get("message", "")
        if stamp.get("name") != "TimeStamp" or not message.startswith("wb-layer:"):
            continue
        for f in frames:
            if f.get("tid") == stamp.get("tid") and f["ts"] <= stamp["ts"] <= f["ts"] + f["dur"]:
                thread[message.split(":")[1]].append(f["tdur"] / 1000)
                break
    # Each worker's band: its message task on a worker thread (the probes are tiny), the last
    # 2 x rounds of them (the first belong to the dropped rounds).
    workers = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name"
        and e.get("args", {}).get("name") == "DedicatedWorker thread"
    }
    handled = sorted(
        (e for e in events if e.get("name") == "HandlePostMessage" and e.get("ph") == "X"
         and "tdur" in e and (e.get("pid"), e.get("tid")) in workers and e["tdur"] > 1000),
        key=lambda e: e["ts"],
    )  # fmt: skip
    worker_tasks = [e["tdur"] / 1000 for e in handled[-2 * rounds :]]
    # The split's balance: each worker thread's median band, the slower of the two each round.
    per_worker: dict[tuple, list[float]] = {}
    for e in handled[-2 * rounds :]:
        per_worker.setdefault((e["pid"], e["tid"]), []).append(e["tdur"] / 1000)
    medians = sorted(round(statistics.median(v), 2) for v in per_worker.values())
    both = [a + b for a, b in zip(thread["ask"][2:], thread["land"][2:], strict=False)]
    bands = [ms for pair in got["bands"][2:] for ms in pair]
    size = got["canvas"]
    return {
        "here": {**summary(got["here"][2:], size), **_thread(thread["here"][2:])},
        "workers": {
            **summary(got["wall"][2:], size),
            **_thread(both),
            "ask": _stat(got["ask"][2:]),
            "ask_thread": _stat(thread["ask"][2:]),
            "arrive": _stat(got["arrive"][2:]),
            "land": _stat(got["land"][2:]),
            "land_thread": _stat(thread["land"][2:]),
            "band_wall": _stat(bands),
            "band_thread": _stat(worker_tasks),
            "band_thread_per_worker": medians,
            "canvas_bytes": 2 * size[0] * size[1] * 4,
            "pixels": got["differ"],
        },
    }


def _thread(values: list[float]) -> dict:
    s = _stat(values)
    return {"thread_median_ms": s["median_ms"], "thread_p95_ms": s["p95_ms"]}


def layer_rows(results: dict, ratio: int) -> list[tuple[str, str, dict, str]]:
    """The rows of `--layers`: a new layer here and by the workers, at `ratio`."""
    if f"layer_here_dpr{ratio}" not in results:
        return []
    here = results[f"layer_here_dpr{ratio}"]
    w = results[f"layer_workers_dpr{ratio}"]
    size = f"canvas {here['canvas_px'][0]}x{here['canvas_px'][1]}"

    def thread(r: dict) -> dict:
        return {"median_ms": r["thread_median_ms"], "p95_ms": r["thread_p95_ms"]}

    pixels = w["pixels"]
    return [
        (f"new layer here, DPR {ratio}: wall", size, here, "<= 16 ms"),
        (f"new layer here, DPR {ratio}: thread", "", thread(here), "<= 16 ms"),
        (f"new layer, 2 workers, DPR {ratio}: wall to screen", "ask -> landed", w, "<= 16 ms"),
        (f"new layer, 2 workers, DPR {ratio}: page thread", "ask + land", thread(w), "<= 16 ms"),
        (f"  asking frame, DPR {ratio}: page thread", "", w["ask_thread"], "-"),
        (f"  landing frame, DPR {ratio}: page thread", "", w["land_thread"], "-"),
        (f"  bands arrived, DPR {ratio}: wall", "from the ask", w["arrive"], "-"),
        (
            f"  a worker's band, DPR {ratio}: thread",
            f"each worker: {w['band_thread_per_worker']} ms",
            w["band_thread"],
            "-",
        ),
        (f"  a worker's band, DPR {ratio}: wall", "", w["band_wall"], "-"),
        (
            f"  workers' canvases, DPR {ratio}",
            f"{w['canvas_bytes'] / 1e6:.2f} MB; pixels off vs here: {pixels['bytes']} bytes,"
            f" max {pixels['most']}",
            {"median_ms": "-", "p95_ms": "-"},
            "-",
        ),
    ]
