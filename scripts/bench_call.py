#!/usr/bin/env python3
"""Measure voice and video calls (CH9) against the issue's goals, on loopback.

A real relay; headless Chromium with fake media devices (a test-pattern camera, a beeping
microphone) as the agent page and the customer page. It measures:

- **set-up**: the customer presses Answer → the first remote video frame shows, on each side
  (the later of the two), directly (host candidates) and only through a real coturn
  (``?ice=relay``, credentials from the relay);
- **mouth-to-ear proxy**: from the receiver's getStats: audio jitter buffer delay per emitted
  sample + half the round-trip time (capture and playout buffers are not in getStats);
- **relay CPU**: the relay process's CPU time per second idle, during a call, while the screen
  is shared, and with both;
- **screen stream beside a call**: the agent page presents (as in bench_browser_present.py),
  the customer's viewer paints; its frames/s without a call, then with a video call between
  the agent page and the customer's chat page.

    scripts/bench_call.py [--runs 5] [--seconds 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from scripts.stream_bench.browser_present import present_to_viewer  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH  # noqa: E402
from tests.support.calls import coturn_missing, run_coturn, wait_call  # noqa: E402
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent  # noqa: E402
from tests.support.ui_pages import agent_login, customer_join, open_page, start_support  # noqa: E402

CONNECTED = (
    "call.phase === 'active' && "
    "Object.values(call.links).some((s) => s === 'connected' || s === 'relaying')"
)
# Installed on a page before the answer: the time (Date.now) its first remote frame showed.
WATCH_FIRST_FRAME = """() => {
    window.__firstFrameAt = null;
    const poll = () => {
        const video = document.querySelector('[data-testid="call-remote-video"]');
        if (video && video.videoWidth > 0) { window.__firstFrameAt = Date.now(); return; }
        setTimeout(poll, 2);
    };
    poll();
}"""
ANSWER = """() => {
    const at = Date.now();
    document.querySelector('[data-testid="call-accept"]').click();
    return at;
}"""


def _relay(work: Path, *args: str) -> RelayProcess:
    data = work / "data"
    data.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data, agent)
    relay = RelayProcess(data, work, args)
    relay.start()
    return relay


def _first_frame(page: Any) -> float:
    deadline = time.monotonic() + 20
    while (at := page.evaluate("window.__firstFrameAt")) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("no remote frame within 20 s")
        time.sleep(0.01)
    return float(at)


def setup_times(browser: Any, relay: RelayProcess, runs: int, query: str = "") -> dict[str, Any]:
    """Answer → first remote frame on both sides, ``runs`` calls in one support session."""
    agent = open_page(browser, relay.url + "/agent" + query)
    customer = open_page(browser, relay.url + "/" + query)
    agent_login(agent)
    code = start_support(agent)
    customer_join(customer, code)
    times, candidate = [], None
    for _ in range(runs):
        agent.get_by_test_id("call-start-video").click()
        customer.get_by_test_id("call-prompt").wait_for(state="visible")
        for page in (agent, customer):
            page.evaluate(WATCH_FIRST_FRAME)
        answered = customer.evaluate(ANSWER)
        shown = max(_first_frame(agent), _first_frame(customer))
        times.append(shown - answered)
        wait_call(agent, CONNECTED)
        stats = agent.evaluate("window.__rsTest.callStats()")
        candidate = next(iter(stats.values()))["localCandidateType"]
        agent.get_by_test_id("call-hangup").click()
        wait_call(customer, "call.phase === 'ended'")
    agent.context.close()
    customer.context.close()
    return {
        "median_ms": round(statistics.median(times)),
        "max_ms": round(max(times)),
        "runs": runs,
        "candidate": candidate,
    }


def in_call(browser: Any, relay: RelayProcess, seconds: float, media: str) -> dict[str, Any]:
    """A video call running: mouth-to-ear proxy, relay CPU with and without it, and the
    screen stream's frame rate beside it."""
    agent = open_page(browser, relay.url + "/agent")
    customer = open_page(browser, relay.url + "/")
    agent_login(agent)
    code = start_support(agent)
    customer_join(customer, code)
    relay_process = psutil.Process(relay.pid)

    def relay_cpu(window: float) -> float:
        before = sum(relay_process.cpu_times()[:2])
        time.sleep(window)
        return (sum(relay_process.cpu_times()[:2]) - before) / window * 100

    idle_cpu = relay_cpu(seconds)

    def call() -> None:
        agent.get_by_test_id(f"call-start-{media}").click()
        customer.get_by_test_id("call-accept").click()
        wait_call(agent, CONNECTED)
        wait_call(customer, CONNECTED)
        time.sleep(2.0)  # the jitter buffer settles

    def both_links() -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (name, peer): link
            for name, page in (("agent", agent), ("customer", customer))
            for peer, link in page.evaluate("window.__rsTest.callStats()").items()
        }

    # A call alone: mouth-to-ear proxy and the relay's CPU with the call.
    call()
    before = both_links()
    call_only_cpu = relay_cpu(seconds)
    jitter, rtt = [], []
    for key, link in both_links().items():  # getStats counts since the start: differences
        old = before.get(key)
        emitted = link["jitterEmitted"] - (old["jitterEmitted"] if old else 0)
        if old and emitted > 0 and link["rttMs"] is not None:
            jitter.append(1000 * (link["jitterDelayS"] - old["jitterDelayS"]) / emitted)
            rtt.append(link["rttMs"])
    agent.get_by_test_id("call-hangup").click()
    wait_call(customer, "call.phase === 'ended'")

    # The screen: the agent page presents, the customer's viewer paints; then a call beside it.
    viewer = present_to_viewer(agent, customer)

    def captures_and_painted(window: float) -> tuple[float, float]:
        sent0 = agent.evaluate("window.__rsTest.presenter().sentCaptures")
        painted0 = viewer.evaluate("window.__rsViewer.stats().framesPainted")
        time.sleep(window)
        sent1 = agent.evaluate("window.__rsTest.presenter().sentCaptures")
        painted1 = viewer.evaluate("window.__rsViewer.stats().framesPainted")
        return (sent1 - sent0) / window, (painted1 - painted0) / window

    captures_alone, screen_alone = captures_and_painted(seconds)
    screen_cpu = relay_cpu(seconds)
    call()
    captures_with_call, screen_with_call = captures_and_painted(seconds)
    call_cpu = relay_cpu(seconds)
    for page in (viewer, agent, customer):
        page.context.close()
    return {
        # The worse direction: its jitter buffer delay plus half the round trip.
        "mouth_to_ear_proxy_ms": round(max(j + r / 2 for j, r in zip(jitter, rtt, strict=True)), 1),
        "jitter_buffer_ms": [round(j, 1) for j in jitter],
        "rtt_ms": [round(r, 1) for r in rtt],
        "relay_cpu_call_pct": round(call_only_cpu, 2),
        "relay_cpu_idle_pct": round(idle_cpu, 2),
        "relay_cpu_screen_pct": round(screen_cpu, 2),
        "relay_cpu_screen_and_call_pct": round(call_cpu, 2),
        "screen_fps_alone": round(screen_alone, 1),
        "screen_fps_with_call": round(screen_with_call, 1),
        "screen_fps_kept_pct": round(100 * screen_with_call / max(screen_alone, 0.1)),
        "captures_per_s_alone": round(captures_alone, 1),
        "captures_per_s_with_call": round(captures_with_call, 1),
        "load_average": round(psutil.getloadavg()[0], 1),
    }


def run(runs: int, seconds: float, media: str = "video") -> dict[str, Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        work = Path(tempfile.mkdtemp(prefix="bench-call-"))
        relay = _relay(work)
        try:
            results["setup_direct"] = setup_times(browser, relay, runs)
            results.update(in_call(browser, relay, seconds, media))
            results["in_call_media"] = media
        finally:
            relay.stop()
        missing = coturn_missing()
        if missing:
            results["setup_turn"] = {"skipped": missing}
        else:
            turn_work = Path(tempfile.mkdtemp(prefix="bench-call-turn-"))
            with run_coturn(turn_work) as turn:
                relay = _relay(turn_work, *turn.relay_args)
                try:
                    results["setup_turn"] = setup_times(browser, relay, runs, "?ice=relay")
                finally:
                    relay.stop()
        browser.close()
    return results


def format_table(results: dict[str, Any]) -> str:
    direct, turn = results["setup_direct"], results["setup_turn"]
    turn_text = (
        f"{turn['median_ms']} ms (max {turn['max_ms']}, {turn['candidate']})"
        if "median_ms" in turn
        else turn["skipped"]
    )
    rows = [
        ("what", "goal", "measured"),
        ("set-up, answer → first remote frame, direct", "≤ 1,500 ms",
         f"{direct['median_ms']} ms (max {direct['max_ms']}, {direct['candidate']})"),
        ("set-up, answer → first remote frame, through TURN", "≤ 2,500 ms", turn_text),
        ("mouth-to-ear proxy (jitter buffer + RTT/2, worse side)", "≤ 150 ms",
         f"{results['mouth_to_ear_proxy_ms']} ms (jitter buffer {results['jitter_buffer_ms']} ms, "
         f"RTT {results['rtt_ms']} ms)"),
        ("relay CPU: idle / a call / screen / screen + call", "call adds ~0",
         f"{results['relay_cpu_idle_pct']} % / {results['relay_cpu_call_pct']} % / "
         f"{results['relay_cpu_screen_pct']} % / {results['relay_cpu_screen_and_call_pct']} %"),
        ("screen region frames/s painted: alone / with a call", "≥ 90 % kept",
         f"{results['screen_fps_alone']} / {results['screen_fps_with_call']} "
         f"({results['screen_fps_kept_pct']} %)"),
        ("screen captures/s sent: alone / with a call", "",
         f"{results['captures_per_s_alone']} / {results['captures_per_s_with_call']}"),
        ("machine load average (1 min) at the end", "", str(results["load_average"])),
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="calls per set-up measurement")
    parser.add_argument("--seconds", type=float, default=8.0, help="each measuring window")
    parser.add_argument(
        "--media", choices=("video", "audio"), default="video", help="the call beside the screen"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = run(args.runs, args.seconds, args.media)
    print(format_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
