"""The report of scripts/bench_stream.py: the machine it ran on and the results as a Markdown
table (docs/performance.md keeps them)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil


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
        if "slide_bytes" in r:
            notes.append(f"a slide change: {r['slide_bytes'] / 1000:.0f} kB, first picture "
                         f"{r['slide_first_picture_ms']:.0f} ms, last frame "
                         f"{r['slide_last_frame_ms']:.0f} ms (median of "
                         f"{r['slide_changes']})")  # fmt: skip
        if "slide_text_exact" in r:
            notes.append(f"settled: text exact {r['slide_text_exact']}, photo "
                         f"{r['slide_photo_psnr_db']:.1f} dB")  # fmt: skip
        if "throttled_fps" in r:
            notes.append(f"throttled viewer: {r['throttled_fps']:.1f} fps, "
                         f"{r['throttled_bytes_per_s'] / 1000:.0f} kB/s, "
                         f"p50 {r['throttled_latency_p50_ms']:.0f} ms")  # fmt: skip
        if r.get("load_average") is not None:
            notes.append(f"load average {r['load_average']:.1f}")
        if r.get("video_frames_per_s"):
            notes.append(f"{r['video_frames_per_s']:.1f} video frames/s")
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
