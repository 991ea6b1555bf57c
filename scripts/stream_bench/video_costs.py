"""Where a video capture's milliseconds go, step by step, in-process (no X, no browser).

The motion content (a photo panning 6 px a frame at 1920x1080) through the presenter's video
steps: BGRA to I420 once per capture, each layer's scale of that picture, each layer's VP9
encode; with this tree's layer sizes ("after") and the earlier ones ("before": the high layer
coded at full size, the low at half the side, every other capture). Each configuration gets
the same frames, interleaved, so a busy machine slows both alike. The encoders are the
presenter's (``libvpx.encoder_factory``: libvpx directly at speed 9 where it loads, FFmpeg's
at cpu-used 8 otherwise), at the presenter's bitrates; wall-clock ms, so a loaded machine
inflates them (``frame_cpu`` and ``vp9_speed`` time process CPU).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from scripts.stream_bench.content import HEIGHT, WIDTH, _bgra, _photo

# (name, high coded size, low coded size, low layer every n captures)
CONFIGS: dict[str, tuple[tuple[int, int], tuple[int, int], int]] = {
    "before": ((WIDTH, HEIGHT), (WIDTH // 2, HEIGHT // 2), 2),
    "after": ((1280, 720), (480, 270), 2),
}


def video_costs(captures: int = 90) -> list[dict[str, Any]]:
    """Median ms of each step and bytes per frame per layer, for each configuration."""
    from suite.screen.video.encoder import to_yuv
    from suite.screen.video.hybrid import HIGH_BITRATE_BPS, LOW_BITRATE_BPS
    from suite.screen.video.libvpx import encoder_factory
    from suite.screen.video_frame import VideoCodec

    make = encoder_factory()

    base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
    frames = [np.ascontiguousarray(base[:, (i * 6) % WIDTH :][:, :WIDTH]) for i in range(60)]
    encoders = {}
    for name, (high, low, _) in CONFIGS.items():
        low_bps = 500_000 if name == "before" else LOW_BITRATE_BPS
        encoders[name] = (
            make(VideoCodec.VP9, WIDTH, HEIGHT, *high, HIGH_BITRATE_BPS),
            make(VideoCodec.VP9, WIDTH, HEIGHT, *low, low_bps),
        )
    steps: dict[str, dict[str, list[float]]] = {name: {} for name in CONFIGS}

    def note(name: str, step: str, started: float) -> None:
        steps[name].setdefault(step, []).append((time.perf_counter() - started) * 1000)

    for index in range(captures):
        frame = frames[index % len(frames)]
        for name, (high_size, low_size, low_every) in CONFIGS.items():
            started = time.perf_counter()
            picture = to_yuv(frame, VideoCodec.VP9)
            note(name, "BGRA to I420", started)
            layers = (("high", high_size, encoders[name][0]), ("low", low_size, encoders[name][1]))
            for layer, size, encoder in layers:
                if layer == "low" and index % low_every:
                    continue
                scaled = picture
                if size != (WIDTH, HEIGHT):
                    started = time.perf_counter()
                    scaled = picture.reformat(width=size[0], height=size[1])
                    note(name, f"scale to {layer}", started)
                started = time.perf_counter()
                payload, _ = encoder.encode(scaled, index * 33.3)
                note(name, f"encode {layer}", started)
                steps[name].setdefault(f"{layer} kB", []).append(len(payload) / 1000)
    out = []
    for name, (high_size, low_size, low_every) in CONFIGS.items():
        row: dict[str, Any] = {"config": name, "high": high_size, "low": low_size}
        for step, values in steps[name].items():
            row[step] = float(np.median(values[5:]))  # after the key frames
        per_capture = sum(
            row[k] / (low_every if "low" in k else 1)
            for k in row if k.startswith(("BGRA", "scale", "encode"))
        )  # fmt: skip
        row["ms per capture"] = per_capture
        out.append(row)
    return out


def format_video_costs(rows: list[dict[str, Any]]) -> str:
    keys = ["BGRA to I420", "scale to high", "encode high", "scale to low", "encode low",
            "ms per capture", "high kB", "low kB"]  # fmt: skip
    lines = ["| config | high / low coded | " + " | ".join(keys) + " |",
             "|---|---|" + "---|" * len(keys)]  # fmt: skip
    for row in rows:
        size = f"{row['high'][0]}x{row['high'][1]} / {row['low'][0]}x{row['low'][1]}"
        cells = [f"{row[k]:.1f}" if k in row else "-" for k in keys]
        lines.append(f"| {row['config']} | {size} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    print(format_video_costs(video_costs()))
