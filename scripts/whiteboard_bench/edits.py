"""The redraws a user sees on a settled board (`bench_whiteboard.py --edits`): an edit, then the
page's own frames until the layer is whole again, before and after the layer's repair."""

from __future__ import annotations

import json
import statistics

from scripts.whiteboard_bench.timing import pct, summary

# The redraws a user sees on a settled board, each an edit then the page's own frames (a frame
# painted only when the painter or the board asks for one, as the page does) until the layer
# holds the whole board again: a finished stroke arriving from the other side (on top), the
# other side erasing an element from the middle of the drawing order, an erase here and its
# undo (the element comes back in the middle). `patching` false: the painter before the
# repair (such an edit drew the layer anew over frames, and everything above the edited
# element on top of each frame until it settled).
TIME_EDITS = """async ({rounds, patching}) => {
  const { edited } = await import('/ui/common/whiteboard/model.js');
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const board = canvas.wbBoard;
  const ctx = canvas.getContext('2d');
  const p = view.painter;
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const redraw = p.redraw;
  let asked = false;
  p.redraw = () => { asked = true; };
  p.enabled = true;
  p.progressive = true;
  p.patching = patching;
  const whole = () => p.cached.length === board.live().length && !p.building;
  // Paint a frame now, then one in each animation frame something asks for, until whole.
  const until = async (label) => {
    const times = [];
    asked = true;
    const start = performance.now();
    while (performance.now() - start < 3000) {
      await frame();
      if (!asked) continue;
      asked = false;
      console.timeStamp(`edit:${label}:${times.length}`);
      const began = performance.now();
      view.paint();
      ctx.getImageData(0, 0, 1, 1);
      times.push(performance.now() - began);
      if (whole()) break;
    }
    return { times, whole_ms: performance.now() - start };
  };
  p.invalidate();
  await until('setup');
  const got = { remote_stroke: [], remote_erase: [], erase: [], undo: [] };
  const middle = (i) => {
    const live = board.live();
    return live[Math.floor(live.length * (0.2 + 0.6 * ((i * 0.618) % 1)))];
  };
  for (let i = 0; i < rounds; i += 1) {
    window.benchEdits = (window.benchEdits ?? 0) + 1; // a new id each round, every call
    const tag = `${window.benchEdits}`;
    board.applyRemote(board.number, [{
      id: `remote${tag}`, kind: 'pen', version: 1, nonce: 1, deleted: false, z: 1e9 + i,
      color: '#16a34a', width: 3,
      points: Array.from({ length: 30 }, (_, k) => [200 + 4 * k, 150 + 20 * Math.sin(k / 4 + i)]),
    }]);
    got.remote_stroke.push(await until('remote_stroke'));
    const gone = middle(2 * i);
    board.applyRemote(board.number, [edited(gone, { deleted: true })]);
    got.remote_erase.push(await until('remote_erase'));
    const before = middle(2 * i + 1);
    const after = edited(before, { deleted: true });
    board.draft(after);
    board.commit([{ before, after }]);
    got.erase.push(await until('erase'));
    board.undo();
    got.undo.push(await until('undo'));
  }
  p.patching = true;
  p.redraw = redraw;
  return got;
}"""


EDITS = ("remote_stroke", "remote_erase", "erase", "undo")


def edits(browser, page, rounds: int, size: list[int]) -> dict:
    """TIME_EDITS before (``patching`` false) and after, one round of each in turns: per kind
    of edit, its first frame (what shows at once) and every frame until the layer holds the
    board again, by the wall clock and by the page thread's time (Chromium trace)."""
    frames: dict[tuple[bool, str], list[dict]] = {}
    for _ in range(rounds):
        for patching in (False, True):
            browser.start_tracing(page=page, categories=["devtools.timeline"])
            try:
                got = page.evaluate(TIME_EDITS, {"rounds": 1, "patching": patching})
            finally:
                trace = json.loads(browser.stop_tracing())
            events = trace["traceEvents"]
            tasks = [e for e in events if e.get("name") == "FireAnimationFrame" and "tdur" in e]
            thread: dict[tuple[str, int], float] = {}
            for stamp in events:
                message = stamp.get("args", {}).get("data", {}).get("message", "")
                if stamp.get("name") != "TimeStamp" or not message.startswith("edit:"):
                    continue
                _, kind, n = message.split(":")
                for task in tasks:
                    if task.get("tid") != stamp.get("tid"):
                        continue
                    if task["ts"] <= stamp["ts"] <= task["ts"] + task["dur"]:
                        thread[(kind, int(n))] = task["tdur"] / 1000
                        break
            for kind in EDITS:
                for run in got[kind]:
                    run["thread"] = [
                        thread.get((kind, n), float("nan")) for n in range(len(run["times"]))
                    ]
                    frames.setdefault((patching, kind), []).append(run)
    out: dict[str, dict] = {}
    for (patching, kind), runs in frames.items():
        first = [run["times"][0] for run in runs]
        first_thread = [run["thread"][0] for run in runs if run["thread"][0] == run["thread"][0]]
        every = [t for run in runs for t in run["thread"] if t == t] or [float("nan")]
        first_thread = first_thread or [float("nan")]
        out[f"{kind}_{'after' if patching else 'before'}"] = {
            **summary(first, size),
            "thread_median_ms": round(statistics.median(first_thread), 2),
            "thread_p95_ms": round(pct(first_thread, 0.95), 2),
            "every_thread_median_ms": round(statistics.median(every), 2),
            "every_thread_p95_ms": round(pct(every, 0.95), 2),
            "every_thread_max_ms": round(max(every), 2),
            "frames_median": statistics.median(len(run["times"]) for run in runs),
            "whole_median_ms": round(statistics.median(run["whole_ms"] for run in runs), 2),
            "runs": len(runs),
        }
    return out
