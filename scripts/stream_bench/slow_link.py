"""The 1 Mbit/s viewer in simulated time: where its bytes go, independent of the machine's load.

The real presenter pipeline (``ScreenStream`` with ``MotionVideo``: real VP9 encoding) on the
benchmark's motion content feeds the real relay core (``Presentation``) on a simulated clock.
Four viewers acknowledge each frame ``FAST_PAINT_S`` after it is sent; one more is behind a link
of ``LINK_BYTES_PER_S`` (frames queue on it, each is painted ``SLOW_PAINT_S`` after its last
byte arrives). The presenter captures every ``1 / capture_fps`` s (what a quiet machine
reaches), the painter pans 6 px per 1/60 s as in ``content.paint_loop``, viewers join before
the presentation starts, and the measurement runs from ``WARMUP_S`` for ``seconds``, as
``bench_stream.py`` does. Encoding time does not pass on the simulated clock, so a loaded
machine changes nothing but how long the run takes: what this measures is the protocol (the
relay's windows, layers and key frames), not the CPUs.

    .venv/bin/python -m scripts.stream_bench.slow_link [--tree CHECKOUT] [--fps 25] [--seconds 8]
                                                       [--join-at S]

``--join-at`` seats the slow viewer S seconds into the motion instead of before it (a customer
joining mid-motion); its measurement then starts at its join. ``first_video_s``: from its join
to its first painted video frame.

``--tree`` runs an older checkout's presenter and relay code (before/after in one run).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import sys
from collections.abc import Callable
from typing import Any

LINK_BYTES_PER_S = 125_000  # ~1 Mbit/s, as the benchmark's throttled proxy
FAST_PAINT_S = 0.005
SLOW_PAINT_S = 0.005
WARMUP_S = 2.0
FAST_VIEWERS = 4


class _Events:
    """A simulated clock and its timers."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def at(self, when: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (when, next(self._order), fn))

    def later(self, delay: float, fn: Callable[[], None]) -> None:
        self.at(self.now + delay, fn)

    def run_until(self, when: float) -> None:
        while self._queue and self._queue[0][0] <= when:
            self.now, _, fn = heapq.heappop(self._queue)
            fn()
        self.now = when


def _presenter_encoders() -> dict[str, Any]:
    """The presenter's encoders (libvpx directly at speed 9 where the tree has the binding and
    the library loads, as ``loop.motion_video`` does); an older tree's: FFmpeg's, its default.
    The bytes are what this measures, and speed 9's differ from FFmpeg's cpu-used 8 (+7 % a
    frame at 12 px, docs/performance.md)."""
    try:
        from suite.screen.video.libvpx import encoder_factory
    except ImportError:
        return {}
    return {"make_encoder": encoder_factory()}


def simulate(
    capture_fps: float = 25.0, seconds: float = 8.0, join_at: float = 0.0
) -> dict[str, Any]:
    """One run; returns the slow viewer's fps and bytes split, and the fast viewers' fps."""
    from relay_server.screen.fanout import KeptFrame, Presentation
    from relay_server.screen.video_fanout import KeptVideo
    from scripts.stream_bench.content import HEIGHT, WIDTH, _bgra, _photo
    from suite.screen.stream import ScreenStream
    from suite.screen.tiles import TILE_PX
    from suite.screen.video.hybrid import MotionVideo
    from suite.screen.video_frame import VideoFrame, VideoLayer

    events = _Events()
    presentation: Presentation[Any] = Presentation(clock=events, call_later=events.later)
    stream = ScreenStream(WIDTH, HEIGHT)
    stream.video = MotionVideo(WIDTH, HEIGHT, TILE_PX, **_presenter_encoders())
    base = _bgra(_photo(WIDTH * 2, HEIGHT, 3))
    measuring = {"on": False}

    class Presenter:
        def send(self, frame: str | bytes) -> None:
            body = json.loads(frame)
            if body["type"] == "video_codecs":
                stream.video.set_codecs(body["codecs"])  # type: ignore[union-attr]
            elif body["type"] == "request_key_frame":
                stream.video.request_key(VideoLayer[body["layer"].upper()])  # type: ignore[union-attr]

    class Viewer:
        def __init__(self, link_bps: float | None) -> None:
            self.link_bps, self.link_free = link_bps, 0.0
            self.painted: set[float] = set()
            self.first_video: float | None = None
            self.split = {"region": 0, "key": 0, "delta": 0, "keys": 0, "low": 0, "high": 0}

        def send(self, frame: str | bytes) -> None:
            if isinstance(frame, str):
                return
            video = frame[3] == 2
            end = video and VideoFrame.parse(frame).end
            if self.link_bps is None:
                arrives = events.now
            else:
                self.link_free = max(self.link_free, events.now) + len(frame) / self.link_bps
                arrives = self.link_free
            if end:
                return  # not acknowledged
            paint = FAST_PAINT_S if self.link_bps is None else SLOW_PAINT_S
            events.at(arrives + paint, lambda: self._painted(frame, video))

        def _painted(self, frame: bytes, video: bool) -> None:
            header = VideoFrame.parse(frame) if video else KeptFrame.parse(frame).header
            if video and self.first_video is None:
                self.first_video = events.now
            if measuring["on"]:
                self.painted.add(header.capture_ms)
                if not video:
                    self.split["region"] += len(frame)
                else:
                    assert isinstance(header, VideoFrame)
                    kind = "key" if header.key else "delta"
                    self.split[kind] += len(frame)
                    self.split["keys"] += int(header.key)
                    self.split["low" if header.layer is VideoLayer.LOW else "high"] += 1
            presentation.ack(self, header.seq)

    presentation.presenter = Presenter()  # type: ignore[assignment]
    viewers = [Viewer(None) for _ in range(FAST_VIEWERS)] + [Viewer(LINK_BYTES_PER_S)]

    def seat(viewer: Viewer) -> None:
        presentation.add_viewer(viewer)  # type: ignore[arg-type]
        presentation.set_decoders(viewer, ["vp8", "vp9"])  # type: ignore[arg-type]

    for viewer in viewers[:-1] if join_at else viewers:
        seat(viewer)
    presentation.start(WIDTH, HEIGHT)
    presentation.tell_codecs(again=True)
    if join_at:
        events.at(join_at, lambda: seat(viewers[-1]))

    def capture(index: int) -> None:
        offset = (int(events.now * 60) * 6) % WIDTH
        frame = base[:, offset : offset + WIDTH].copy()
        for out in stream.encode(frame, index * 1000.0 / capture_fps):
            data = bytes(out)
            if isinstance(out, VideoFrame):
                presentation.add_video(KeptVideo.parse(data))
            else:
                presentation.add_frame(KeptFrame.parse(data))
        events.later(1 / capture_fps, lambda: capture(index + 1))

    events.at(0.0, lambda: capture(0))
    start = join_at or WARMUP_S
    events.run_until(start)
    measuring["on"] = True
    events.run_until(start + seconds)
    slow, fast = viewers[-1], viewers[:-1]
    return {
        "slow_fps": len(slow.painted) / seconds,
        "first_video_s": None if slow.first_video is None else slow.first_video - join_at,
        "slow_kB_per_s": {k: v / seconds / 1000 for k, v in slow.split.items() if k not in
                          ("keys", "low", "high")},
        "slow_key_frames": slow.split["keys"],
        "slow_frames_low_high": (slow.split["low"], slow.split["high"]),
        "fast_fps": sum(len(v.painted) for v in fast) / len(fast) / seconds,
        "key_requests": presentation.video.key_requests,
        "layer_moves": presentation.video.layer_moves,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", help="run this checkout's suite and relay_server instead")
    parser.add_argument("--fps", type=float, default=25.0, help="presenter captures per second")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--join-at", type=float, default=0.0, help="the slow viewer joins then")
    args = parser.parse_args()
    if args.tree:
        sys.path.insert(0, args.tree)
    result = simulate(args.fps, args.seconds, args.join_at)
    print(json.dumps(result, indent=1, default=lambda v: round(v, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
