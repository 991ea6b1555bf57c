"""The naive baseline the presenter is measured against: a full-frame JPEG every credit."""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any


def run_baseline(args: argparse.Namespace) -> int:
    """A naive presenter: a full-frame JPEG at the same quality for every capture credit."""
    from suite.agent.presenter.channel import ScreenChannel
    from suite.protocol import PresentStart
    from suite.screen.capture import MssGrabber
    from suite.screen.encoders import JpegEncoder
    from suite.screen.frames import FrameFlags, RegionFrame

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    channel = ScreenChannel(args.relay, args.token, args.session)
    channel.open()
    grabber = MssGrabber(1)
    encoder = JpegEncoder(args.quality)
    channel.send_message(PresentStart(screen_w=grabber.width, screen_h=grabber.height))
    seq, sent_bytes, next_stats = 0, 0, 0.0
    while not stop.is_set() and not channel.closed:
        if time.monotonic() >= next_stats:
            next_stats = time.monotonic() + 0.5
            _write_json(args.stats_file, {"bytes": sent_bytes, "time_ms": time.time() * 1000})
        if not channel.wait_credit(0.1):
            continue
        frame = grabber.grab()
        capture_ms = time.time() * 1000
        seq += 1
        data = bytes(RegionFrame(
            seq, capture_ms, 0, 0, grabber.width, grabber.height, grabber.width,
            grabber.height, encoder.encoding, FrameFlags.KEY, encoder.encode(frame),
        ))  # fmt: skip
        channel.send_frame(data)
        channel.take_credit()
        sent_bytes += len(data)
    _write_json(args.stats_file, {"bytes": sent_bytes, "time_ms": time.time() * 1000})
    channel.close()
    return 0


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value))
    temporary.replace(path)
