"""The high layer's VP9 encode at libvpx's real-time speeds: FFmpeg's path (cpu-used 8, the
most FFmpeg 8.1 accepts) against libvpx driven directly (``suite.screen.video.libvpx``) at 8
and 9 (libvpx clamps 10 to 9), in process CPU time (all the encoder's threads).

The frames are the benchmark's motion content as :mod:`scripts.stream_bench.frame_cpu` makes
them (the grainy 1080p photo panning ``step_px`` a capture), converted to I420 at 1280x720
once, before timing (the same pictures for every configuration). Each round runs every
configuration on a fresh encoder, one after the other, so that a loaded machine slows them
alike; the first ``warmup`` frames (the key frame, the rate control settling) are not counted.
PSNR is against the screen: the decoded 720p picture scaled back to 1080p (BT.709) and
compared with the BGRA capture, as docs/performance.md's earlier tables did.

Run: ``.venv/bin/python -m scripts.stream_bench.vp9_speed [--rounds 3] [--step-px 12 6]``
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np

from scripts.stream_bench.content import HEIGHT, WIDTH, _bgra, _photo

CODED = (1280, 720)
CONFIGS = ("ffmpeg 8", "libvpx 8", "libvpx 9")


def _encoder(name: str, bitrate: int) -> Any:
    from suite.screen.video.encoder import VideoEncoder
    from suite.screen.video.libvpx import Vp9Encoder
    from suite.screen.video_frame import VideoCodec

    if name == "ffmpeg 8":
        return VideoEncoder(VideoCodec.VP9, WIDTH, HEIGHT, *CODED, bitrate)
    return Vp9Encoder(WIDTH, HEIGHT, *CODED, bitrate, speed=int(name.split()[1]))


def _psnr(decoded: list[av.VideoFrame], screens: list[np.ndarray]) -> float:
    errors = []
    for picture, screen in zip(decoded, screens, strict=True):
        back = picture.reformat(width=WIDTH, height=HEIGHT, format="bgra",
                                src_colorspace=av.video.reformatter.Colorspace.ITU709)  # fmt: skip
        diff = back.to_ndarray()[..., :3].astype(np.int32) - screen[..., :3]
        errors.append(float(np.mean(diff * diff)))
    mse = statistics.fmean(errors)
    return 10 * math.log10(255**2 / mse) if mse else math.inf


def run(name: str, pictures: list[av.VideoFrame], screens: list[np.ndarray], warmup: int,
        bitrate: int, psnr: bool) -> dict[str, float]:  # fmt: skip
    encoder = _encoder(name, bitrate)
    decoder: Any = av.CodecContext.create("vp9", "r")
    spent, size, decoded = 0.0, 0, []
    for index, picture in enumerate(pictures):
        started = time.process_time()
        payload, _ = encoder.encode(picture, index * 1000 / 30)
        if index >= warmup:
            spent += time.process_time() - started
            size += len(payload)
        if psnr and payload:
            frames = decoder.decode(av.Packet(payload))
            if index >= warmup:
                decoded += frames
    counted = len(pictures) - warmup
    row = {"cpu ms": spent * 1000 / counted, "kB": size / counted / 1000}
    if psnr:
        row["dB"] = _psnr(decoded, screens[warmup:])
    return row


def vp9_speed(step_px: int, rounds: int, frames: int, warmup: int,
              bitrate: int, psnr_every: int) -> dict[str, list[dict[str, float]]]:  # fmt: skip
    from suite.screen.video.encoder import to_yuv
    from suite.screen.video_frame import VideoCodec

    base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
    screens = [np.ascontiguousarray(base[:, (i * step_px) % WIDTH :][:, :WIDTH])
               for i in range(frames)]  # fmt: skip
    pictures = [to_yuv(screen, VideoCodec.VP9, CODED) for screen in screens]
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
    for index in range(rounds):
        for name in CONFIGS:
            psnr = index % psnr_every == 0
            rows[name].append(run(name, pictures, screens, warmup, bitrate, psnr))
    return rows


def format_rows(step_px: int, rows: dict[str, list[dict[str, float]]]) -> str:
    base = statistics.median(row["cpu ms"] for row in rows[CONFIGS[0]])
    lines = [f"| {step_px} px a capture | CPU ms a frame, rounds | median | vs ffmpeg 8 | kB a "
             "frame | dB against the screen |", "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, runs in rows.items():
        cpu = [row["cpu ms"] for row in runs]
        median = statistics.median(cpu)
        kb = statistics.fmean(row["kB"] for row in runs)
        db = [row["dB"] for row in runs if "dB" in row]
        lines.append(
            f"| {name} | {' / '.join(f'{value:.1f}' for value in cpu)} | {median:.1f} | "
            f"{(median / base - 1) * 100:+.0f} % | {kb:.1f} | "
            f"{' / '.join(f'{value:.2f}' for value in db)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=70)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--bitrate", type=int, default=None, help="bit/s (default: hybrid.HIGH_BITRATE_BPS)"
    )
    parser.add_argument("--step-px", type=int, nargs="+", default=[12, 6])
    parser.add_argument("--psnr-every", type=int, default=1, help="PSNR every n-th round")
    args = parser.parse_args(argv)
    import os

    from suite.screen.video.hybrid import HIGH_BITRATE_BPS

    bitrate = args.bitrate or HIGH_BITRATE_BPS
    out(f"high layer at {bitrate / 1e6:g} Mbit/s, coded {CODED[0]}x{CODED[1]}")
    out(f"load average {os.getloadavg()[0]:.1f} at the start")
    for step in args.step_px:
        rows = vp9_speed(step, args.rounds, args.frames, args.warmup, bitrate,
                         args.psnr_every)  # fmt: skip
        out(format_rows(step, rows))
    out(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
