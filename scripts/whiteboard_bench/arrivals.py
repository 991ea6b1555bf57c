"""A board opened and a board arriving at once, with the drawing workers
(`bench_whiteboard.py --layers ROUNDS`, after the new layers): before and after, in turns.

- **opened**: a new painter (no layer yet) with the page's ready workers paints the board
  frame after frame until its layer holds it. Before (`painter.quick = false`): white until
  the workers' layer lands. After: the first frame draws the board small (quick_layer.js) and
  shows it scaled up meanwhile.
- **arrived**: the painter holds an empty board, then the 2,000 elements arrive in one change
  (a reconnect, a board loaded). Before (`painter.bulkOffThread = false`): folded into the
  layer here, BUILD_BUDGET_MS of drawing a frame. After: drawn by the workers.

Every frame's wall clock (a 1-pixel read-back in each), its page-thread time (trace), the time
until the layer holds the board, and (checked once, untimed) whether the first frame shows ink."""

from __future__ import annotations

import statistics

from scripts.whiteboard_bench.timing import pct, traced

TIME_ARRIVAL = """async ({kind, after, ink}) => {
  const { BoardPainter } = await import('/ui/common/whiteboard/board_painter.js');
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const board = canvas.wbBoard;
  const ctx = canvas.getContext('2d');
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const old = view.painter;
  if (!old.workers || !old.workers.ready) return { error: 'the workers are not ready' };
  const painter = new BoardPainter(canvas, () => {}); // the frames are this loop's own
  painter.workers = old.workers;
  painter.quick = kind === 'opened' ? after : true;
  painter.bulkOffThread = kind === 'arrived' ? after : true;
  view.painter = painter;
  const all = board.elements;
  const whole = () => !painter.building && painter.cached.length === board.live().length;
  if (kind === 'arrived') {
    board.elements = new Map();
    board._changed();
    for (let i = 0; i < 100 && (i === 0 || !whole()); i += 1) { await frame(); view.paint(); }
    board.elements = all;
    board._changed();
  }
  const times = [];
  let firstInk = null;
  await frame();
  const start = performance.now();
  let end = start;
  for (;;) {
    const began = performance.now();
    view.paint();
    ctx.getImageData(0, 0, 1, 1);
    end = performance.now();
    times.push(end - began);
    if (ink && firstInk === null) {
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      firstInk = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] !== 255) firstInk += 1;
    }
    if (whole() || times.length >= 500) break;
    await frame();
  }
  const offThread = painter.stats.offThread;
  painter.workers = null; // the page's own painter keeps them
  painter.destroy();
  view.painter = old;
  old.invalidate();
  return { times, whole_ms: end - start, first_ink: firstInk, off_thread: offThread };
}"""


def _stat(values: list[float]) -> dict:
    return {"median_ms": round(statistics.median(values), 2), "p95_ms": round(pct(values, 0.95), 2)}


def arrivals(browser, page, rounds: int) -> dict:
    """Both cases, before and after in turns, ``rounds`` each (the first dropped)."""
    got: dict[str, list[dict]] = {}
    ink: dict[str, int] = {}
    for kind in ("opened", "arrived"):
        for after in (False, True):
            check = page.evaluate(TIME_ARRIVAL, {"kind": kind, "after": after, "ink": True})
            if "error" in check:
                raise RuntimeError(check["error"])
            ink[f"{kind}_{'after' if after else 'before'}"] = check["first_ink"]
    for _ in range(rounds + 1):
        for kind in ("opened", "arrived"):
            for after in (False, True):
                run = traced(
                    browser, page, TIME_ARRIVAL, {"kind": kind, "after": after, "ink": False}
                )
                got.setdefault(f"{kind}_{'after' if after else 'before'}", []).append(run)
    out = {}
    for name, runs in got.items():
        runs = runs[1:]
        out[name] = {
            "first_thread": _stat([run["thread"][0] for run in runs if run["thread"]]),
            "thread": _stat([t for run in runs for t in run["thread"]]),
            "thread_max_ms": round(max(t for run in runs for t in run["thread"]), 2),
            "frame": _stat([t for run in runs for t in run["times"]]),
            "whole": _stat([run["whole_ms"] for run in runs]),
            "frames_median": statistics.median(len(run["times"]) for run in runs),
            "off_thread": statistics.median(run["off_thread"] for run in runs),
            "first_ink_px": ink[name],
        }
    return out


def arrival_rows(results: dict, ratio: int) -> list[tuple[str, str, dict, str]]:
    """The rows of a board opened and a board arriving at once, before and after."""
    rows = []
    for kind, title in (("opened", "board opened"), ("arrived", "2,000 elements arrive")):
        for when in ("before", "after"):
            r = results.get(f"board_{kind}_{when}_dpr{ratio}")
            if not r:
                continue
            name = f"{title}, {when}, DPR {ratio}"
            load = f"{r['frames_median']:g} frames, first shows {r['first_ink_px']} px of ink"
            rows += [
                (f"{name}: first frame, thread", load, r["first_thread"], "<= 16 ms"),
                (
                    f"{name}: every frame, thread",
                    f"max {r['thread_max_ms']} ms",
                    r["thread"],
                    "<= 16 ms",
                ),
                (f"{name}: until whole, wall", "", r["whole"], "-"),
            ]
    return rows
