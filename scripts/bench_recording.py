#!/usr/bin/env python3
"""Measure recording (P9) at 1920x1080: its cost to the stream, its CPU, its bytes per hour.

In one process, as in the presenter child, on the office screens of tests/support/recordings.py
(a slide with bullet text and a chart; a line being typed):

1. The stream's encode rate (``ScreenStream.encode`` of a changing screen, as fast as it
   goes) for ``--seconds`` without a recorder, then with the recorder fed every frame as the
   presenter's tap does: the cost of recording to the stream, in frames/s.
2. Office work on a simulated clock: typing 3 characters a second, a new slide every 30 s,
   for ``--minutes``; the recorder writes at most 5 frames/s. Its encode time per simulated
   second is its CPU share of one core; the file's size extrapolates to an hour.

    scripts/bench_recording.py [--seconds 8] [--minutes 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from suite.recording.recorder import Recorder  # noqa: E402
from suite.screen.stream import ScreenStream, StreamOptions  # noqa: E402
from tests.support.recordings import RECORD_H, RECORD_W, office_screen  # noqa: E402

TEXT = "Thank you for your time today. Here is the offer we discussed, with the prices. " * 4


FRAMES = [office_screen(1, TEXT[:n]) for n in range(1, 41)]


def stream_fps(seconds: float, recorder: Recorder | None, pace_fps: float | None) -> float:
    """Frames/s the stream encodes of a screen where a line is typed, one character a frame,
    as fast as it can or at most ``pace_fps`` (as the relay's credits pace the presenter)."""
    frames = FRAMES
    stream = ScreenStream(RECORD_W, RECORD_H, StreamOptions())
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        if pace_fps is not None:
            due = start + count / pace_fps
            if due > time.perf_counter():
                time.sleep(due - time.perf_counter())
        frame = frames[count % len(frames)]
        changed = bool(stream.encode(frame, time.time() * 1000))
        if recorder is not None:
            recorder.offer(frame, changed)
        count += 1
    return count / (time.perf_counter() - start)


class SimClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def office_hour(minutes: float, folder: Path) -> dict[str, float]:
    """Record ``minutes`` of office work on a simulated clock; returns the measurements."""
    clock = SimClock()
    recorder = Recorder(folder / "office.webm", {"title": "bench"}, clock=clock)
    step_s, typed, slide = 0.2, 0, 1
    screens: dict[tuple[int, int], object] = {}
    cpu_start = time.process_time()
    seconds = 0.0
    while seconds < minutes * 60:
        if int(seconds) % 30 == 0 and seconds % 30 < step_s:
            slide, typed = slide + 1, 0
        typed = min(len(TEXT), typed + round(3 * step_s)) if seconds % 30 > 5 else typed
        key = (slide, typed)
        if key not in screens:
            screens = {key: office_screen(slide, TEXT[:typed])}  # keep one: 8 MB each
        recorder.offer(screens[key], True)  # type: ignore[arg-type]
        while recorder._pending is not None:  # noqa: SLF001 - wait for the encoder, not the clock
            time.sleep(0.001)
        clock.now += step_s
        seconds += step_s
    recorder.stop()
    cpu_s = time.process_time() - cpu_start
    size = (folder / "office.webm").stat().st_size
    return {
        "simulated_s": seconds,
        "frames": recorder.frames,
        "encode_s": recorder.encode_s,
        "encode_cpu_s": recorder.encode_cpu_s,
        "cpu_share_one_core": recorder.encode_cpu_s / seconds,
        "process_cpu_s": cpu_s,
        "bytes": size,
        "mb_per_hour": size / seconds * 3600 / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        load_before = os.getloadavg()[0]
        results = {}
        for pace in (None, 30.0):
            results[pace, False] = stream_fps(args.seconds, None, pace)
            recorder = Recorder(folder / "stream.webm", {"title": "bench"})
            results[pace, True] = stream_fps(args.seconds, recorder, pace)
            recorder.stop()
            (folder / "stream.webm").unlink()
        without, with_recording = results[None, False], results[None, True]
        paced, paced_recording = results[30.0, False], results[30.0, True]
        office = office_hour(args.minutes, folder)
        load_after = os.getloadavg()[0]
    cost = 1 - with_recording / without
    paced_cost = 1 - paced_recording / paced
    rows = [
        ("stream flat out, no recording", f"{without:.1f} frames/s"),
        ("stream flat out, recording", f"{with_recording:.1f} frames/s ({cost:.0%} less)"),
        ("stream paced at 30, no recording", f"{paced:.1f} frames/s"),
        (
            "stream paced at 30, recording",
            f"{paced_recording:.1f} frames/s ({paced_cost:.0%} less; goal <= 10 %)",
        ),
        ("recorder frames (office work)", f"{office['frames']} in {office['simulated_s']:.0f} s"),
        ("recorder CPU", f"{office['cpu_share_one_core']:.1%} of one core (goal <= 25 %)"),
        (
            "encode per frame (CPU)",
            f"{office['encode_cpu_s'] / max(1, office['frames']) * 1000:.1f} ms "
            f"(wall {office['encode_s'] / max(1, office['frames']) * 1000:.1f} ms)",
        ),
        ("size", f"{office['mb_per_hour']:.1f} MB/hour (goal <= 150)"),
        ("load average", f"{load_before:.2f} before, {load_after:.2f} after (2 cores)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps({
            "stream_fps": without, "stream_fps_recording": with_recording, "cost": cost,
            "paced_fps": paced, "paced_fps_recording": paced_recording, "paced_cost": paced_cost,
            **office, "load_before": load_before, "load_after": load_after,
        }, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
