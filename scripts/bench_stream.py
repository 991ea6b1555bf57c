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
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageFont  # noqa: E402

from tests.support.api import Api  # noqa: E402
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent  # noqa: E402
from tests.support.x11_paint import RootPainter, add_local_xauth_entry  # noqa: E402
from tests.support.xvfb import Xvfb  # noqa: E402

logger = logging.getLogger("bench_stream")

WIDTH, HEIGHT = 1920, 1080
QUALITY = 70
WARMUP_S = 2.0
THROTTLE_BYTES_PER_S = 125_000  # ~1 Mbit/s
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Background pages must not be throttled: every viewer is a page of its own.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]  # fmt: skip
MONO_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SANS_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


# -- content ----------------------------------------------------------------------------------


def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size=size)


def _bgra(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"))
    out = np.empty((*rgb.shape[:2], 4), np.uint8)
    out[..., :3] = rgb[..., ::-1]
    out[..., 3] = 255
    return out


def _photo(width: int, height: int, seed: int) -> Image.Image:
    """A smooth, photo-like picture (blurred colour noise with shapes)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 24 + 1, width // 24 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(20, 160))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


def render_slides(count: int = 4) -> list[np.ndarray]:
    slides = []
    title, body = _font(SANS_FONT, 64), _font(SANS_FONT, 34)
    for n in range(count):
        image = Image.new("RGB", (WIDTH, HEIGHT), (245, 247, 250))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, WIDTH, 150), fill=(30 + 40 * n, 60, 140))
        draw.text((80, 40), f"Quarterly offer {n + 1}: what you get", fill="white", font=title)
        for line in range(6):
            draw.text((100, 220 + line * 70), f"• Benefit {line + 1} of slide {n + 1}: "
                      "faster delivery and support", fill=(20, 20, 30), font=body)  # fmt: skip
        image.paste(_photo(700, 500, n), (1140, 260))
        for bar in range(6):
            top = 1000 - 40 * (bar + n) % 300 - 60
            draw.rectangle((120 + bar * 110, top, 200 + bar * 110, 1000), fill=(200, 80, 40))
        slides.append(_bgra(image))
    return slides


class DocumentScene:
    """A text editor: a document typed character by character, scrolled a step every 3 s."""

    LINE_PX = 26
    CHAR_PX = 12
    MARGIN = 60
    COLUMNS = 110

    def __init__(self) -> None:
        font = _font(MONO_FONT, 20)
        rng = np.random.default_rng(7)
        words = (
            "price offer delivery the customer support contract and monthly service of team "
            "plan discount quality to"
        ).split()
        self.lines = []
        for _ in range(400):
            text = ""
            while len(text) < self.COLUMNS - 12:
                text += str(rng.choice(words)) + " "
            self.lines.append(text.rstrip())
        self.doc_h = len(self.lines) * self.LINE_PX + HEIGHT
        full = Image.new("RGB", (WIDTH, self.doc_h), "white")
        draw = ImageDraw.Draw(full)
        for index, text in enumerate(self.lines):
            draw.text((self.MARGIN, 10 + index * self.LINE_PX), text, fill=(0, 0, 0), font=font)
        self.full = _bgra(full)
        self.blank = np.full((self.LINE_PX, WIDTH, 4), 255, np.uint8)
        self.scroll_line = 0
        self.line = 20  # the line being typed (document line index)
        self.column = 0

    def _visible(self) -> np.ndarray:
        """The screen: lines above the typing line complete, the typing line up to the caret."""
        top = self.scroll_line * self.LINE_PX
        frame = self.full[top : top + HEIGHT].copy()
        first_hidden = (self.line + 1 - self.scroll_line) * self.LINE_PX
        if first_hidden < HEIGHT:
            frame[max(0, first_hidden) :] = 255
        row = (self.line - self.scroll_line) * self.LINE_PX
        if 0 <= row < HEIGHT:
            frame[row : row + self.LINE_PX, self.MARGIN + self.column * self.CHAR_PX :] = 255
        return frame

    def first(self) -> np.ndarray:
        return self._visible()

    def type_char(self) -> tuple[np.ndarray, int, int]:
        """Reveal one more character; returns (patch, x, y) to paint."""
        self.column += 1
        if self.column > len(self.lines[self.line]):
            self.line += 1
            self.column = 0
        row = (self.line - self.scroll_line) * self.LINE_PX
        x = self.MARGIN + max(0, self.column - 1) * self.CHAR_PX
        top = self.line * self.LINE_PX
        patch = self.full[top : top + self.LINE_PX, x : x + self.CHAR_PX]
        return np.ascontiguousarray(patch), x, row

    def scroll(self) -> np.ndarray:
        self.scroll_line += 3
        return self._visible()


def paint_loop(content: str, env: dict[str, str], activity, running, ready) -> None:
    """Child process: paint ``content`` until ``running`` clears; only while ``activity`` is set."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    painter = RootPainter(env)
    if content == "slides":
        slides = render_slides()
        painter.paint(slides[0])
        ready.set()
        index, next_change = 0, time.monotonic() + 2.0
        while running.is_set():
            if activity.is_set() and time.monotonic() >= next_change:
                index = (index + 1) % len(slides)
                painter.paint(slides[index])
                next_change += 2.0
            time.sleep(0.01)
    elif content == "typing":
        scene = DocumentScene()
        painter.paint(scene.first())
        ready.set()
        next_char = next_scroll = time.monotonic()
        next_scroll += 3.0
        while running.is_set():
            now = time.monotonic()
            if activity.is_set():
                if now >= next_scroll:
                    painter.paint(scene.scroll())
                    next_scroll += 3.0
                if now >= next_char:
                    patch, x, y = scene.type_char()
                    painter.paint(patch, x, y)
                    next_char += 1 / 12  # 12 characters a second: a fast typist
            else:
                next_char = next_scroll = now
                next_scroll += 3.0
            time.sleep(0.005)
    elif content == "motion":
        base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
        offset = 0
        painter.paint(np.ascontiguousarray(base[:, :WIDTH]))
        ready.set()
        next_frame = time.monotonic()
        while running.is_set():
            if activity.is_set() and time.monotonic() >= next_frame:
                offset = (offset + 6) % WIDTH
                painter.paint(np.ascontiguousarray(base[:, offset : offset + WIDTH]))
                next_frame += 1 / 60
                next_frame = max(next_frame, time.monotonic() - 0.05)
            time.sleep(0.002)
    painter.close()


# -- a throttled TCP proxy for the slow viewer -----------------------------------------------


class ThrottledProxy:
    """Forwards 127.0.0.1:port to the relay; relay→client bytes limited to ``rate`` bytes/s."""

    def __init__(self, target_port: int, rate: int) -> None:
        self.target_port = target_port
        self.rate = rate
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            # Small buffers so the throttle is felt by the relay, not absorbed by the kernel.
            for sock in (client, upstream):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.rate),
                             daemon=True).start()  # fmt: skip

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, rate: int | None) -> None:
        started, sent = time.monotonic(), 0
        try:
            while True:
                data = source.recv(4096)
                if not data:
                    break
                sink.sendall(data)
                if rate:
                    sent += len(data)
                    ahead = sent / rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()


# -- the viewer page --------------------------------------------------------------------------

VIEWER_HTML = """<!doctype html><html><body style="margin:0;background:#000">
<canvas id="screen" width="1920" height="1080" style="width:100%"></canvas></body></html>"""

VIEWER_JS = """
([url, hello]) => {
  const canvas = document.getElementById("screen");
  const ctx = canvas.getContext("2d");
  const CELL = 16;
  const bench = window.bench = {
    states: [], paints: [], bytes: 0, frames: 0, exactAt: null, closed: null,
    cols: 0, rows: 0, exact: null, exactCount: 0,
    mark() { this.paints = []; this.bytes = 0; this.frames = 0; },
    report() {
      return {paints: this.paints, bytes: this.bytes, frames: this.frames,
              exactAt: this.exactAt, allExact: this.exactCount === this.cols * this.rows,
              states: this.states, closed: this.closed};
    },
  };
  const types = {1: "image/jpeg", 2: "image/png", 3: "image/webp"};
  let chain = Promise.resolve();
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify(hello));
  ws.onclose = (event) => { bench.closed = event.code; };
  ws.onmessage = (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.type === "screen_state") bench.states.push(message.state);
      return;
    }
    const buffer = event.data;
    const view = new DataView(buffer);
    const seq = view.getUint32(4, true), captureMs = view.getFloat64(8, true);
    const x = view.getUint16(16, true), y = view.getUint16(18, true);
    const w = view.getUint16(20, true), h = view.getUint16(22, true);
    const sw = view.getUint16(24, true), sh = view.getUint16(26, true);
    const encoding = view.getUint8(28), flags = view.getUint8(29);
    bench.bytes += buffer.byteLength;
    const blob = new Blob([new Uint8Array(buffer, 32)], {type: types[encoding]});
    chain = chain.then(async () => {
      const bitmap = await createImageBitmap(
        blob, {colorSpaceConversion: "none", premultiplyAlpha: "none"});
      ctx.drawImage(bitmap, x, y);
      bitmap.close();
      const painted = performance.timeOrigin + performance.now();
      ws.send(JSON.stringify({type: "screen_ack", seq}));
      ws.send(JSON.stringify({type: "paint_report", seq, capture_ms: captureMs,
                              painted_ms: painted}));
      bench.frames += 1;
      bench.paints.push([captureMs, painted]);
      if (!bench.exact || bench.cols !== Math.ceil(sw / CELL)) {
        bench.cols = Math.ceil(sw / CELL); bench.rows = Math.ceil(sh / CELL);
        bench.exact = new Uint8Array(bench.cols * bench.rows); bench.exactCount = 0;
      }
      const lossless = flags & 1 ? 1 : 0;
      for (let r = Math.floor(y / CELL); r < Math.ceil((y + h) / CELL); r++) {
        for (let c = Math.floor(x / CELL); c < Math.ceil((x + w) / CELL); c++) {
          const i = r * bench.cols + c;
          bench.exactCount += lossless - bench.exact[i];
          bench.exact[i] = lossless;
        }
      }
      bench.exactAt = bench.exactCount === bench.cols * bench.rows ? painted : null;
    }).catch((error) => { bench.error = String(error); });
  };
}
"""


# -- the baseline presenter -------------------------------------------------------------------


def run_baseline(args: argparse.Namespace) -> int:
    """A naive presenter: a full-frame JPEG at the same quality for every capture credit."""
    from suite.agent.presenter_client import ScreenChannel
    from suite.screen.capture import MssGrabber
    from suite.screen.encoders import JpegEncoder
    from suite.screen.frames import FrameFlags, RegionFrame

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    channel = ScreenChannel(args.relay, args.token, args.session)
    channel.open()
    grabber = MssGrabber(1)
    encoder = JpegEncoder(args.quality)
    channel.send_message("present_start", screen_w=grabber.width, screen_h=grabber.height)
    seq, sent_bytes, next_stats = 0, 0, 0.0
    while not stop.is_set() and not channel.closed:
        if time.monotonic() >= next_stats:
            next_stats = time.monotonic() + 0.5
            _write_json(args.stats_file, {"bytes": sent_bytes, "time_ms": time.time() * 1000})
        if not channel.wait_credit(0.1):
            continue
        frame = grabber.grab()
        capture_ms = time.time() * 1000
        seq += 1
        data = bytes(RegionFrame(
            seq, capture_ms, 0, 0, grabber.width, grabber.height, grabber.width,
            grabber.height, encoder.encoding, FrameFlags.KEY, encoder.encode(frame),
        ))  # fmt: skip
        channel.send_frame(data)
        channel.take_credit()
        sent_bytes += len(data)
    _write_json(args.stats_file, {"bytes": sent_bytes, "time_ms": time.time() * 1000})
    channel.close()
    return 0


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value))
    temporary.replace(path)


# -- one case ---------------------------------------------------------------------------------


@dataclass
class Bench:
    xvfb: Xvfb
    relay: RelayProcess
    browser: Any
    work: Path
    seconds: float
    results: list[dict[str, Any]] = field(default_factory=list)


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
) -> dict[str, Any]:
    """Stream ``content`` with ``mode`` ("presenter" or "baseline") to ``viewers`` pages."""
    label = label or f"{content} {mode}"
    logger.info("case: %s (%d viewers, %d throttled)", label, viewers, throttled)
    api = Api(bench.relay.url)
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
    running.set()
    painter = ctx.Process(target=paint_loop, args=(content, env, activity, running, ready))
    painter.start()
    ready.wait(60)
    proxy = ThrottledProxy(bench.relay.port, THROTTLE_BYTES_PER_S) if throttled else None
    contexts, pages = [], []
    for index in range(viewers):
        port = proxy.port if proxy and index >= viewers - throttled else bench.relay.port
        context = bench.browser.new_context(viewport={"width": 960, "height": 540})
        page = context.new_page()
        page.set_content(VIEWER_HTML)
        page.evaluate(VIEWER_JS, [f"ws://127.0.0.1:{port}/ws", hello])
        contexts.append(context)
        pages.append(page)
    stats_file = bench.work / f"stats-{len(bench.results)}.json"
    stats_file.unlink(missing_ok=True)
    ws_url = f"ws://127.0.0.1:{bench.relay.port}/ws"
    common = [f"--relay={ws_url}", f"--token={token}", f"--session={session_id}",
              f"--quality={QUALITY}", f"--stats-file={stats_file}"]  # fmt: skip
    if mode == "presenter":
        command = [sys.executable, "-m", "suite.agent.presenter", *common, "--log-level=WARNING"]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--baseline-presenter", *common]
    presenter = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
    process = psutil.Process(presenter.pid)
    relay_process = psutil.Process(bench.relay.pid)
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
        started = time.monotonic()
        time.sleep(bench.seconds)
        elapsed = time.monotonic() - started
        cpu1, relay_cpu1 = process.cpu_times(), relay_process.cpu_times()
        parts1 = {name: _cpu_s(procs) for name, procs in parts.items()}
        machine1 = psutil.cpu_times()
        stats1 = _read_stats(stats_file, time.time() * 1000)
        reports = [page.evaluate("window.bench.report()") for page in pages]
        result.update(_summarise(reports, viewers - throttled, elapsed))
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
        for capture_ms, painted_ms in paints:
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
    errors = [r.get("closed") for r in reports if r.get("closed")]
    if errors:
        out["viewer_close_codes"] = errors
    return out


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
    idle_s = 5.0
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


def _canvas_matches_screen(bench: Bench, page: Any) -> bool:
    import mss

    with mss.MSS() as grabber:
        shot = grabber.grab(grabber.monitors[1])
        screen = np.frombuffer(shot.rgb, np.uint8).reshape(shot.height, shot.width, 3)
    url = page.evaluate("document.getElementById('screen').toDataURL('image/png')")
    data = base64.b64decode(url.split(",", 1)[1])
    canvas = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    matches = bool(np.array_equal(canvas, screen))
    if not matches:
        differs = np.argwhere((canvas != screen).any(axis=2))
        logger.warning("canvas differs from the screen at %d pixels, e.g. %s", len(differs),
                       differs[:3].tolist())  # fmt: skip
    return matches


# -- the presenter's own cost per capture, without the rest of the machine -------------------


def pipeline_costs(captures: int = 400) -> list[dict[str, Any]]:
    """Time ScreenStream.encode on each content in this process, capture by capture.

    The end-to-end cases share the 2 cores with Chromium, the painter, Xvfb and whatever else
    runs; this says what the presenter alone can do (its "fps-capable" rate). mss's grab is
    timed on the Xvfb screen separately and added.
    """
    import mss

    from suite.screen.stream import ScreenStream, StreamOptions

    with mss.MSS() as grabber:
        monitor = grabber.monitors[1]
        grabber.grab(monitor)
        grab_ms = []
        for _ in range(30):
            started = time.perf_counter()
            grabber.grab(monitor)
            grab_ms.append((time.perf_counter() - started) * 1000)
    grab = float(np.median(grab_ms))
    out = []
    for content in ("slides", "typing", "motion"):
        frames = _content_frames(content, captures)
        stream = ScreenStream(WIDTH, HEIGHT, StreamOptions(quality=QUALITY))
        stream.encode(next(frames).copy(), 0.0)
        costs = []
        for index, frame in enumerate(frames, start=1):
            started = time.perf_counter()
            stream.encode(frame.copy(), index * 1000 / 60)
            costs.append((time.perf_counter() - started) * 1000)
        median = float(np.median(costs)) + grab
        out.append({"content": content, "grab_ms": grab,
                    "encode_p50_ms": float(np.median(costs)),
                    "encode_p95_ms": float(np.percentile(costs, 95)),
                    "encode_max_ms": float(np.max(costs)),
                    "fps_capable": 1000 / median})  # fmt: skip
    return out


def _content_frames(content: str, count: int) -> Iterator[np.ndarray]:
    """The screens the painter would show at 60 captures a second, without X."""
    if content == "slides":
        slides = render_slides()
        for i in range(count):
            yield slides[(i // 120) % len(slides)]  # a change every 2 s
    elif content == "typing":
        scene = DocumentScene()
        screen = scene.first()
        for i in range(count):
            if i % 180 == 179:  # a scroll step every 3 s
                screen = scene.scroll()
            elif i % 5 == 0:  # 12 characters a second
                patch, x, y = scene.type_char()
                screen = screen.copy()
                screen[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
            yield screen
    else:
        base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
        for i in range(count):
            yield np.ascontiguousarray(base[:, (i * 6) % WIDTH :][:, :WIDTH])


def format_costs(costs: list[dict[str, Any]]) -> str:
    lines = ["| content | mss grab (ms) | diff + encode p50 / p95 / max (ms) | fps-capable (p50) |",
             "|---|---|---|---|"]  # fmt: skip
    for c in costs:
        lines.append(f"| {c['content']} | {c['grab_ms']:.1f} | {c['encode_p50_ms']:.1f} / "
                     f"{c['encode_p95_ms']:.1f} / {c['encode_max_ms']:.0f} "
                     f"| {c['fps_capable']:.0f} |")  # fmt: skip
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores "
            f"({cpu}), {psutil.virtual_memory().total / 2**30:.1f} GiB RAM")  # fmt: skip


def format_table(results: list[dict[str, Any]]) -> str:
    header = (
        "| case | viewers | fps | bytes/s to a viewer | upload bytes/s | latency p50 / p95 (ms) "
        "| presenter CPU % | relay CPU % | Chromium CPU % | painter + Xvfb CPU % "
        "| other load CPU % | notes |"
    )
    lines = [header, "|" + "---|" * 11]
    for r in results:
        notes = []
        if "exact_after_ms" in r:
            notes.append(f"pixel-exact {r['exact_after_ms']:.0f} ms after typing stopped"
                         f" (canvas == screen: {r['canvas_matches_screen']})")  # fmt: skip
            notes.append(f"idle {r['idle_bytes_per_s']:.0f} B/s to a viewer, "
                         f"{r['idle_upload_bytes_per_s']:.0f} B/s up, "
                         f"presenter {r['idle_presenter_cpu_pct']:.0f} % CPU")  # fmt: skip
        if "throttled_fps" in r:
            notes.append(f"throttled viewer: {r['throttled_fps']:.1f} fps, "
                         f"{r['throttled_bytes_per_s'] / 1000:.0f} kB/s, "
                         f"p50 {r['throttled_latency_p50_ms']:.0f} ms")  # fmt: skip
        if r.get("viewer_close_codes"):
            notes.append(f"viewers closed: {r['viewer_close_codes']}")
        viewers = f"{r['viewers']}" + (f" ({r['throttled']} throttled)" if r["throttled"] else "")
        lines.append(
            f"| {r['case']} | {viewers} | {r['fps']:.1f} (min {r['fps_min']:.1f}) "
            f"| {r['bytes_per_s'] / 1000:.1f} kB/s | {r['upload_bytes_per_s'] / 1000:.1f} kB/s "
            f"| {r['latency_p50_ms']:.0f} / {r['latency_p95_ms']:.0f} "
            f"| {r['presenter_cpu_pct']:.0f} | {r['relay_cpu_pct']:.0f} "
            f"| {r['chromium_cpu_pct']:.0f} | {r['painter_cpu_pct'] + r['xvfb_cpu_pct']:.0f} "
            f"| {r['others_cpu_pct']:.0f} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per case")
    parser.add_argument("--only", default="slides,typing,motion,fanout,costs")
    parser.add_argument("--json", type=Path, help="write all results here")
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
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS
                )
                bench = Bench(xvfb, relay, browser, work, args.seconds)
                for content in ("slides", "typing", "motion"):
                    if content in only:
                        run_case(bench, content, "presenter")
                        run_case(bench, content, "baseline")
                if "fanout" in only:
                    run_case(bench, "motion", "presenter", viewers=4, label="motion, 4 viewers")
                    run_case(bench, "motion", "presenter", viewers=5, throttled=1,
                             label="motion, 5 viewers, 1 at ~1 Mbit/s")  # fmt: skip
                browser.close()
        finally:
            relay.stop()
        costs = pipeline_costs() if "costs" in only else []
    print(f"\nMachine: {machine_description()}\n")
    print(format_table(bench.results))
    if costs:
        print("\nThe presenter alone, per capture (in-process, 1920x1080):\n")
        print(format_costs(costs))
    if args.json:
        args.json.write_text(json.dumps(
            {"machine": machine_description(), "results": bench.results, "costs": costs},
            indent=1,
        ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
