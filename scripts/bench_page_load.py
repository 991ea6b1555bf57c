#!/usr/bin/env python3
"""Measure one page load of the agent page, the customer page and the viewer, as the browser
tests open them: a relay started as the tests start it, Debian's headless Chromium through
Playwright, every load in a fresh browser context (no cache).

For each page it reports the median over ``--loads`` loads of: the wall time to the ``load``
event; the CPU seconds of Chromium with the Playwright driver and of the relay over the load;
the page's own Performance metrics (script, style recalc, layout, all main-thread tasks); the
requests and the network span. With ``--trace`` one more load of each page is traced and the
renderer main thread's self time is listed by event name (where parse, compile, style and
layout go), with the fonts the page's text was drawn with.

    scripts/bench_page_load.py [--loads 5] [--trace] [--second-load] [--json out.json]
        [--base DIR]

``--base DIR`` starts a second relay from another checkout (``git archive main | tar -x -C
DIR``) and interleaves its loads with this checkout's: a before/after in one run.

``--second-load`` also loads each page a second time in the same context (the HTTP cache
warm: 304s and V8's code cache), as a customer's or an agent's next visit does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH  # noqa: E402
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent  # noqa: E402
from tests.support.viewer_presenter import (  # noqa: E402
    SESSION_STORAGE_KEY,
    VIEWER_PATH,
    start_session,
)

METRICS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "TaskDuration")
TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8",
    "v8.execute",
    "blink",
    "blink.user_timing",
    "loading",
    "toplevel",
]
# Settled: the load event, then two animation frames (the first paint after it).
SETTLED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _tree_cpu_s(relay_pids: set[int]) -> dict[int, float]:
    """CPU seconds of every child of this process but the relays (the Playwright driver and
    Chromium's processes), by pid."""
    times: dict[int, float] = {}
    for child in psutil.Process().children(recursive=True):
        if child.pid in relay_pids:
            continue
        try:
            times[child.pid] = _cpu_s(child)
        except psutil.NoSuchProcess:
            pass
    return times


def _cpu_since(before: dict[int, float], relay_pids: set[int]) -> float:
    """CPU seconds the children used since ``before``: a process that has exited since (an
    earlier context's renderer) takes nothing away; a new one counts whole."""
    now = _tree_cpu_s(relay_pids)
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in now.items())


class PageLoads:
    def __init__(self, browser, relay: RelayProcess, session, relay_pids: set[int]) -> None:
        self.browser = browser
        self.relay_pids = relay_pids
        self.relay = relay
        self.relay_process = psutil.Process(relay.pid)
        self.session = session

    def _context(self, kind: str):
        context = self.browser.new_context(
            viewport={"width": 1280, "height": 720 if kind == "agent" else 800}, locale="en-US"
        )
        if kind == "viewer":
            stored = json.dumps(
                {
                    "session_id": self.session.session_id,
                    "customer_token": self.session.customer_token,
                    "last_seen_id": 0,
                    "agent": {"name": "Alice"},
                }
            )
            context.add_init_script(
                f"window.sessionStorage.setItem({json.dumps(SESSION_STORAGE_KEY)}, "
                f"{json.dumps(stored)});"
            )
        return context

    def url(self, kind: str) -> str:
        path = {"agent": "/agent", "customer": "/", "viewer": VIEWER_PATH}[kind]
        return self.relay.url + path

    def load(self, kind: str, second: bool = False) -> dict[str, Any]:
        """One load in a fresh context (``second``: then a second in the same context)."""
        context = self._context(kind)
        try:
            page = context.new_page()
            if second:
                page.goto(self.url(kind))
                page.evaluate(SETTLED)
            return self._measure(page, kind)
        finally:
            context.close()

    def _measure(self, page, kind: str) -> dict[str, Any]:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        before = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        tree0, relay0 = _tree_cpu_s(self.relay_pids), _cpu_s(self.relay_process)
        start = time.monotonic()
        page.goto(self.url(kind), wait_until="load")
        loaded = time.monotonic() - start
        page.evaluate(SETTLED)
        settled = time.monotonic() - start
        tree_cpu, relay1 = _cpu_since(tree0, self.relay_pids), _cpu_s(self.relay_process)
        after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        result = {
            "load_s": round(loaded, 3),
            "settled_s": round(settled, 3),
            "chromium_and_driver_cpu_s": round(tree_cpu, 3),
            "relay_cpu_s": round(relay1 - relay0, 3),
        }
        for name in METRICS:
            result[name] = round(after.get(name, 0) - before.get(name, 0), 3)
        return result

    def trace(self, kind: str, path: Path) -> dict[str, Any]:
        """One traced load; the renderer main thread's self time by event name, in ms."""
        context = self._context(kind)
        try:
            page = context.new_page()
            page.goto("about:blank")
            finished: list[Any] = []
            page.on("requestfinished", lambda request: finished.append(request))
            self.browser.start_tracing(page=page, path=str(path), categories=TRACE_CATEGORIES)
            page.goto(self.url(kind), wait_until="load")
            page.evaluate(SETTLED)
            fonts = _fonts(page)
            self.browser.stop_tracing()
            network = _network(finished)
        finally:
            context.close()
        return {
            "network": network,
            "self_ms": _self_times(json.loads(path.read_text())),
            "fonts": fonts,
        }


def _network(finished: list[Any]) -> dict[str, Any]:
    """Requests, by type and status, and the span from the first request to the last byte."""
    kinds: dict[str, int] = defaultdict(int)
    statuses: dict[int, int] = defaultdict(int)
    starts, ends = [], []
    for request in finished:
        timing = request.timing
        starts.append(timing["startTime"])
        ends.append(timing["startTime"] + max(timing["responseEnd"], 0))
        kinds[request.resource_type] += 1
        response = request.response()
        statuses[response.status if response else 0] += 1
    span = (max(ends) - min(starts)) / 1000 if finished else 0
    return {
        "requests": len(finished),
        "by_type": dict(kinds),
        "statuses": dict(statuses),
        "span_s": round(span, 3),
        "last_bytes_ms": sorted(round(end - min(starts)) for end in ends)[-5:],
    }


def _fonts(page) -> dict[str, int]:
    """The platform fonts the page's text was drawn with (glyph counts, CDP CSS domain)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root["nodeId"], "selector": "body *"})
    used: dict[str, int] = defaultdict(int)
    for node_id in nodes["nodeIds"][:400]:
        try:
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]
        except Exception:  # noqa: BLE001 -- a node without text
            continue
        for font in fonts:
            used[font["familyName"]] += font["glyphCount"]
    return dict(used)


def _self_times(trace: dict[str, Any]) -> dict[str, float]:
    """Self time (ms) by event name on the renderer main thread(s), biggest first."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
        and e["args"].get("name") == "CrRendererMain"
    }  # fmt: skip
    by_thread: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and (e["pid"], e["tid"]) in main and "dur" in e:
            by_thread[(e["pid"], e["tid"])].append(e)
    totals: dict[str, float] = defaultdict(float)
    for thread_events in by_thread.values():
        thread_events.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack: list[dict[str, Any]] = []
        for e in thread_events:
            while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"]:
                stack.pop()
            if stack:
                totals[stack[-1]["name"]] -= e["dur"]
            totals[e["name"]] += e["dur"]
            stack.append(e)
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return {name: round(us / 1000, 1) for name, us in ranked[:18] if us > 0}


def _relay(name: str, checkout: Path) -> RelayProcess:
    work = Path(tempfile.mkdtemp(prefix=f"bench-page-load-{name}-"))
    data = work / "data"
    data.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data, agent)
    relay = RelayProcess(data, work, cwd=checkout)
    relay.start()
    return relay


def run(loads: int, trace: bool, second_load: bool, base: Path | None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    relays = {"": _relay("this", REPO_ROOT)}
    if base is not None:
        relays["base "] = _relay("base", base)
    report: dict[str, Any] = {"load_average": list(psutil.getloadavg())}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
            relay_pids = {one.pid for one in relays.values()}
            loaders = {
                name: PageLoads(browser, one, start_session(one), relay_pids)
                for name, one in relays.items()
            }
            loader = loaders[""]
            kinds = ("agent", "customer", "viewer")
            for each in loaders.values():  # a first load of each warms the relay and the disk
                for kind in kinds:
                    each.load(kind)
            samples: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for _ in range(loads):  # interleaved, so that the load changes hit every page
                for kind in kinds:
                    for name, each in loaders.items():
                        samples[name + kind].append(each.load(kind))
                        if second_load:
                            samples[name + kind + " (second load)"].append(
                                each.load(kind, second=True)
                            )
            for kind, runs in samples.items():
                report[kind] = {
                    key: round(statistics.median(run[key] for run in runs), 3)
                    if isinstance(runs[0][key], (int, float))
                    else runs[-1][key]
                    for key in runs[0]
                }
            if trace:
                traces = Path(tempfile.mkdtemp(prefix="bench-page-load-traces-"))
                for kind in kinds:
                    report[kind]["trace"] = loader.trace(kind, traces / f"trace-{kind}.json")
            browser.close()
    finally:
        for each in relays.values():
            each.stop()
    report["load_average"] += list(psutil.getloadavg())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--second-load", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--base", type=Path, help="another checkout's relay, interleaved")
    args = parser.parse_args()
    report = run(args.loads, args.trace, args.second_load, args.base)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
