"""The presenter's own cost per capture, in-process, without the rest of the machine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from scripts.stream_bench.content import (
    HEIGHT,
    QUALITY,
    WIDTH,
    DocumentScene,
    _bgra,
    _photo,
    render_slides,
)


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
