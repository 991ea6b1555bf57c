#!/usr/bin/env python3
"""Measure the shared whiteboard (CH3) against the issue's goals, on loopback.

A real relay; headless Chromium as the agent page and the customer page with the board open.

- **frame while drawing**: a board of 2,000 elements (pen strokes of 20 points, lines,
  rectangles, ellipses, short texts), at device pixel ratio 1 and 2, while a stroke is drawn on
  it: each frame adds a point to the stroke and paints (the cached layer of the settled
  elements, then the stroke); the time includes the pixels (a 1-pixel read-back makes the
  canvas finish). Goal: <= 16 ms.
- **full redraw**: the same board drawn whole with the layer off (what a pan or zoom costs,
  once per view change).
- **pan / zoom at DPR 2**: the same board, the view moved every frame as a drag or a pinch
  moves it (pan: 12 x 7 CSS pixels a frame, turning back every 30 frames; zoom: x1.03 a frame
  around the centre, in for 10 frames then out for 10). A frame is what the page paints for it
  (the painter shifts or scales its cached layer and draws what came into view); **zoom
  settled** is the sharp frame painted once the pinch has stopped for ZOOM_SETTLE_MS.
  Goal: a frame <= 16 ms.
- **stroke latency**: the agent starts a stroke (a new element through the board, as a
  pointerdown does) -> the customer's page has it, over the relay; strokes 150 ms apart, with
  the 2,000 elements on the board. Both pages share one clock (one browser). Goal: p95 <= 50 ms.

    scripts/bench_whiteboard.py [--strokes 200] [--json out.json] [--view-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH  # noqa: E402
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent  # noqa: E402
from tests.support.ui_pages import (  # noqa: E402
    agent_login,
    by_id,
    customer_join,
    open_page,
    start_support,
)

FILL_BOARD = """(count) => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const board = canvas.wbBoard;
  const kinds = ['pen', 'line', 'rectangle', 'ellipse', 'text'];
  const elements = [];
  for (let i = 0; i < count; i += 1) {
    const kind = kinds[i % kinds.length];
    const x = (i * 37) % 1200;
    const y = (i * 53) % 680;
    const base = { id: `bench${i}`, kind, version: 1, nonce: i, deleted: false, z: i,
                   color: '#2563eb', width: 1 + (i % 6) };
    if (kind === 'pen') {
      base.points = Array.from({ length: 20 }, (_, k) => [x + k * 3, y + ((k * 7) % 11)]);
    } else if (kind === 'line') {
      base.points = [[x, y], [x + 60, y + 25]];
    } else {
      Object.assign(base, { x, y, w: 50, h: 30 });
      if (kind === 'text') Object.assign(base, { text: '견적 ' + i, size: 16 });
    }
    elements.push(base);
  }
  board.elements = new Map(elements.map((e) => [e.id, e]));
  board._changed();
  return board.live().length;
}"""

TIME_REDRAW = """async ({runs, layered}) => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const board = canvas.wbBoard;
  const ctx = canvas.getContext('2d');
  view.painter.enabled = layered;
  view.painter.invalidate();
  view.paint();
  await new Promise((resolve) => setTimeout(resolve, 300)); // the board settles in the layer
  view.paint();
  const stroke = { id: `drawing${layered}`, kind: 'pen', version: 1, nonce: 1, deleted: false,
                   z: 1e12, color: '#e11d48', width: 4, points: [[100, 100]] };
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    stroke.version += 1;
    const next = { ...stroke, points: [...stroke.points, [100 + 3 * i, 100 + ((i * 7) % 40)]] };
    Object.assign(stroke, next);
    board.elements.set(next.id, next);
    board._changed();
    const start = performance.now();
    view.paint();
    ctx.getImageData(0, 0, 1, 1); // the pixels, not just the recorded commands
    times.push(performance.now() - start);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  board.elements.delete(stroke.id);
  board._changed();
  view.painter.enabled = true;
  return times;
}"""

# Move the view every frame as a drag (pan) or a pinch (zoom) does; the page's own painter.
TIME_VIEW = """async ({runs, kind}) => {
  const { zoomedAt } = await import('/ui/common/whiteboard/geometry.js');
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const ctx = canvas.getContext('2d');
  const rect = canvas.getBoundingClientRect();
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  view.painter.enabled = true;
  view.painter.invalidate();
  view.paint();
  await sleep(300); // the board settles in the layer
  view.paint();
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const v = view.view;
    if (kind === 'pan') {
      const dir = Math.floor(i / 30) % 2 ? -1 : 1;
      view.view = { ...v, x: v.x + (dir * 12) / v.zoom, y: v.y + (dir * 7) / v.zoom };
    } else {
      const factor = Math.floor(i / 10) % 2 ? 1 / 1.03 : 1.03;
      view.view = zoomedAt(v, factor, rect.width / 2, rect.height / 2);
    }
    const start = performance.now();
    view.paint();
    ctx.getImageData(0, 0, 1, 1);
    times.push(performance.now() - start);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  let settle = null;
  if (kind === 'zoom') {
    view.painter.settleNow?.(); // the pinch has rested: the sharp frame, drawn anew
    const start = performance.now();
    view.paint();
    ctx.getImageData(0, 0, 1, 1);
    settle = performance.now() - start;
  }
  return { times, settle };
}"""

WATCH_ARRIVALS = """() => {
  const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
  window.__arrived = {};
  board.onChange(() => {
    const now = performance.timeOrigin + performance.now();
    for (const id of board.elements.keys()) {
      if (id.startsWith('lat') && !(id in window.__arrived)) window.__arrived[id] = now;
    }
  });
}"""

START_STROKE = """(i) => {
  const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
  const at = performance.timeOrigin + performance.now();
  board.draft({ id: `lat${i}`, kind: 'pen', version: 1, nonce: i, deleted: false, z: 1e12 + i,
                color: '#e11d48', width: 3, points: [[10 + i, 10], [12 + i, 14]] });
  return at;
}"""


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strokes", type=int, default=200)
    parser.add_argument("--elements", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--view-only", action="store_true", help="only the pan and zoom frames at DPR 2"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-wb-"))
    data = work / "data"
    data.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data, agent)
    relay = RelayProcess(data, work, ())
    relay.start()
    results: dict[str, object] = {"elements": args.elements}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
            agent = open_page(
                browser, relay.url + "/agent", viewport={"width": 1920, "height": 1080}
            )
            customer = open_page(browser, relay.url + "/", viewport={"width": 1280, "height": 800})
            agent_login(agent)
            customer_join(customer, start_support(agent))
            by_id(agent, "whiteboard-button").click()
            by_id(customer, "whiteboard-accept").click()
            expect(by_id(agent, "wb-canvas")).to_be_visible()
            expect(by_id(customer, "wb-canvas")).to_be_visible()
            for ratio in (2,) if args.view_only else (1, 2):
                agent.evaluate(f"() => {{ window.devicePixelRatio = {ratio}; }}")
                agent.evaluate(
                    "() => document.querySelector('[data-testid=wb-canvas]').wbView._fitCanvas()"
                )
                agent.evaluate(FILL_BOARD, args.elements)
                size = agent.evaluate(
                    "() => { const c = document.querySelector('[data-testid=wb-canvas]');"
                    " return [c.width, c.height]; }"
                )
                cases = () if args.view_only else (("frame", True, 120), ("full", False, 40))
                for name, layered, runs in cases:
                    times = agent.evaluate(TIME_REDRAW, {"runs": runs, "layered": layered})[5:]
                    results[f"{name}_dpr{ratio}"] = {
                        "canvas_px": size,
                        "median_ms": round(statistics.median(times), 2),
                        "p95_ms": round(_pct(times, 0.95), 2),
                    }
            settles = []
            view_times: dict[str, list[float]] = {"pan": [], "zoom": []}
            for kind, repeats in (("pan", 1), ("zoom", 3)):
                for _ in range(repeats):
                    got = agent.evaluate(TIME_VIEW, {"runs": 120, "kind": kind})
                    view_times[kind] += got["times"][5:]
                    if got["settle"] is not None:
                        settles.append(got["settle"])
            for kind, times in view_times.items():
                results[f"{kind}_dpr2"] = {
                    "canvas_px": size,
                    "median_ms": round(statistics.median(times), 2),
                    "p95_ms": round(_pct(times, 0.95), 2),
                }
            if settles:
                results["zoom_settle_dpr2"] = {
                    "canvas_px": size,
                    "median_ms": round(statistics.median(settles), 2),
                    "p95_ms": round(max(settles), 2),
                }
            if args.view_only:
                browser.close()
                return _report(args, results)
            customer.evaluate(FILL_BOARD, args.elements)
            customer.evaluate(WATCH_ARRIVALS)
            sent = {}
            for i in range(args.strokes):
                sent[f"lat{i}"] = agent.evaluate(START_STROKE, i)
                agent.wait_for_timeout(150)
            customer.wait_for_function(
                f"() => Object.keys(window.__arrived).length >= {args.strokes}", timeout=15000
            )
            arrived = customer.evaluate("window.__arrived")
            latencies = [arrived[k] - sent[k] for k in sent]
            results["stroke_latency"] = {
                "strokes": len(latencies),
                "median_ms": round(statistics.median(latencies), 2),
                "p95_ms": round(_pct(latencies, 0.95), 2),
                "max_ms": round(max(latencies), 2),
            }
            browser.close()
    finally:
        relay.stop()
    return _report(args, results)


def _report(args: argparse.Namespace, results: dict) -> int:
    print(f"machine load average (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"{'measure':<34}{'load':<40}{'median':>10}{'p95':>10}  goal")
    rows = []
    for name, title, goal in (
        ("frame", "frame while drawing", "<= 16 ms"),
        ("full", "full redraw (a new layer)", "-"),
    ):
        for ratio in (1, 2):
            if f"{name}_dpr{ratio}" in results:
                r = results[f"{name}_dpr{ratio}"]
                load = f"{args.elements} elements, canvas {r['canvas_px'][0]}x{r['canvas_px'][1]}"
                rows.append((f"{title}, DPR {ratio}", load, r, goal))
    for key, title, goal in (
        ("pan_dpr2", "pan, a frame, DPR 2", "<= 16 ms"),
        ("zoom_dpr2", "zoom, a frame, DPR 2", "<= 16 ms"),
        ("zoom_settle_dpr2", "zoom settled (max), DPR 2", "-"),
    ):
        if key in results:
            r = results[key]
            load = f"{args.elements} elements, canvas {r['canvas_px'][0]}x{r['canvas_px'][1]}"
            rows.append((title, load, r, goal))
    if "stroke_latency" in results:
        lat = results["stroke_latency"]
        load = f"{lat['strokes']} strokes, {args.elements} on the board"
        rows.append(("stroke to the other side", load, lat, "p95 <= 50 ms"))
    for name, load, r, goal in rows:
        print(f"{name:<34}{load:<40}{r['median_ms']:>9}ms{r['p95_ms']:>8}ms  {goal}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
