#!/usr/bin/env python3
"""Measure the agent page presenting from the browser at 1280x720.

A real relay on loopback; headless Chromium with its fake display capture (a 1280x720 pattern
at 30 frames/s whose disc turns and whose clock text changes every frame, so every capture
changes a few tiles) as the agent page; a second context as the customer, whose viewer window
paints the frames. Over the measured window it reports what the page captured and sent
(captures/s, region frames/s, bytes/s) and what the viewer painted (region frames/s, bytes/s,
decode time per frame).

    scripts/bench_browser_present.py [--seconds 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from scripts.stream_bench.browser_present import present_to_viewer  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH  # noqa: E402
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent  # noqa: E402
from tests.support.ui_pages import agent_login, customer_join, open_page, start_support  # noqa: E402


def run(seconds: float) -> dict[str, float]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    work = Path(tempfile.mkdtemp(prefix="bench-browser-present-"))
    data = work / "data"
    data.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data, agent)
    relay = RelayProcess(data, work)
    relay.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
            agent = open_page(browser, relay.url + "/agent")
            agent_login(agent)
            code = start_support(agent)
            customer = open_page(browser, relay.url + "/")
            customer_join(customer, code)
            viewer = present_to_viewer(agent, customer)
            sent0 = agent.evaluate("window.__rsTest.presenter()")
            seen0 = viewer.evaluate("window.__rsViewer.stats()")
            start = time.monotonic()
            time.sleep(seconds)
            sent1 = agent.evaluate("window.__rsTest.presenter()")
            seen1 = viewer.evaluate("window.__rsViewer.stats()")
            elapsed = time.monotonic() - start
            browser.close()
    finally:
        relay.stop()

    def rate(after: dict, before: dict, key: str) -> float:
        return round((after[key] - before[key]) / elapsed, 1)

    def per_capture(after: dict, before: dict, key: str) -> float:
        captures = max(1, after["captures"] - before["captures"])
        return round((after[key] - before[key]) / captures, 1)

    return {
        "size": f"{sent1['width']}x{sent1['height']}",
        "seconds": round(elapsed, 1),
        "captures_per_s": rate(sent1, sent0, "sentCaptures"),
        "frames_per_s": rate(sent1, sent0, "frames"),
        "bytes_per_s": rate(sent1, sent0, "bytes"),
        "bytes_per_capture": round(
            (sent1["bytes"] - sent0["bytes"])
            / max(1, sent1["sentCaptures"] - sent0["sentCaptures"])
        ),
        "refresh_frames_per_s": rate(sent1, sent0, "refreshFrames"),
        # Per capture: the page's main thread (draw, read back, diff, plan), and until the
        # frames were encoded (convertToBlob runs off the main thread).
        "main_thread_ms_per_capture": per_capture(sent1, sent0, "syncMs"),
        "encoded_ms_per_capture": per_capture(sent1, sent0, "encodeMs"),
        "viewer_frames_per_s": rate(seen1, seen0, "framesPainted"),
        "viewer_bytes_per_s": rate(seen1, seen0, "bytes"),
        "viewer_decode_ms_per_frame": round(
            (seen1["decodeMs"] - seen0["decodeMs"])
            / max(1, seen1["framesPainted"] - seen0["framesPainted"]),
            2,
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = run(args.seconds)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
