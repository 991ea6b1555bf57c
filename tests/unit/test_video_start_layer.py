"""Which layer a viewer enters a video stream on (the relay's ``start_layer`` rule): one whose
link cannot bring the high layer's key frame within ``START_LOW_KEY_S`` starts on low."""

from __future__ import annotations

import pytest

from relay_server.screen.fanout import KeptFrame, Presentation
from relay_server.screen.video_fanout import (
    START_LOW_KEY_S,
    UP_MARGIN,
    KeptVideo,
    VideoRoutes,
    ViewerVideo,
    start_layer,
)
from suite.screen.video_frame import VideoCodec, VideoFlags, VideoFrame, VideoLayer
from tests.support.region_frames import region

HIGH, LOW = VideoLayer.HIGH, VideoLayer.LOW
KEY_BYTES = 165_000  # the benchmark's 720p key frame of a grainy photo


@pytest.mark.parametrize(
    ("layer", "rate", "key", "expected"),
    [
        (HIGH, None, KEY_BYTES, HIGH),  # rate unknown: high, as before
        (HIGH, 125_000.0, None, HIGH),  # no key frame seen yet
        (HIGH, 125_000.0, KEY_BYTES, LOW),  # 1 Mbit/s: 1.3 s for the key frame
        (HIGH, 10e6, KEY_BYTES, HIGH),  # a fast link
        (HIGH, KEY_BYTES / START_LOW_KEY_S, KEY_BYTES, HIGH),  # exactly the limit: stays
        (LOW, 10e6, KEY_BYTES, LOW),  # never moves up (that is choose_layer's probe)
    ],
)
def test_start_layer(layer, rate, key, expected):
    assert start_layer(layer, rate, key) is expected


class Member:
    def __init__(self) -> None:
        self.sent: list[str | bytes] = []

    def send(self, frame: str | bytes) -> None:
        self.sent.append(frame)

    def video(self) -> list[VideoFrame]:
        return [VideoFrame.parse(f) for f in self.sent if isinstance(f, bytes) and f[3] == 2]


def frame(seq: int, layer: VideoLayer, key: bool, size: int) -> KeptVideo:
    data = VideoFrame(
        seq, float(seq), 0, 0, 64, 32, 64, 32, VideoCodec.VP9,
        VideoFlags.KEY if key else VideoFlags.NONE, layer, 64 if layer is HIGH else 32,
        32 if layer is HIGH else 16, 1, b"\x01" * size,
    )  # fmt: skip
    return KeptVideo.parse(bytes(data))


def test_a_slow_viewer_enters_the_stream_on_low_and_a_fast_one_on_high():
    """Both painted a 200 kB region frame first: in 1.6 s (~1 Mbit/s) and in 20 ms. When the
    video starts with a 165 kB high key frame, the slow one is not sent it: it waits for the low
    layer's key frame, asked for at once, while the fast one starts on high."""
    now = [0.0]
    presentation: Presentation[Member] = Presentation(clock=lambda: now[0])
    presenter, slow, fast = Member(), Member(), Member()
    presentation.presenter = presenter
    for viewer in (slow, fast):
        presentation.add_viewer(viewer)
        presentation.set_decoders(viewer, ["vp9"])
    presentation.start(64, 32)
    presentation.add_frame(KeptFrame.parse(region(1, 0, 0, 64, 32) + b"x" * 200_000))
    now[0] += 0.02
    presentation.ack(fast, 1)
    now[0] += 1.58
    presentation.ack(slow, 1)
    presentation.add_video(frame(2, HIGH, True, KEY_BYTES))
    assert [f.seq for f in fast.video()] == [2]
    assert slow.video() == []
    assert '{"type":"request_key_frame","layer":"low"}' in [
        t for t in presenter.sent if isinstance(t, str)
    ]
    presentation.add_video(frame(3, HIGH, False, 5_000))
    presentation.add_video(frame(4, LOW, True, 30_000))
    presentation.add_video(frame(5, LOW, False, 800))
    now[0] += 0.3
    presentation.ack(slow, 4)
    assert [(f.seq, f.layer) for f in slow.video()] == [(4, LOW), (5, LOW)]
    assert presentation.video.low_starts == 1


def test_a_viewer_whose_first_frames_are_on_their_way_enters_the_stream_once_they_are_painted():
    """The video starts while a 1 Mbit/s viewer's first region frame (50 kB, within the first
    window) is still on its way: its rate is unknown, so it is sent no key frame yet; once that
    frame is painted (0.4 s: 125 kB/s) it enters on the low layer."""
    now = [0.0]
    presentation: Presentation[Member] = Presentation(clock=lambda: now[0])
    presenter, slow = Member(), Member()
    presentation.presenter = presenter
    presentation.add_viewer(slow)
    presentation.set_decoders(slow, ["vp9"])
    presentation.start(64, 32)
    presentation.add_frame(KeptFrame.parse(region(1, 0, 0, 64, 16) + b"x" * 50_000))
    presentation.add_video(frame(2, HIGH, True, KEY_BYTES))
    assert slow.video() == []
    now[0] += 0.4
    presentation.ack(slow, 1)
    assert slow.video() == []
    assert '{"type":"request_key_frame","layer":"low"}' in [
        t for t in presenter.sent if isinstance(t, str)
    ]
    presentation.add_video(frame(3, LOW, True, 30_000))
    assert [(f.seq, f.layer) for f in slow.video()] == [(3, LOW)]


@pytest.mark.parametrize(("rate", "expected"), [(125_000.0, LOW), (10e6, HIGH)])
def test_a_low_viewer_moves_up_only_if_the_high_key_frame_would_come_in_time(rate, expected):
    """A slow presenter makes the high layer's bytes/s small, so a 1 Mbit/s viewer's rate is
    over twice it; moving up would still start at a 165 kB key frame (1.3 s): it stays low.
    A fast viewer moves up."""
    now = [100.0]
    asked: list[VideoLayer] = []
    routes = VideoRoutes(asked.append, lambda: now[0])
    routes.add(frame(1, HIGH, True, KEY_BYTES))
    routes.add(frame(2, LOW, True, 30_000))
    now[0] += 2.0
    for seq in range(3, 9, 2):  # the high layer at 1 frame/s: ~10 kB/s
        routes.add(frame(seq, HIGH, False, 10_000))
        routes.add(frame(seq + 1, LOW, False, 800))
        now[0] += 1.0
    viewer = ViewerVideo(frozenset({"vp9"}), LOW, at=8, in_stream=True)
    assert routes.layer_bps(HIGH) * UP_MARGIN < 125_000.0
    routes.pending(viewer, rate)
    assert viewer.layer is expected
