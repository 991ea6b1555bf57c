"""The viewer's CPU per painted frame: recorded motion frames replayed into headless Chromium.

The presenter's real pipeline (``ScreenStream`` with ``MotionVideo``, real VP9) encodes the
benchmark's motion content once (the grainy 1080p photo panning 12 px a capture, as the live
benchmark's presenter sees it at 30 captures/s); a page then replays those wire frames at
30 captures/s from memory (each one copied into a fresh ``ArrayBuffer``, as a websocket
message arrives) into the viewer's own modules (``ui/common/screen/``: ``parseFrame`` /
``parseVideoFrame``, ``ScreenPainter``, WebCodecs ``VideoDecoder``) on a 1920x1080 canvas
shown at the page's width. So the measurement does not depend on the presenter getting a core
on a loaded machine. Chromium's CPU is read from ``/proc`` (``psutil``) for each of its
processes (renderer, GPU/display compositor, browser, utilities) over the measured seconds and
divided by the frames painted: ms of process CPU per frame, whatever else the machine runs.

Stages, as variants of the page (the differences between them are the stages' costs):

- ``parse``: the message path only (copy into a fresh ArrayBuffer, parse, no decode);
- ``decode``: parse and decode (video and tiles), then close each picture undrawn;
- ``paint``: the viewer's ``ScreenPainter`` (decode, draw, and the compositor showing it);
- ``paint-hidden``: the same with the canvas ``visibility: hidden`` (no compositing of it).

Run: ``.venv/bin/python -m scripts.stream_bench.viewer_cpu [--tree CHECKOUT] [--variants
parse,decode,paint] [--seconds 8] [--width 1920 --height 1080] [--throttle 4]``
(``--tree``: serve another checkout's ``ui/``, e.g. main's, for a before/after in one run;
``--rounds N`` interleaves the trees N times).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import struct
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from scripts.stream_bench.viewer_page import CHROMIUM_ARGS, CHROMIUM_PATH

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("parse", "decode", "paint", "paint-hidden")
PROCESS_KINDS = ("renderer", "gpu", "browser", "other")

PAGE = """<!doctype html><html><head><meta charset="utf-8"></head>
<body style="margin:0;background:#000;overflow:hidden">
<div id="stage" style="position:relative;width:100vw;aspect-ratio:16/9">
<canvas id="screen" width="1920" height="1080" style="width:100%;height:100%;display:block">
</canvas></div>
<script type="module">
import { parseFrame } from "/ui/common/screen/frame.js";
import { frameKindOf, parseVideoFrame } from "/ui/common/screen/video_frame.js";
import { FrameDecoder } from "/ui/common/screen/decoder.js";
import { ScreenPainter } from "/ui/common/screen/painter.js";

const variant = new URLSearchParams(location.search).get("variant");
const layer = new URLSearchParams(location.search).get("layer");
const canvas = document.getElementById("screen");
if (variant === "paint-hidden") canvas.style.visibility = "hidden";
const stats = window.stats = { painted: 0, failed: 0, pushed: 0, ready: false };
const painter = new ScreenPainter(canvas, {
  // older trees ignore it; ?layer=off draws video into the canvas, =canvas / =track force one
  videoLayer: layer === "off" ? false : { kind: layer },
  onPainted: (frame, info) => {
    if (info.path === "failed") stats.failed += 1; else stats.painted += 1;
  },
});
const decoder = variant === "decode" ? new FrameDecoder() : null;
const captures = [];
const bytes = new Uint8Array(await (await fetch("/frames.bin")).arrayBuffer());
const view = new DataView(bytes.buffer);
for (let at = 0; at < bytes.byteLength;) {
  const count = view.getUint32(at, true); at += 4;
  const frames = [];
  for (let i = 0; i < count; i++) {
    const size = view.getUint32(at, true); at += 4;
    frames.push(bytes.subarray(at, at + size)); at += size;
  }
  captures.push(frames);
}
const WINDOW = 4;
let seq = 1, index = 0;
const started = performance.now();
stats.ready = true;
function tick() {
  // Each capture at its 30/s slot (late slots run at once, as a backlog of messages would).
  // At most WINDOW frames unpainted, as the relay's window holds a viewer that paints too
  // slowly: the page then runs at its own pace, in a steady state, and no backlog builds up.
  const due = Math.floor((performance.now() - started) / (1000 / 30));
  while (index <= due && stats.pushed - stats.painted - stats.failed < WINDOW) {
    for (const packed of captures[index % captures.length]) {
      const buffer = packed.slice().buffer; // a fresh ArrayBuffer, as onmessage gives
      new DataView(buffer).setUint32(4, seq++, true);
      const frame = frameKindOf(buffer) === 2 ? parseVideoFrame(buffer) : parseFrame(buffer);
      stats.pushed += 1;
      if (variant === "parse") { stats.painted += 1; continue; }
      if (decoder) {
        decoder.decode(frame).then(
          (image) => { image.close(); stats.painted += 1; },
          () => { stats.failed += 1; });
        continue;
      }
      painter.push(frame);
    }
    index += 1;
  }
  setTimeout(tick, Math.max(4, started + (index * 1000) / 30 - performance.now()));
}
tick();
</script></body></html>"""


def record(captures: int = 90, step_px: int = 12) -> list[list[bytes]]:
    """The wire frames of the motion content, capture by capture, from its first video key
    frame on (the tiles and video of a pan in steady state)."""
    import numpy as np

    from scripts.stream_bench.content import HEIGHT, WIDTH, _bgra, _photo
    from suite.screen.stream import ScreenStream, StreamOptions
    from suite.screen.video.hybrid import MotionVideo

    base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
    stream = ScreenStream(WIDTH, HEIGHT, StreamOptions(quality=70))
    stream.video = MotionVideo(WIDTH, HEIGHT, stream.options.tile_px)
    stream.video.set_codecs(["vp9"])
    out: list[list[bytes]] = []
    started = False
    for index in range(captures + 60):
        offset = (index * step_px) % WIDTH
        frame = np.ascontiguousarray(base[:, offset : offset + WIDTH])
        frames = [bytes(f) for f in stream.encode(frame, 1.7e12 + index * 1000 / 30)]
        # the high layer only (what a viewer on a fast link gets)
        frames = [f for f in frames if f[3] != 2 or f[30] == 0]
        key = any(f[3] == 2 and f[29] & 1 and f[30] == 0 for f in frames)
        started = started or key
        if started:
            out.append(frames)
        if len(out) == captures:
            break
    return out


def pack(captures: list[list[bytes]]) -> bytes:
    parts = []
    for frames in captures:
        parts.append(struct.pack("<I", len(frames)))
        for f in frames:
            parts.append(struct.pack("<I", len(f)) + f)
    return b"".join(parts)


class _Handler(http.server.SimpleHTTPRequestHandler):
    frames = b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        if path in ("/page.html", "/frames.bin"):
            body = PAGE.encode() if path == "/page.html" else self.frames
            self.send_response(200)
            self.send_header(
                "Content-Type", "text/html" if path == "/page.html" else "application/octet-stream"
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def serve(tree: Path, frames: bytes) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"frames": frames})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(tree))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _kind(process: psutil.Process) -> str:
    try:
        cmdline = " ".join(process.cmdline())
    except psutil.Error:
        return "other"
    if "--type=renderer" in cmdline:
        return "renderer"
    if "--type=gpu-process" in cmdline:
        return "gpu"
    if "--type=" not in cmdline:
        return "browser"
    return "other"


def _cpu_by_kind() -> dict[str, float]:
    spent = dict.fromkeys(PROCESS_KINDS, 0.0)
    for process in psutil.Process().children(recursive=True):
        try:
            if "chrom" not in process.name():
                continue
            times = process.cpu_times()
        except psutil.Error:
            continue
        spent[_kind(process)] += times.user + times.system
    return spent


def measure(
    browser: Any, url: str, seconds: float, size: tuple[int, int], throttle: float
) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    if throttle > 1:
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    page.goto(url)
    page.wait_for_function("() => window.stats && window.stats.ready", timeout=30000)
    time.sleep(2.0)  # warm up: the first key frame, the decoder's threads
    before_cpu, before = _cpu_by_kind(), page.evaluate("({...window.stats})")
    started = time.monotonic()
    time.sleep(seconds)
    after_cpu, after = _cpu_by_kind(), page.evaluate("({...window.stats})")
    elapsed = time.monotonic() - started
    context.close()
    frames = after["painted"] - before["painted"]
    row: dict[str, Any] = {
        kind: (after_cpu[kind] - before_cpu[kind]) * 1000 / max(frames, 1) for kind in PROCESS_KINDS
    }
    row["total"] = sum(row[kind] for kind in PROCESS_KINDS)
    row["fps"] = frames / elapsed
    row["% of a core"] = sum(after_cpu[k] - before_cpu[k] for k in PROCESS_KINDS) * 100 / elapsed
    row["failed"] = after["failed"] - before["failed"]
    return row


def format_rows(rows: dict[str, dict[str, Any]]) -> str:
    names = list(rows)
    lines = ["| ms of Chromium's process CPU per painted frame | " + " | ".join(names) + " |",
             "|---|" + "---:|" * len(names)]  # fmt: skip
    for key in (*PROCESS_KINDS, "total", "fps", "% of a core", "failed"):
        cells = [f"{rows[name][key]:.1f}" for name in names]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree", action="append", default=[], help="also serve this checkout's ui/"
    )
    parser.add_argument("--variants", default="paint")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--throttle", type=float, default=1.0, help="DevTools CPU throttling")
    parser.add_argument("--query", action="append", default=[],
                        help="a query string for this tree's page, e.g. layer=canvas (repeat: one "
                        "row each)")  # fmt: skip
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    frames = pack(record())
    trees = {"this tree": ROOT, **{tree: Path(tree).resolve() for tree in args.tree}}
    servers = {name: serve(path, frames) for name, path in trees.items()}
    rows: dict[str, dict[str, Any]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        for round_ in range(args.rounds):
            for variant in args.variants.split(","):
                runs = [(name, query) for name in servers for query in
                        (args.query or [""] if name == "this tree" else [""])]  # fmt: skip
                for name, query in runs:
                    port = servers[name].server_address[1]
                    url = f"http://127.0.0.1:{port}/page.html?variant={variant}&{query}"
                    label = " ".join(filter(None, [name, variant, query]))
                    label += f" r{round_ + 1}" if args.rounds > 1 else ""
                    rows[label] = measure(browser, url, args.seconds, (args.width, args.height),
                                          args.throttle)  # fmt: skip
                    print(label, {k: round(v, 1) for k, v in rows[label].items()}, flush=True)
        browser.close()
    print(f"\nload average {os.getloadavg()[0]:.1f}\n")
    print(format_rows(rows))


if __name__ == "__main__":
    main()
