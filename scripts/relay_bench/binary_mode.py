"""Binary mode: region frames presenter -> relay -> viewer on one session's screen channel."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from scripts.relay_bench.http_setup import Pair, create_pairs
from scripts.relay_bench.participants import open_participant
from scripts.relay_bench.relay_process import Relay, profiled
from scripts.relay_bench.table import Row

logger = logging.getLogger("bench_relay")

BINARY_FRAME_BYTES = 200_000
BINARY_STALL_S = 2.0
# The screen channel's region-frame header (docs/protocol.md, "Screen channel"): magic,
# version, kind, seq, capture_ms, x, y, w, h, screen_w, screen_h, encoding, flags, reserved.
SCREEN_HEADER = struct.Struct("<2sBBIdHHHHHHBBH")
SCREEN_W, SCREEN_H = 1920, 1080
SCREEN_KEY_FRAME = 0b10
SCREEN_JPEG = 1


def screen_frame(seq: int, body: bytes) -> bytes:
    """A full-screen region frame: the header, then `body` standing in for the JPEG."""
    header = SCREEN_HEADER.pack(
        b"RS",
        1,
        1,
        seq,
        time.time() * 1000,
        0,
        0,
        SCREEN_W,
        SCREEN_H,
        SCREEN_W,
        SCREEN_H,
        SCREEN_JPEG,
        SCREEN_KEY_FRAME,
        0,
    )
    return header + body


GOAL_BINARY_MB_S = 50.0


@dataclass
class BinaryResult:
    frames_sent: int
    frames_received: int
    bytes_received: int
    seconds: float
    stalls: int

    @property
    def mb_per_s(self) -> float:
        return self.bytes_received / self.seconds / 1e6 if self.seconds else 0.0


async def forward_binary(
    ws_url: str, pair: Pair, seconds: float, frame_bytes: int, window: int
) -> BinaryResult:
    """Send frames presenter -> relay -> viewer for `seconds` with <= `window` in flight.

    The viewer acknowledges every frame as soon as it arrives (`screen_ack`, no painting), so
    the relay's per-viewer window never holds it back; the presenter keeps at most `window`
    frames unseen by the viewer (both ends live in this process). Frames the relay drops
    (latest wins) are counted as not forwarded.
    """
    viewer, _ = await open_participant(
        ws_url, "customer", pair.session_id, pair.customer_token, channel="screen"
    )
    presenter, _ = await open_participant(
        ws_url, "agent", pair.session_id, pair.agent_token, channel="screen"
    )
    await presenter.send(
        json.dumps({"type": "present_start", "screen_w": SCREEN_W, "screen_h": SCREEN_H})
    )
    body = os.urandom(frame_bytes - SCREEN_HEADER.size)
    highest = 0
    received = received_bytes = 0
    last_arrival = 0.0
    progress = asyncio.Event()

    async def view() -> None:
        nonlocal highest, received, received_bytes, last_arrival
        with contextlib.suppress(ConnectionClosed):
            async for frame in viewer:
                if not isinstance(frame, bytes):
                    continue  # screen_state, cursor: not what is measured here
                last_arrival = time.monotonic()
                received += 1
                received_bytes += len(frame)
                seq = SCREEN_HEADER.unpack_from(frame)[3]
                highest = max(highest, seq)
                await viewer.send(json.dumps({"type": "screen_ack", "seq": seq}))
                progress.set()

    viewing = asyncio.create_task(view())
    sent = stalls = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            # Frames the relay dropped never arrive: count in-flight from the highest seen.
            while sent - highest >= window:
                progress.clear()
                try:
                    await asyncio.wait_for(progress.wait(), BINARY_STALL_S)
                except TimeoutError:
                    stalls += 1
                    highest = sent  # give up on what is in flight
            sent += 1
            await presenter.send(screen_frame(sent, body))
        deadline = time.monotonic() + BINARY_STALL_S
        while highest < sent and time.monotonic() < deadline:
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), deadline - time.monotonic())
    finally:
        viewing.cancel()
        await asyncio.gather(presenter.close(), viewer.close(), return_exceptions=True)
    return BinaryResult(sent, received, received_bytes, max(last_arrival - started, 1e-9), stalls)


def run_binary(
    relay: Relay, seconds: float, window: int, profile_dir: Path | None = None, name: str = ""
) -> BinaryResult:
    """Create one session on `relay` and forward binary frames through it."""
    pair = create_pairs(relay, 1)[0]
    logger.info("forwarding %d KB frames for %.0f s", BINARY_FRAME_BYTES // 1000, seconds)
    with profiled(relay, profile_dir, f"binary-{name}"):
        return asyncio.run(forward_binary(relay.ws_url, pair, seconds, BINARY_FRAME_BYTES, window))


def binary_rows(label: str, result: BinaryResult, goal: bool) -> list[Row]:
    lost = result.frames_sent - result.frames_received
    note = f"{result.frames_received} frames in {result.seconds:.1f} s"
    if lost:
        note += f", {lost} not forwarded"
    if result.stalls:
        note += f", {result.stalls} stalls"
    return [
        Row(
            "binary",
            f"forwarded MB/s, {label}",
            f"{result.mb_per_s:.1f}",
            note,
            goal=f">= {GOAL_BINARY_MB_S:.0f}" if goal else "",
            ok=result.mb_per_s >= GOAL_BINARY_MB_S if goal else None,
        ),
        Row("binary", f"frames/s, {label}", f"{result.frames_received / result.seconds:.0f}"),
    ]
