#!/usr/bin/env python3
"""Benchmark the screen stream: presenter → real relay → headless Chromium viewers.

Under a private Xvfb at 1920x1080 a painter process plays scripted content on the root window:

  (a) slides   a slide deck that changes slide every 2 s
  (b) typing   typing into a text document, with a scroll step every 3 s; then it stops and
               the run measures the time until every viewer's canvas is pixel-exact, and the
               bytes/s of the idle screen afterwards
  (c) motion   full-screen motion (a photo-like picture panning at 60 frames/s)

Each content is streamed twice in the same run: by the presenter (``python -m
suite.agent.presenter``) and by a naive baseline (a full-frame JPEG at the same quality for
every credit, ``--baseline-presenter`` below). Viewers are Chromium pages that decode each region
frame with ``createImageBitmap``, draw it on a canvas, acknowledge it (``screen_ack``) and keep
capture-to-paint times (``capture_ms`` in the header vs the time after ``drawImage``). A last
case runs (c) with 5 viewers, one behind a TCP proxy throttled to ~1 Mbit/s, against 4 viewers
without it.

    scripts/bench_stream.py [--seconds 10] [--json out.json] [--only slides,typing]
                            [--compare /path/to/an/older/checkout]

``--compare`` runs that checkout's presenter, relay and viewer page as a third mode ("before")
right after this tree's, on the same content: before/after rounds interleaved in one run (the
motion cases with several, slow and CPU-throttled viewers too). ``--only motion,phone`` adds
the CPU-throttled viewer's case (a phone) without the other fan-out cases.
For slides each change is measured on its own: its bytes, the time from the change to its
first painted picture and to its last frame; at the end, whether the canvas outside the photo
is pixel-exact and the photo's PSNR.

Needs Xvfb and Debian's /usr/bin/chromium (Playwright drives it; never ``playwright install``).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import logging
import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from PIL import Image  # noqa: E402

from scripts.stream_bench.baseline_presenter import run_baseline  # noqa: E402
from scripts.stream_bench.content import (  # noqa: E402
    HEIGHT,
    PHOTO_BOX,
    QUALITY,
    WIDTH,
    paint_loop,
)
from scripts.stream_bench.pipeline_costs import format_costs, pipeline_costs  # noqa: E402
from scripts.stream_bench.report import format_table, machine_description  # noqa: E402
from scripts.stream_bench.throttled_proxy import ThrottledProxy  # noqa: E402
from scripts.stream_bench.video_costs import format_video_costs, video_costs  # noqa: E402
from scripts.stream_bench.viewer_page import (  # noqa: E402
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    VIEWER_HTML,
    VIEWER_JS,
)
from tests.support.api import Api  # noqa: E402
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent  # noqa: E402
from tests.support.x11_paint import add_local_xauth_entry  # noqa: E402
from tests.support.xvfb import Xvfb  # noqa: E402

logger = logging.getLogger("bench_stream")

WARMUP_S = 2.0
THROTTLE_BYTES_PER_S = 125_000  # ~1 Mbit/s
CPU_THROTTLE = 4  # a phone-sized viewer: DevTools' 4x CPU slowdown


# -- one case ---------------------------------------------------------------------------------


@dataclass
class Bench:
    xvfb: Xvfb
    relay: RelayProcess
    browser: Any
    work: Path
    seconds: float
    compare: Path | None = None
    presenter_args: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    before_relay: RelayProcess | None = None  # the --compare checkout's relay ("before")


def _percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def _read_stats(path: Path, written_after_ms: float = 0.0) -> dict[str, Any]:
    """The presenter's counters, written at least as late as ``written_after_ms``."""
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        try:
            stats = json.loads(path.read_text())
            if stats["time_ms"] >= written_after_ms:
                return stats
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.05)
    return {"bytes": 0, "time_ms": time.time() * 1000}


def run_case(
    bench: Bench,
    content: str,
    mode: str,
    viewers: int = 1,
    throttled: int = 0,
    label: str | None = None,
    cpu_throttled: int = 0,
) -> dict[str, Any]:
    """Stream ``content`` with ``mode`` to ``viewers`` pages: "presenter" (motion as video),
    "jpeg" (the presenter with --no-video, viewers without a video decoder) or "baseline".
    The last ``throttled`` viewers go through a ~1 Mbit/s proxy; the last ``cpu_throttled``
    run at CPU_THROTTLE x slower CPU (Chromium's DevTools emulation, a phone)."""
    label = label or f"{content} {mode}"
    relay = bench.before_relay if mode == "before" and bench.before_relay else bench.relay
    logger.info("case: %s (%d viewers, %d throttled)", label, viewers, throttled)
    api = Api(relay.url)
    token = api.login(DEFAULT_AGENTS[0].username, DEFAULT_AGENTS[0].password)
    support = api.new_support(token)
    joined = api.join(code=support["code"], name="Bench Customer")
    session_id = support["session_id"]
    hello = {
        "type": "hello", "protocol_version": 1, "role": "customer", "session_id": session_id,
        "token": joined["customer_token"], "channel": "screen",
    }  # fmt: skip
    env = bench.xvfb.env()
    ctx = multiprocessing.get_context("spawn")
    activity, running, ready = ctx.Event(), ctx.Event(), ctx.Event()
    changes = ctx.Queue()
    running.set()
    painter = ctx.Process(target=paint_loop, args=(content, env, activity, running, ready, changes))
    painter.start()
    ready.wait(60)
    proxy = ThrottledProxy(relay.port, THROTTLE_BYTES_PER_S) if throttled else None
    # "before" is the older checkout's presenter and relay, and its viewer page too
    viewer_html, viewer_js = VIEWER_HTML, VIEWER_JS
    if mode == "before" and bench.compare is not None:
        viewer_html, viewer_js = _viewer_page_of(bench.compare)
    contexts, pages = [], []
    for index in range(viewers):
        port = proxy.port if proxy and index >= viewers - throttled else relay.port
        # The relay's origin: http://127.0.0.1 is a secure context, which WebCodecs needs.
        context = bench.browser.new_context(viewport={"width": 960, "height": 540},
                                            bypass_csp=True)  # fmt: skip
        page = context.new_page()
        page.goto(f"{relay.url}/health")
        page.set_content(viewer_html)
        if index >= viewers - cpu_throttled:
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_THROTTLE})
        page.evaluate(viewer_js, [f"ws://127.0.0.1:{port}/ws", hello, mode != "jpeg"])
        contexts.append(context)
        pages.append(page)
    stats_file = bench.work / f"stats-{len(bench.results)}.json"
    stats_file.unlink(missing_ok=True)
    ws_url = f"ws://127.0.0.1:{relay.port}/ws"
    common = [f"--relay={ws_url}", f"--token={token}", f"--session={session_id}",
              f"--quality={QUALITY}", f"--stats-file={stats_file}"]  # fmt: skip
    cwd = REPO_ROOT
    if mode in ("presenter", "jpeg"):
        command = [sys.executable, "-m", "suite.agent.presenter", *common, "--log-level=WARNING",
                   *bench.presenter_args]  # fmt: skip
        if mode == "jpeg":
            command.append("--no-video")
    elif mode == "before":
        assert bench.compare is not None
        cwd = bench.compare
        env = {**env, "PYTHONPATH": str(bench.compare)}
        command = [sys.executable, "-m", "suite.agent.presenter", *common, "--log-level=WARNING"]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--baseline-presenter", *common]
    presenter = subprocess.Popen(command, cwd=cwd, env=env)
    process = psutil.Process(presenter.pid)
    relay_process = psutil.Process(relay.pid)
    result: dict[str, Any] = {"case": label, "content": content, "mode": mode,
                              "viewers": viewers, "throttled": throttled}  # fmt: skip
    try:
        activity.set()
        time.sleep(WARMUP_S)
        for page in pages:
            page.evaluate("window.bench.mark()")
        cpu0, relay_cpu0 = process.cpu_times(), relay_process.cpu_times()
        parts = _components(bench, painter.pid)
        parts0 = {name: _cpu_s(procs) for name, procs in parts.items()}
        machine0 = psutil.cpu_times()
        stats0 = _read_stats(stats_file, time.time() * 1000)
        started, started_ms = time.monotonic(), time.time() * 1000
        time.sleep(bench.seconds)
        elapsed = time.monotonic() - started
        cpu1, relay_cpu1 = process.cpu_times(), relay_process.cpu_times()
        parts1 = {name: _cpu_s(procs) for name, procs in parts.items()}
        machine1 = psutil.cpu_times()
        stats1 = _read_stats(stats_file, time.time() * 1000)
        reports = [page.evaluate("window.bench.report()") for page in pages]
        result.update(_summarise(reports, viewers - throttled, elapsed))
        result["video_frames_per_s"] = reports[0].get("video", 0) / elapsed
        result["load_average"] = os.getloadavg()[0]
        if content == "slides":
            result.update(_slide_changes(reports[0], _drain(changes), started_ms))
        result["upload_bytes_per_s"] = (stats1["bytes"] - stats0["bytes"]) / (
            (stats1["time_ms"] - stats0["time_ms"]) / 1000 or 1
        )
        result["presenter_cpu_pct"] = (
            100 * ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / elapsed
        )
        result["relay_cpu_pct"] = (
            100
            * ((relay_cpu1.user + relay_cpu1.system) - (relay_cpu0.user + relay_cpu0.system))
            / elapsed
        )
        busy0 = sum(machine0) - machine0.idle - machine0.iowait
        busy1 = sum(machine1) - machine1.idle - machine1.iowait
        result["machine_cpu_pct"] = 100 * (busy1 - busy0) / (sum(machine1) - sum(machine0))
        for name in parts:
            result[f"{name}_cpu_pct"] = 100 * (parts1[name] - parts0[name]) / elapsed
        ours = sum(result[f"{name}_cpu_pct"] for name in parts)
        ours += result["presenter_cpu_pct"] + result["relay_cpu_pct"]
        cores = os.cpu_count() or 1
        result["others_cpu_pct"] = max(0.0, result["machine_cpu_pct"] * cores - ours)
        if content == "slides":
            result.update(_slide_quality(bench, pages[0], activity))
        if content == "typing":
            result.update(_settle(bench, pages[: viewers - throttled], activity, stats_file,
                                  process))  # fmt: skip
    finally:
        activity.clear()
        presenter.send_signal(signal.SIGTERM)
        try:
            presenter.wait(timeout=10)
        except subprocess.TimeoutExpired:
            presenter.kill()
        running.clear()
        painter.join(10)
        for context in contexts:
            context.close()
        if proxy:
            proxy.close()
        api.request("POST", "/api/logout", token=token)
    bench.results.append(result)
    logger.info("result: %s", {k: v for k, v in result.items() if k != "case"})
    return result


def _viewer_page_of(checkout: Path) -> tuple[str, str]:
    """The benchmark viewer page (HTML, JS) of another checkout, if it has one."""
    path = checkout / "scripts" / "stream_bench" / "viewer_page.py"
    if not path.exists():
        return VIEWER_HTML, VIEWER_JS
    page = runpy.run_path(str(path))
    return page["VIEWER_HTML"], page["VIEWER_JS"]


def _components(bench: Bench, painter_pid: int) -> dict[str, list[psutil.Process]]:
    """This benchmark's helper processes by role, to show where the machine's CPU goes."""
    me = psutil.Process()
    chromium = [p for p in me.children(recursive=True) if "chrom" in p.name()]
    xvfb_pid = bench.xvfb.process.pid if bench.xvfb.process else 0
    return {
        "painter": [psutil.Process(painter_pid)],
        "xvfb": [psutil.Process(xvfb_pid)] if xvfb_pid else [],
        "chromium": chromium,
        "bench": [me],
    }


def _cpu_s(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _summarise(reports: list[dict[str, Any]], normal: int, elapsed: float) -> dict[str, Any]:
    def one(report: dict[str, Any]) -> dict[str, float]:
        paints = report["paints"]
        last_paint: dict[float, float] = {}
        for capture_ms, painted_ms, *_ in paints:
            last_paint[capture_ms] = max(painted_ms, last_paint.get(capture_ms, 0.0))
        latencies = [painted - capture for capture, painted in last_paint.items()]
        return {"fps": len(last_paint) / elapsed, "bytes_per_s": report["bytes"] / elapsed,
                "latencies": latencies}  # fmt: skip

    normal_ones = [one(r) for r in reports[:normal]]
    out: dict[str, Any] = {
        "fps": float(np.mean([o["fps"] for o in normal_ones])),
        "fps_min": float(np.min([o["fps"] for o in normal_ones])),
        "bytes_per_s": float(np.mean([o["bytes_per_s"] for o in normal_ones])),
        "latency_p50_ms": _percentile(sum((o["latencies"] for o in normal_ones), []), 50),
        "latency_p95_ms": _percentile(sum((o["latencies"] for o in normal_ones), []), 95),
    }
    slow = [one(r) for r in reports[normal:]]
    if slow:
        out["throttled_fps"] = slow[0]["fps"]
        out["throttled_bytes_per_s"] = slow[0]["bytes_per_s"]
        out["throttled_latency_p50_ms"] = _percentile(slow[0]["latencies"], 50)
        split = reports[normal].get("split") or {}
        out["throttled_split"] = {  # where its bytes went, per second
            "region_bytes_per_s": split.get("regionBytes", 0) / elapsed,
            "key_bytes_per_s": split.get("keyBytes", 0) / elapsed,
            "delta_bytes_per_s": split.get("deltaBytes", 0) / elapsed,
            "key_frames": split.get("keys", 0),
            "frames_per_layer": split.get("layers", [0, 0]),
            "lost": reports[normal].get("lost", 0),
        }
    errors = [r.get("closed") for r in reports if r.get("closed")]
    if errors:
        out["viewer_close_codes"] = errors
    return out


def _drain(changes: Any) -> list[float]:
    out = []
    while True:
        try:
            out.append(changes.get(timeout=0.2))
        except Exception:  # queue.Empty
            return out


def _slide_changes(report: dict[str, Any], changes: list[float], since_ms: float) -> dict:
    """Per slide change in the measured window: bytes, first picture and last frame times.

    A frame belongs to the change before its capture time; the window's last change counts
    only if the next one (or the end) leaves it 1.9 s (the deck changes every 2 s).
    """
    paints = sorted(report["paints"], key=lambda paint: paint[0])
    end = max((paint[1] for paint in paints), default=since_ms)
    changes = [c for c in changes if c >= since_ms and c + 1900 <= end]
    per_change = []
    for index, change in enumerate(changes):
        upto = changes[index + 1] if index + 1 < len(changes) else change + 2000
        mine = [p for p in paints if change <= p[0] < upto]
        if not mine:
            continue
        per_change.append({
            "bytes": sum(p[2] for p in mine),
            "first_picture_ms": min(p[1] for p in mine) - change,
            "last_frame_ms": max(p[1] for p in mine) - change,
        })  # fmt: skip
    if not per_change:
        return {}
    return {
        "slide_changes": len(per_change),
        "slide_bytes": float(np.median([c["bytes"] for c in per_change])),
        "slide_first_picture_ms": float(np.median([c["first_picture_ms"] for c in per_change])),
        "slide_last_frame_ms": float(np.median([c["last_frame_ms"] for c in per_change])),
    }


def _slide_quality(bench: Bench, page: Any, activity) -> dict[str, Any]:
    """Stop the deck; 2 s later, is the canvas exact outside the photo, and the photo's PSNR?"""
    activity.clear()
    time.sleep(2.0)  # longer than the refresh's 250 ms stillness plus its chunks
    screen, canvas = _screen_and_canvas(page)
    x, y, w, h = PHOTO_BOX
    outside = np.ones(screen.shape[:2], bool)
    outside[y : y + h, x : x + w] = False
    photo = (slice(y, y + h), slice(x, x + w))
    mse = np.mean((canvas[photo].astype(np.float64) - screen[photo].astype(np.float64)) ** 2)
    differs = np.argwhere((canvas != screen).any(axis=2) & outside)
    if len(differs):
        worst = int(np.abs(canvas.astype(int) - screen.astype(int)).max(axis=2)[outside].max())
        logger.warning("outside the photo %d pixels differ (by up to %d) within %s-%s",
                       len(differs), worst, differs.min(axis=0).tolist(),
                       differs.max(axis=0).tolist())  # fmt: skip
    return {
        "slide_text_exact": bool(np.array_equal(canvas[outside], screen[outside])),
        "slide_photo_psnr_db": float("inf") if mse == 0 else float(10 * np.log10(255**2 / mse)),
    }


def _settle(bench: Bench, pages: list[Any], activity, stats_file: Path, process) -> dict:
    """Stop typing; time until every viewer is pixel-exact; then the idle cost."""
    activity.clear()
    time.sleep(0.05)  # the painter's loop notices within 5 ms
    stopped_ms = time.time() * 1000
    deadline = time.monotonic() + 10
    exact_at: list[float] = []
    while time.monotonic() < deadline:
        reports = [page.evaluate("window.bench.report()") for page in pages]
        if all(r["allExact"] and r["exactAt"] for r in reports):
            exact_at = [r["exactAt"] for r in reports]
            break
        time.sleep(0.05)
    out: dict[str, Any] = {
        # Text goes out as PNG at once: the screen may be exact before typing stopped (0).
        "exact_after_ms": max(0.0, max(exact_at) - stopped_ms) if exact_at else float("nan"),
    }
    out["canvas_matches_screen"] = _canvas_matches_screen(bench, pages[0])
    # Idle: nothing changes on screen now.
    for page in pages:
        page.evaluate("window.bench.mark()")
    stats0, cpu0 = _read_stats(stats_file, time.time() * 1000), process.cpu_times()
    idle_s = 10.0
    time.sleep(idle_s)
    stats1, cpu1 = _read_stats(stats_file, time.time() * 1000), process.cpu_times()
    reports = [page.evaluate("window.bench.report()") for page in pages]
    out["idle_bytes_per_s"] = float(np.mean([r["bytes"] for r in reports])) / idle_s
    out["idle_upload_bytes_per_s"] = (stats1["bytes"] - stats0["bytes"]) / (
        (stats1["time_ms"] - stats0["time_ms"]) / 1000 or 1
    )
    out["idle_presenter_cpu_pct"] = (
        100 * ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / idle_s
    )
    return out


def _screen_and_canvas(page: Any) -> tuple[np.ndarray, np.ndarray]:
    import mss

    with mss.MSS() as grabber:
        shot = grabber.grab(grabber.monitors[1])
        screen = np.frombuffer(shot.rgb, np.uint8).reshape(shot.height, shot.width, 3)
    # the video layer's last picture into the canvas first (viewer_page.py)
    url = page.evaluate("window.bench.flatten?.(), document.getElementById('screen').toDataURL()")
    data = base64.b64decode(url.split(",", 1)[1])
    return screen, np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _canvas_matches_screen(bench: Bench, page: Any) -> bool:
    screen, canvas = _screen_and_canvas(page)
    matches = bool(np.array_equal(canvas, screen))
    if not matches:
        differs = np.argwhere((canvas != screen).any(axis=2))
        logger.warning("canvas differs from the screen at %d pixels, e.g. %s", len(differs),
                       differs[:3].tolist())  # fmt: skip
    return matches


# -- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per case")
    parser.add_argument("--only", default="slides,typing,motion,fanout,costs")
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument("--compare", type=Path, help="an older checkout to run as 'before'")
    parser.add_argument(
        "--presenter-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="pass ARG to this tree's presenter (e.g. --presenter-arg=--poll)",
    )
    # The baseline presenter runs as a subprocess of this script.
    parser.add_argument("--baseline-presenter", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--relay", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--session", help=argparse.SUPPRESS)
    parser.add_argument("--quality", type=int, default=QUALITY, help=argparse.SUPPRESS)
    parser.add_argument("--stats-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.baseline_presenter:
        return run_baseline(args)
    from playwright.sync_api import sync_playwright

    only = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    data = work / "data"
    data.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data, agent)
    with Xvfb(WIDTH, HEIGHT) as xvfb:
        add_local_xauth_entry(xvfb)  # python-xlib (the presenter's pointer) needs it
        os.environ.update(xvfb.env())  # mss in this process reads the screen for checks
        relay = RelayProcess(data, work)
        relay.start()
        before_relay = None
        if args.compare:  # the older checkout's relay, on its own copy of the data
            before_work = work / "before"
            (before_work / "data").mkdir(parents=True)
            for agent in DEFAULT_AGENTS:
                add_agent(before_work / "data", agent)
            before_relay = RelayProcess(
                before_work / "data", before_work, cwd=args.compare,
                env={**os.environ, "PYTHONPATH": str(args.compare)},
            )  # fmt: skip
            before_relay.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS
                )
                bench = Bench(
                    xvfb, relay, browser, work, args.seconds, args.compare, args.presenter_arg,
                    before_relay=before_relay,
                )  # fmt: skip
                for content in ("slides", "typing", "motion"):
                    if content in only:
                        run_case(bench, content, "presenter")
                        if content == "motion":  # before motion went as video
                            run_case(bench, content, "jpeg", label="motion jpeg (no video)")
                        if args.compare:
                            run_case(bench, content, "before")
                        run_case(bench, content, "baseline")
                if "fanout" in only:
                    modes = ["presenter", "before"] if args.compare else ["presenter"]
                    for mode in modes:  # before and after interleaved, case by case
                        tag = " (before)" if mode == "before" else ""
                        run_case(bench, "motion", mode, viewers=4,
                                 label=f"motion, 4 viewers{tag}")  # fmt: skip
                    for mode in modes:
                        tag = " (before)" if mode == "before" else ""
                        run_case(bench, "motion", mode, viewers=5, throttled=1,
                                 label=f"motion, 5 viewers, 1 at ~1 Mbit/s{tag}")  # fmt: skip
                if "fanout" in only or "phone" in only:
                    modes = ["presenter", "before"] if args.compare else ["presenter"]
                    for mode in modes:
                        tag = " (before)" if mode == "before" else ""
                        run_case(bench, "motion", mode, viewers=1, cpu_throttled=1,
                                 label=f"motion, 1 viewer at 4x CPU throttle{tag}")  # fmt: skip
                browser.close()
        finally:
            relay.stop()
            if before_relay is not None:
                before_relay.stop()
        costs = pipeline_costs() if "costs" in only else []
        steps = video_costs() if "costs" in only else []
    print(f"\nMachine: {machine_description()}\n")
    print(format_table(bench.results))
    if costs:
        print("\nThe presenter alone, per capture (in-process, 1920x1080):\n")
        print(format_costs(costs))
        print("\nVideo, per step (median ms; the motion content, in-process):\n")
        print(format_video_costs(steps))
    if args.json:
        args.json.write_text(json.dumps(
            {"machine": machine_description(), "results": bench.results, "costs": costs,
             "video_steps": steps},
            indent=1,
        ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
