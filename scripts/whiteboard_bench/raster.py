"""Where a full redraw of the 2,000-element board goes, and which raster path Chromium takes
(`python -m scripts.whiteboard_bench.raster`): the renderer's `drawElements` on a bare page
(ui/common/whiteboard/renderer.js served from this checkout on 127.0.0.1), the board of
`bench_whiteboard.py` (its FILL_BOARD geometry), at DPR 1 and 2 on the agent page's canvas size,
for each set of Chromium flags (the tests' and the benchmark's `--disable-gpu`, headless as it
comes, a GPU canvas forced onto SwiftShader) and each 2D context attribute tried. Per frame:
the time to issue the calls (path building, JS), the time to make the pixels (a 1-pixel read
of the canvas: Skia rasterises then; a 1-pixel copy into another canvas, as the painter makes
its pixels, does not wait for a GPU canvas's raster), and the canvas's bytes against the
tests' path (a hash of the whole canvas). Chromium moves a GPU canvas read back often to the
CPU unless it was made with willReadFrequently:false: its other rows are the software path.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
CANVAS_CSS = (577, 763)  # the agent page's whiteboard canvas at 1920x1080 (CSS px)

FLAGS = {
    "tests (--disable-gpu)": CHROMIUM_ARGS,
    "headless as it comes": [a for a in CHROMIUM_ARGS if a != "--disable-gpu"],
    "GPU canvas on SwiftShader": [
        *(a for a in CHROMIUM_ARGS if a != "--disable-gpu"),
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--ignore-gpu-blocklist",
        "--enable-gpu-rasterization",
    ],
}
ATTRIBUTES = {
    "default": {},
    "alpha:false": {"alpha": False},
    "desynchronized": {"desynchronized": True},
    "willReadFrequently:false": {"willReadFrequently": False},
    "willReadFrequently:true": {"willReadFrequently": True},
}

PAGE = """<!doctype html><html><body style="margin:0"><script type="module">
import { drawElements } from '/ui/common/whiteboard/renderer.js';
const kinds = ['pen', 'line', 'rectangle', 'ellipse', 'text'];
const board = [];
for (let i = 0; i < 2000; i += 1) {
  const kind = kinds[i % 5];
  const x = (i * 37) % 1200, y = (i * 53) % 680;
  const e = { id: `bench${i}`, kind, z: i, color: '#2563eb', width: 1 + (i % 6) };
  const zigzag = (_, k) => [x + k * 3, y + ((k * 7) % 11)];
  if (kind === 'pen') e.points = Array.from({ length: 20 }, zigzag);
  else if (kind === 'line') e.points = [[x, y], [x + 60, y + 25]];
  else {
    Object.assign(e, { x, y, w: 50, h: 30 });
    if (kind === 'text') Object.assign(e, { text: '견적 ' + i, size: 16 });
  }
  board.push(e);
}
window.frames_ = async ({ ratio, attributes, rounds, width, height }) => {
  const canvas = document.createElement('canvas');
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  document.body.appendChild(canvas);
  const ctx = canvas.getContext('2d', attributes);
  const calls = [], raster = [];
  for (let r = 0; r < rounds; r += 1) {
    await new Promise((ok) => requestAnimationFrame(ok));
    const t0 = performance.now();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    drawElements(ctx, board, null, [0, 0, width, height]);
    const t1 = performance.now();
    ctx.getImageData(0, 0, 1, 1); // waits for the raster, also a GPU canvas's
    calls.push(t1 - t0);
    raster.push(performance.now() - t1);
  }
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 0;
  for (let i = 0; i < d.length; i += 1) hash = (hash * 31 + d[i]) | 0;
  canvas.remove();
  return { calls, raster, hash };
};
window.renderer_ = () => {
  const gl = document.createElement('canvas').getContext('webgl');
  const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
  return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl ? 'webgl' : 'no webgl';
};
window.ready_ = true;
</script></body></html>"""


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/raster.html":
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


_Files.extensions_map[".js"] = "text/javascript"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="frames per turn")
    parser.add_argument("--turns", type=int, default=3, help="turns over the attributes")
    args = parser.parse_args()
    handler = functools.partial(_Files, directory=str(REPO_ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/raster.html"
    width, height = CANVAS_CSS
    reference: dict[int, int] = {}
    print("flags / attributes / DPR: issue the calls, make the pixels (median, min), bytes")
    with sync_playwright() as playwright:
        for name, flags in FLAGS.items():
            browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=flags)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.wait_for_function("() => window.ready_ === true")
            print(f"{name}: WebGL on {page.evaluate('() => window.renderer_()')}")
            got: dict[tuple[str, int], dict[str, list]] = {}
            for _turn in range(args.turns):
                for label, attributes in ATTRIBUTES.items():
                    for ratio in (1, 2):
                        one = page.evaluate(
                            "(a) => window.frames_(a)",
                            {"ratio": ratio, "attributes": attributes, "rounds": args.rounds,
                             "width": width, "height": height},
                        )  # fmt: skip
                        empty: dict[str, list] = {"calls": [], "raster": [], "hash": []}
                        into = got.setdefault((label, ratio), empty)
                        into["calls"] += one["calls"]
                        into["raster"] += one["raster"]
                        into["hash"].append(one["hash"])
            for (label, ratio), runs in got.items():
                reference.setdefault(ratio, runs["hash"][0])
                same = set(runs["hash"]) == {reference[ratio]}
                total = [c + r for c, r in zip(runs["calls"], runs["raster"], strict=True)]
                print(
                    f"  {label:26s} DPR {ratio}: calls {statistics.median(runs['calls']):5.1f} ms,"
                    f" pixels {statistics.median(runs['raster']):6.1f} ms"
                    f" (min {min(runs['raster']):5.1f}), total {statistics.median(total):6.1f}"
                    f" (min {min(total):5.1f}) ms; bytes"
                    f" {'as the tests' if same else 'DIFFER from the tests'}"
                )
            browser.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
