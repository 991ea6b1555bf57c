"""CPU per 1080p motion capture, stage by stage, in process CPU time (all threads).

The presenter's real pipeline (``ScreenStream`` with ``MotionVideo``, real VP9) on the
benchmark's motion content (a grainy photo panning ``step_px`` a capture: 12 by default, as
the benchmark's painter moves it 6 px at 60 frames/s and the presenter captures at 30; VP9's
encode costs more the further the picture moves), with its stages timed by
``time.process_time()``: the CPU the process spent, whatever else the machine runs, so the
numbers hold on a loaded machine where wall-clock times do not. The stages are timed by
wrapping the functions the pipeline calls (this script only; nothing in the product changes):

- ``grab``: mss's XShm grab of the screen (on ``$DISPLAY``; skipped without one);
- ``diff``: the tile diff (``changed_tiles_in``);
- ``BGRA to I420``: the capture's conversion, scaled to the high layer's coded size;
- ``encode high``: the VP9 encode of the high layer (libvpx directly at speed 9, as the
  presenter does where the binding loads; ``--ffmpeg``: FFmpeg's encoder at cpu-used 8);
- ``rest of encode``: ``ScreenStream.encode`` minus the three above (motion tracking, grids,
  the tile path around the video region, the refresh's bookkeeping);
- ``framing``: ``bytes()`` of each frame, as the presenter sends them.

Run: ``.venv/bin/python -m scripts.stream_bench.frame_cpu [--tree CHECKOUT] [--captures N]``
(``--tree``: time another checkout's pipeline, e.g. main's, for a before/after in one run).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

STAGES = ("grab", "diff", "BGRA to I420", "encode high", "rest of encode", "framing")


def _timed(spent: dict[str, float], stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.process_time() - started

    return wrapper


def frame_cpu(
    captures: int = 150, warmup: int = 10, step_px: int = 12, ffmpeg: bool = False
) -> dict[str, Any]:
    """Mean ms of process CPU per capture for each stage, and the stream's bytes per capture.

    Imports the pipeline from whatever ``suite`` is first on ``sys.path``.
    """
    from scripts.stream_bench.content import HEIGHT, WIDTH, _bgra, _photo

    stream_mod = importlib.import_module("suite.screen.stream")
    hybrid = importlib.import_module("suite.screen.video.hybrid")
    encoder_mod = importlib.import_module("suite.screen.video.encoder")
    spent = dict.fromkeys(STAGES, 0.0)
    stream_mod.changed_tiles_in = _timed(spent, "diff", stream_mod.changed_tiles_in)
    hybrid.to_yuv = _timed(spent, "BGRA to I420", hybrid.to_yuv)
    encoder_cls = encoder_mod.VideoEncoder
    encoder_cls.encode = _timed(spent, "encode high", encoder_cls.encode)
    # The presenter's encoders: libvpx directly at speed 9 where this tree has the binding
    # (older trees, or ffmpeg=True: FFmpeg's encoder at cpu-used 8).
    options: dict[str, Any] = {}
    try:
        libvpx = importlib.import_module("suite.screen.video.libvpx")
    except ImportError:
        libvpx = None
    if libvpx is not None and not ffmpeg:
        libvpx.Vp9Encoder.encode = _timed(spent, "encode high", libvpx.Vp9Encoder.encode)
        options["make_encoder"] = libvpx.encoder_factory()

    base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
    frames = [np.ascontiguousarray(base[:, (i * step_px) % WIDTH :][:, :WIDTH]) for i in range(120)]
    grabber = None
    if os.environ.get("DISPLAY"):
        import mss

        grabber = mss.MSS()
    stream = stream_mod.ScreenStream(WIDTH, HEIGHT, stream_mod.StreamOptions(quality=70))
    stream.video = hybrid.MotionVideo(WIDTH, HEIGHT, stream.options.tile_px, **options)
    stream.video.set_codecs(["vp9"])
    sent = 0
    total = 0.0
    for index in range(captures + warmup):
        if index == warmup:
            spent.update(dict.fromkeys(STAGES, 0.0))
            sent, total = 0, 0.0
        if grabber is not None:
            started = time.process_time()
            grabber.grab(grabber.monitors[1])
            spent["grab"] += time.process_time() - started
        frame = frames[index % len(frames)].copy()  # the grab's fresh array
        started = time.process_time()
        out = stream.encode(frame, index * 1000 / 30)
        total += time.process_time() - started
        started = time.process_time()
        sent += sum(len(bytes(region)) for region in out)
        spent["framing"] += time.process_time() - started
    inner = spent["diff"] + spent["BGRA to I420"] + spent["encode high"]
    spent["rest of encode"] = total - inner
    row: dict[str, Any] = {stage: spent[stage] * 1000 / captures for stage in STAGES}
    row["total"] = sum(row[stage] for stage in STAGES)
    row["kB per capture"] = sent / captures / 1000
    row["video frames"] = stream.video.stats.frames
    if grabber is not None:
        grabber.close()
    return row


def format_frame_cpu(rows: dict[str, dict[str, Any]]) -> str:
    names = list(rows)
    lines = ["| stage (ms of process CPU per capture) | " + " | ".join(names) + " |",
             "|---|" + "---:|" * len(names)]  # fmt: skip
    for stage in (*STAGES, "total", "kB per capture"):
        cells = [f"{rows[name][stage]:.1f}" for name in names]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", help="time this checkout's pipeline instead of this one's")
    parser.add_argument("--captures", type=int, default=150)
    parser.add_argument("--step-px", type=int, default=12, help="the pan's move per capture")
    parser.add_argument("--label", default=None)
    parser.add_argument("--ffmpeg", action="store_true", help="FFmpeg's encoder (cpu-used 8)")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.abspath(args.tree) if args.tree else root)
    if args.tree:
        sys.path.insert(1, root)  # this tree's scripts/ (the content), after the other suite
    label = args.label or (args.tree or "this tree")
    row = frame_cpu(args.captures, step_px=args.step_px, ffmpeg=args.ffmpeg)
    print(format_frame_cpu({label: row}))


if __name__ == "__main__":
    main()
