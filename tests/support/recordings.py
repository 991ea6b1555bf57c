"""Recordings (P9) under test: office-like screens to paint, ffprobe and PyAV read-backs."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw

from tests.support.api import Api

RECORD_W, RECORD_H = 1920, 1080
# ffmpeg writes "MM:SS.mmm" under an hour and "HH:MM:SS.mmm" beyond.
CUE_RE = re.compile(r"(?:(\d+):)?(\d\d):(\d\d)\.(\d{3}) --> (?:(\d+):)?(\d\d):(\d\d)\.(\d{3})")


def office_screen(seed: int, typed: str = "") -> np.ndarray:
    """A BGRA 1920x1080 "slide": a title bar, bullet lines of text, a chart block, and
    ``typed`` as the line being typed (the office work the recording must keep readable)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (RECORD_W, RECORD_H), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, RECORD_W, 90), fill=(30, 64, 120))
    draw.text((40, 30), f"Quarterly review {seed}", fill=(255, 255, 255))
    for line in range(24):
        words = " ".join("".join(rng.choice(list("abcdefghijklmnopqrst"), 7)) for _ in range(8))
        draw.text((60, 130 + line * 22), f"- {words}", fill=(20, 20, 20))
    for bar in range(8):
        height = int(rng.integers(60, 380))
        draw.rectangle((1200 + bar * 80, 700 - height, 1250 + bar * 80, 700), fill=(40, 120, 200))
    draw.text((60, 720), typed, fill=(0, 0, 0))
    rgb = np.asarray(image)
    bgra = np.empty((RECORD_H, RECORD_W, 4), np.uint8)
    bgra[..., :3] = rgb[..., ::-1]
    bgra[..., 3] = 255
    return bgra


def set_recording_policy(relay_url: str, admin_token: str, policy: str) -> None:
    """The admin's ``recording.policy`` through the options API."""
    status, body, _ = Api(relay_url).request(
        "PUT", "/api/admin/options", json={"values": {"recording.policy": policy}},
        token=admin_token,
    )  # fmt: skip
    assert status == 200, body


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's streams (with counted frames) and format of ``path``."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format",
         "-of", "json", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def decodes_cleanly(path: Path) -> str:
    """ffmpeg decodes every packet of ``path``; returns its error output ("" when clean)."""
    result = subprocess.run(
        # Frames in the demuxer's own time base, passed through: the recording's frame rate is
        # variable, and ffmpeg's default conversion to a guessed constant rate put two frames
        # a millisecond apart on one tick ("non monotonically increasing dts" from the null
        # muxer, not from decoding; seen after a stop right behind a frame).
        ["ffmpeg", "-v", "error", "-i", str(path), "-enc_time_base", "-1",
         "-fps_mode", "passthrough", "-f", "null", "-"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return result.stderr.strip() if result.returncode == 0 else f"exit {result.returncode}"


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def subtitle_cues(path: Path) -> list[Cue]:
    """The WebVTT cues of the file's subtitle track, as ffmpeg extracts them."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "webvtt", "-"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    cues = []
    blocks = result.stdout.replace("\r", "").split("\n\n")
    for block in blocks:
        lines = block.strip().split("\n")
        for index, line in enumerate(lines):
            found = CUE_RE.search(line)
            if found:
                g = [int(v or 0) for v in found.groups()]
                start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
                end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
                cues.append(Cue(start, end, "\n".join(lines[index + 1 :])))
                break
    return cues


def video_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """Every decoded video frame of ``path``: (seconds, RGB array)."""
    frames = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            frames.append((float(frame.pts * stream.time_base), frame.to_ndarray(format="rgb24")))
    return frames


def started_at(path: Path) -> float:
    """The recording's time 0 on the wall clock (its ``started_at`` tag)."""
    with av.open(str(path)) as container:
        tags = {key.lower(): value for key, value in container.metadata.items()}
    return float(tags["started_at"])


AUDIO_RATE = 48000


def audio_samples(path: Path) -> np.ndarray:
    """The file's audio track decoded as 48 kHz mono floats from the recording's time 0
    (Opus's pre-skip left out)."""
    chunks = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            chunks.append(frame.to_ndarray().reshape(-1, frame.samples).mean(axis=0))
    return np.concatenate(chunks) if chunks else np.zeros(0)


def loudness(samples: np.ndarray, start_s: float, end_s: float) -> float:
    """The RMS level of ``samples`` (48 kHz floats) between two times of the recording."""
    part = samples[int(start_s * AUDIO_RATE) : int(end_s * AUDIO_RATE)]
    return float(np.sqrt(np.mean(np.square(part)))) if len(part) else 0.0


def tone_pcm(start_sample: int, count: int, hz: float = 440.0, level: float = 0.3) -> bytes:
    """A sine tone as 48 kHz mono s16le PCM (what the agent app's page sends of a call)."""
    t = np.arange(start_sample, start_sample + count) / AUDIO_RATE
    return (np.sin(2 * np.pi * hz * t) * level * 32767).astype("<i2").tobytes()
