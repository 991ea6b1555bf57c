"""Motion as video, the pure parts: the video frame's bytes, motion detection from the tile
diff history, and the relay's per-viewer layer and key-frame rules."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from relay_server.screen.fanout import KeptFrame, Presentation
from relay_server.screen.video_fanout import (
    ANNOUNCE_GRACE_S,
    HIGH_MAX_LAG_MS,
    LOW_MAX_LAG_MS,
    MAX_PROBE_INTERVAL_S,
    PROBE_INTERVAL_S,
    KeptVideo,
    choose_layer,
    next_probe_s,
    start_at_key,
)
from suite.protocol import DecoderSupport, ErrorCode, ProtocolError
from suite.screen.frames import Encoding, FrameFlags, RegionFrame
from suite.screen.regions import Rect
from suite.screen.stream import ScreenStream
from suite.screen.video.hybrid import (
    HIGH_MAX_CODED_PX,
    LOW_MAX_CODED_PX,
    MotionVideo,
    choose_codec,
    layer_size,
    low_layer_due,
)
from suite.screen.video.motion import MIN_TILES, START_CAPTURES, STOP_MS, MotionTracker
from suite.screen.video_frame import (
    VIDEO_HEADER_BYTES,
    VideoCodec,
    VideoFlags,
    VideoFrame,
    VideoLayer,
)

HIGH, LOW = VideoLayer.HIGH, VideoLayer.LOW


def video(seq: int, key: bool = False, layer: VideoLayer = HIGH, stream: int = 1, **kw):
    fields = dict(
        seq=seq, capture_ms=1000.0 + seq, x=0, y=0, w=640, h=480, screen_w=640, screen_h=480,
        codec=VideoCodec.VP9, flags=VideoFlags.KEY if key else VideoFlags.NONE, layer=layer,
        coded_w=640 if layer is HIGH else 320, coded_h=480 if layer is HIGH else 240,
        stream_id=stream, payload=b"\x01" * 100,
    )  # fmt: skip
    fields.update(kw)
    return VideoFrame(**fields)


# -- the frame --------------------------------------------------------------------------------


def test_video_frame_round_trips_byte_for_byte():
    """A video frame's 40-byte header is the documented struct layout and parses back equal."""
    frame = video(7, key=True, layer=LOW, stream=3)
    data = bytes(frame)
    assert len(data) == VIDEO_HEADER_BYTES + 100
    fields = struct.unpack_from("<2sBBIdHHHHHHBBBBHHI", data)
    assert fields == (b"RS", 1, 2, 7, 1007.0, 0, 0, 640, 480, 640, 480, 2, 1, 1, 0, 320, 240, 3)
    assert VideoFrame.parse(data) == frame


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b[:39], "header alone is 40"),
        (lambda b: b"XX" + b[2:], "bad magic"),
        (lambda b: b[:3] + b"\x01" + b[4:], "not video"),
        (lambda b: b[:28] + b"\x09" + b[29:], "unknown video codec 9"),
        (lambda b: b[:30] + b"\x05" + b[31:], "unknown video layer 5"),
        (lambda b: b[:31] + b"\x01" + b[32:], "reserved byte"),
        (lambda b: b[:29] + b"\x08" + b[30:], "unknown video flag bits 0x08"),
        (lambda b: b[:VIDEO_HEADER_BYTES], "needs a payload"),
        (lambda b: b[:29] + b"\x02" + b[30:], "end frame carries no payload"),
        (lambda b: b[:16] + struct.pack("<H", 600) + b[18:], "outside the 640x480 screen"),
    ],
)
def test_malformed_video_frames_are_refused_with_the_reason(change, message):
    """Every malformed video frame is a ValueError naming what is wrong."""
    with pytest.raises(ValueError, match=message):
        VideoFrame.parse(change(bytes(video(1))))


# -- motion -----------------------------------------------------------------------------------


def grid_with(rows: slice, cols: slice, shape=(9, 15)) -> np.ndarray:
    grid = np.zeros(shape, dtype=bool)
    grid[rows, cols] = True
    return grid


def test_motion_starts_after_consecutive_changes_of_enough_tiles():
    """A block of tiles changing on START_CAPTURES captures in a row becomes the motion region,
    tile-aligned in pixels; before that there is none."""
    tracker = MotionTracker(960, 540, 64)
    moving = grid_with(slice(2, 5), slice(3, 8))
    for capture in range(START_CAPTURES - 1):
        assert tracker.update(moving, capture * 33.0) is None
    region = tracker.update(moving, START_CAPTURES * 33.0)
    assert region == Rect(3 * 64, 2 * 64, 5 * 64, 3 * 64)
    assert tracker.update(moving, 200.0) is region  # the same object while unchanged


def test_typing_never_starts_motion():
    """A keystroke's one or two tiles, even on every capture, are fewer than MIN_TILES."""
    tracker = MotionTracker(960, 540, 64)
    for capture in range(30):
        column = capture // 8
        assert (
            tracker.update(grid_with(slice(4, 5), slice(column, column + 2)), capture * 33.0)
            is None
        )
    assert MIN_TILES > 2


def test_changes_far_apart_in_time_are_not_motion():
    """Changes more than MAX_GAP_MS apart (a slide every few seconds) never count as a row."""
    tracker = MotionTracker(960, 540, 64)
    whole = np.ones((9, 15), dtype=bool)
    for capture in range(10):
        assert tracker.update(whole, capture * 2000.0) is None


def test_motion_starts_at_a_loaded_presenters_capture_rate():
    """A pan captured only every 300 ms (a presenter on a busy machine) is still motion: the
    gap allowed between changes is wider than a slow capture, far below a slide's seconds."""
    tracker = MotionTracker(960, 540, 64)
    whole = np.ones((9, 15), dtype=bool)
    regions = [tracker.update(whole, capture * 300.0) for capture in range(START_CAPTURES)]
    assert regions[-1] is not None


def test_motion_grows_and_stops_when_still():
    """More tiles moving grows the region; STOP_MS without a change inside it ends it."""
    tracker = MotionTracker(960, 540, 64)
    small = grid_with(slice(0, 2), slice(0, 5))
    for capture in range(START_CAPTURES):
        tracker.update(small, capture * 33.0)
    assert tracker.region == Rect(0, 0, 320, 128)
    bigger = grid_with(slice(0, 4), slice(0, 5))
    now = START_CAPTURES * 33.0
    for _ in range(START_CAPTURES):
        now += 33.0
        tracker.update(bigger, now)
    assert tracker.region == Rect(0, 0, 320, 256)
    still = np.zeros((9, 15), dtype=bool)
    assert tracker.update(still, now + STOP_MS / 2) is not None
    assert tracker.update(still, now + STOP_MS + 1) is None


def test_the_region_has_even_sides_at_the_screen_edge():
    """At an odd screen edge the region grows inward by a pixel: 4:2:0 video needs even sides."""
    tracker = MotionTracker(961, 541, 64)
    whole = np.ones((9, 16), dtype=bool)
    for capture in range(START_CAPTURES):
        region = tracker.update(whole, capture * 33.0)
    assert region == Rect(0, 0, 960, 540) or (region.w % 2, region.h % 2) == (0, 0)
    assert region is not None and region.x + region.w <= 961 and region.y + region.h <= 541


# -- layers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "lagging", "rate", "since", "expected"),
    [
        (HIGH, False, None, 0.0, HIGH),  # unknown rate: stay
        (HIGH, True, 10e6, 100.0, LOW),  # lagging always goes low
        (LOW, True, 10e6, 100.0, LOW),
        (LOW, False, 3 * 400e3, PROBE_INTERVAL_S, HIGH),  # well above the high layer: up
        (LOW, False, 3 * 400e3, PROBE_INTERVAL_S - 1, LOW),  # but not right after a move
        (LOW, False, 1.5 * 400e3, 100.0, LOW),  # not enough headroom
        (HIGH, False, 100e3, 100.0, HIGH),  # a low rate alone does not move down: lag does
    ],
)
def test_layer_choice(layer, lagging, rate, since, expected):
    """The layer rules: lag moves down, a rate well over the high layer's moves up, slowly."""
    assert choose_layer(layer, lagging, rate, 400e3, since) is expected


class Member:
    def __init__(self) -> None:
        self.sent: list[str | bytes] = []

    def send(self, frame: str | bytes) -> None:
        self.sent.append(frame)

    def binary(self) -> list[VideoFrame]:
        return [VideoFrame.parse(f) for f in self.sent if isinstance(f, bytes)]

    def texts(self) -> list[str]:
        return [f for f in self.sent if isinstance(f, str)]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def live(viewers: int = 1, codecs=("vp8", "vp9")):
    clock = Clock()
    presentation: Presentation[Member] = Presentation(clock=clock)
    presenter = Member()
    presentation.presenter = presenter
    members = [Member() for _ in range(viewers)]
    for member in members:
        presentation.add_viewer(member)
        presentation.set_decoders(member, list(codecs))
    presentation.start(640, 480)
    return presentation, presenter, members, clock


def live_with_timer(viewers: int = 1, codecs=("vp8", "vp9")):
    """``live`` with the shell's timer (``call_later``): (..., timers as (due, fn))."""
    clock = Clock()
    timers: list[tuple[float, object]] = []
    presentation: Presentation[Member] = Presentation(
        clock=clock, call_later=lambda delay, fn: timers.append((clock.now + delay, fn))
    )
    presenter = Member()
    presentation.presenter = presenter
    members = [Member() for _ in range(viewers)]
    for member in members:
        presentation.add_viewer(member)
        presentation.set_decoders(member, list(codecs))
    presentation.start(640, 480)
    return presentation, presenter, members, clock, timers


def add(presentation, frame: VideoFrame) -> None:
    presentation.add_video(KeptVideo.parse(bytes(frame)))


def join_vp9(presentation) -> Member:
    """A new viewer that says it decodes VP9."""
    viewer = Member()
    presentation.add_viewer(viewer)
    presentation.set_decoders(viewer, ["vp9"])
    return viewer


def test_a_viewer_joining_mid_motion_waits_for_a_new_key_frame_asked_for_at_once():
    """A late viewer gets no old deltas (nor the old key frame with all of them): the presenter
    is asked for a key frame at once, and the viewer starts there."""
    presentation, presenter, (first,), clock = live()
    add(presentation, video(1, key=True))
    for seq in range(2, 6):
        add(presentation, video(seq))
        presentation.ack(first, seq)
    late = join_vp9(presentation)
    assert '{"type":"request_key_frame","layer":"high"}' in presenter.texts()
    add(presentation, video(6))
    assert late.binary() == []
    add(presentation, video(7, key=True))
    assert [f.seq for f in late.binary()] == [7]


def test_a_lagging_viewer_moves_to_the_low_layer_and_the_other_keeps_every_frame():
    """A viewer that acknowledges nothing falls behind by more than HIGH_MAX_LAG_MS: it is moved
    to the low layer and waits for its key frame; the fast viewer gets every high frame."""
    presentation, presenter, (fast, slow), clock = live(2)
    add(presentation, video(1, key=True))
    add(presentation, video(2, key=True, layer=LOW))
    seq = 3
    for _ in range(8 + int(HIGH_MAX_LAG_MS / 33) + 2):
        add(presentation, video(seq, capture_ms=1000.0 + 33 * seq))
        presentation.ack(fast, seq)
        seq += 1
        clock.now += 0.033
    assert [f.layer for f in fast.binary()] == [HIGH] * len(fast.binary())
    assert len(fast.binary()) == seq - 2
    # No key frame while its window is full: it would be stale before it could be sent.
    assert '{"type":"request_key_frame","layer":"low"}' not in presenter.texts()
    while presentation.viewers[id(slow)].in_flight:  # the slow one finally paints
        presentation.ack(slow, 0)
    assert '{"type":"request_key_frame","layer":"low"}' in presenter.texts()
    add(presentation, video(seq, key=True, layer=LOW))
    assert slow.binary()[-1].layer is LOW and slow.binary()[-1].key


def test_a_viewer_behind_on_the_low_layer_catches_up_without_a_key_frame():
    """On the low layer a viewer a second behind (a 1 Mbit/s link's buffers) is sent the delta
    frames it lacks, not made to wait for a key frame; only past LOW_MAX_LAG_MS it skips."""
    presentation, presenter, (viewer,), clock = live()
    state = presentation.viewers[id(viewer)]
    state.video.layer = LOW
    state.rate_bps = 100.0  # a slow link: a window of one frame
    add(presentation, video(1, key=True, layer=LOW, capture_ms=0.0))
    for seq in range(2, 17):  # 15 frames at 15 fps: a second behind at the end
        add(presentation, video(seq, layer=LOW, capture_ms=(seq - 1) * 66.0))
    assert [f.seq for f in viewer.binary()] == [1]  # window: one frame until acknowledged
    for _ in range(15):
        clock.now += 1.0
        presentation.ack(viewer, 0)
    assert [f.seq for f in viewer.binary()] == list(range(1, 17))
    assert not [t for t in presenter.texts() if '"layer":"low"' in t]
    assert state.video.layer is LOW
    # Far behind: the deltas would take longer than a key frame; it skips to a fresh one.
    frames = int(LOW_MAX_LAG_MS / 66) + 3
    for seq in range(17, 17 + frames):
        add(presentation, video(seq, layer=LOW, capture_ms=(seq - 1) * 66.0))
    clock.now += 1.0
    presentation.ack(viewer, 0)
    assert '{"type":"request_key_frame","layer":"low"}' in presenter.texts()


def test_a_key_frame_asked_for_by_a_joiner_leaves_the_other_viewers_in_place():
    """A key frame a new viewer asked for does not make the viewers already in the stream lose
    their place: they go on through it, and no second key frame is asked for."""
    presentation, presenter, (first,), clock = live()
    add(presentation, video(1, key=True))
    for seq in range(2, 5):
        add(presentation, video(seq))
        presentation.ack(first, seq)
    late = join_vp9(presentation)
    add(presentation, video(5, key=True))
    presentation.ack(first, 5)
    presentation.ack(late, 5)
    clock.now += 1.0
    for seq in range(6, 9):
        add(presentation, video(seq))
        presentation.ack(first, seq)
        presentation.ack(late, seq)
    assert [f.seq for f in first.binary()] == list(range(1, 9))
    assert [f.seq for f in late.binary()] == [5, 6, 7, 8]
    assert len([t for t in presenter.texts() if "request_key_frame" in t]) == 1


def test_a_viewer_whose_decoder_lost_its_place_starts_again_at_a_new_key_frame():
    """video_lost: the relay asks for a key frame and sends that viewer nothing until it comes
    (the other viewer goes on); a report older than a key frame it was sent is ignored."""
    presentation, presenter, (viewer, other), clock = live(2)
    add(presentation, video(1, key=True))
    for seq in range(2, 4):
        add(presentation, video(seq))
    for member in (viewer, other):
        for seq in range(1, 4):
            presentation.ack(member, seq)
    presentation.video_lost(viewer, 2)
    assert presentation.video.lost_reports == 1
    assert '{"type":"request_key_frame","layer":"high"}' in presenter.texts()
    add(presentation, video(4))
    assert [f.seq for f in viewer.binary()] == [1, 2, 3]
    assert [f.seq for f in other.binary()] == [1, 2, 3, 4]
    add(presentation, video(5, key=True))
    assert [f.seq for f in viewer.binary()] == [1, 2, 3, 5]
    presentation.video_lost(viewer, 3)  # crossed key frame 5 on the wire: nothing to do
    add(presentation, video(6))
    assert [f.seq for f in viewer.binary()] == [1, 2, 3, 5, 6]
    assert presentation.video.lost_reports == 1


def test_a_waiting_viewer_starts_only_at_a_recent_key_frame():
    """A viewer waiting for a key frame starts at the newest one after its place when that one
    is within its layer's lag limit; a stale one (seconds of deltas behind it) is not used."""
    frames = [KeptVideo.parse(bytes(video(1, key=True, capture_ms=0.0)))] + [
        KeptVideo.parse(bytes(video(seq, capture_ms=seq * 33.0))) for seq in range(2, 6)
    ]
    assert [k.header.seq for k in start_at_key(frames, 0, HIGH) or []] == [1, 2, 3, 4, 5]
    assert start_at_key(frames, 1, HIGH) is None  # only a key frame after seq 1 will do
    late = frames + [
        KeptVideo.parse(bytes(video(seq, capture_ms=seq * 33.0))) for seq in range(6, 12)
    ]
    assert start_at_key(late, 0, HIGH) is None  # 363 ms of deltas: over HIGH_MAX_LAG_MS
    assert start_at_key(late, 0, LOW) is not None  # within LOW_MAX_LAG_MS


def test_a_viewer_that_cannot_hold_the_high_layer_waits_longer_each_time():
    """Each move down doubles the wait before the next try on high, up to a minute: a phone
    that cannot decode the high layer does not bounce between layers every few seconds."""
    assert next_probe_s(PROBE_INTERVAL_S, moved_down=True) == 2 * PROBE_INTERVAL_S
    assert next_probe_s(PROBE_INTERVAL_S, moved_down=False) == PROBE_INTERVAL_S
    assert next_probe_s(MAX_PROBE_INTERVAL_S, moved_down=True) == MAX_PROBE_INTERVAL_S
    assert choose_layer(LOW, False, 3 * 400e3, 400e3, 19.0, 20.0) is LOW
    assert choose_layer(LOW, False, 3 * 400e3, 400e3, 20.0, 20.0) is HIGH


@pytest.mark.parametrize(
    ("size", "high", "low"),
    [
        ((1920, 1080), (1280, 720), (480, 270)),
        ((1280, 720), (1280, 720), (480, 270)),
        ((640, 480), (640, 480), (320, 240)),
        ((3, 3), (2, 2), (2, 2)),
    ],
)
def test_layer_sizes(size, high, low):
    """A large region's high layer is coded at most at 1280x720's area and its low layer at
    480x270's (and at most half the side); sides are even and never larger than the region."""
    w, h = size
    assert layer_size(w, h, HIGH) == high
    assert layer_size(w, h, LOW) == low
    assert high[0] * high[1] <= max(HIGH_MAX_CODED_PX, 4)
    assert low[0] * low[1] <= LOW_MAX_CODED_PX


def test_the_low_layer_runs_at_most_at_30_frames_a_second():
    """Up to 33 captures a second every one goes on the low layer too (at 25.7 captures/s the
    4x CPU-throttled viewer on it had only every other one); at 60 every other one."""

    def low_frames(interval_ms: float) -> int:
        last, count = None, 0
        for index in range(30):
            now = index * interval_ms
            if low_layer_due(now, last):
                last, count = now, count + 1
        return count

    assert low_frames(1000 / 60) == 15
    assert low_frames(1000 / 30) == 30
    assert low_frames(1000 / 25.7) == 30
    assert low_frames(1000 / 12) == 30


def test_the_presenter_is_told_what_every_viewer_decodes():
    """video_codecs is the intersection over the viewers; one without a decoder empties it."""
    presentation, presenter, (viewer,), clock = live(codecs=("vp8", "vp9"))
    assert '{"type":"video_codecs","codecs":["vp8","vp9"]}' in presenter.texts()
    jpeg_only = Member()
    presentation.add_viewer(jpeg_only)
    presentation.set_decoders(jpeg_only, [])
    assert [t for t in presenter.texts() if "video_codecs" in t][-1] == (
        '{"type":"video_codecs","codecs":[]}'
    )
    presentation.remove_viewer(jpeg_only)
    assert [t for t in presenter.texts() if "video_codecs" in t][-1] == (
        '{"type":"video_codecs","codecs":["vp8","vp9"]}'
    )


def test_a_joiner_is_not_sent_the_old_region_frames_under_the_running_video():
    """A viewer joining mid-motion skips the region frames the video region covers (its key
    frame paints over them: at 1 Mbit/s they were seconds of a picture long gone) and still
    gets those outside it; a viewer without the codec gets them all."""
    presentation, presenter, (first,), clock, _ = live_with_timer()
    under = RegionFrame(1, 900.0, 0, 0, 320, 240, 640, 480, Encoding.JPEG, FrameFlags.NONE, b"u")
    beside = RegionFrame(2, 900.0, 320, 0, 320, 240, 640, 480, Encoding.JPEG, FrameFlags.NONE)
    for frame in (under, beside):
        presentation.add_frame(KeptFrame.parse(bytes(frame)))
        presentation.ack(first, frame.seq)
    add(presentation, video(3, key=True, w=320, h=240, coded_w=320, coded_h=240))
    late, jpeg = Member(), Member()
    for member, codecs in ((late, ["vp9"]), (jpeg, [])):
        presentation.add_viewer(member)
        presentation.set_decoders(member, codecs)
    add(presentation, video(4, key=True, w=320, h=240, coded_w=320, coded_h=240))

    def regions(member: Member) -> list[int]:
        return [RegionFrame.parse(f).seq for f in member.sent if isinstance(f, bytes) and f[3] == 1]

    def videos(member: Member) -> list[int]:
        return [VideoFrame.parse(f).seq for f in member.sent if isinstance(f, bytes) and f[3] == 2]

    assert regions(late) == [2]
    assert videos(late) == [], "its rate is measured by that frame's acknowledgement first"
    presentation.ack(late, 2)
    assert videos(late) == [4]
    assert regions(jpeg) == [1, 2] and videos(jpeg) == []


def test_a_joiner_does_not_stop_the_video_before_it_said_what_it_decodes():
    """A viewer that joined a moment ago and has not sent decoder_support leaves video_codecs
    as it was (no END and new stream for everyone at each join) and gets no video; past
    ANNOUNCE_GRACE_S without a word it counts as decoding nothing."""
    presentation, presenter, (first,), clock, timers = live_with_timer(codecs=("vp9",))
    add(presentation, video(1, key=True))
    told = lambda: [t for t in presenter.texts() if "video_codecs" in t]  # noqa: E731
    assert told()[-1] == '{"type":"video_codecs","codecs":["vp9"]}'
    late = Member()
    presentation.add_viewer(late)
    add(presentation, video(2))
    assert told()[-1] == '{"type":"video_codecs","codecs":["vp9"]}'
    assert late.binary() == []
    clock.now += ANNOUNCE_GRACE_S + 0.1
    for due, fn in timers:
        if due <= clock.now:
            fn()  # type: ignore[operator]
    assert told()[-1] == '{"type":"video_codecs","codecs":[]}'


def test_a_viewer_without_the_codec_gets_no_video_frames():
    """Video frames never reach a viewer that does not decode their codec."""
    presentation, presenter, (viewer,), clock = live(codecs=("vp8",))
    add(presentation, video(1, key=True))  # VP9
    assert viewer.binary() == []


def test_an_end_frame_reaches_the_viewers_that_had_the_stream():
    """END goes at once (outside the window) to viewers in the stream; the next stream starts
    from its own key frame."""
    presentation, presenter, (viewer,), clock = live()
    add(presentation, video(1, key=True))
    add(presentation, video(2, flags=VideoFlags.END, payload=b""))
    assert [f.end for f in viewer.binary()] == [False, True]
    presentation.ack(viewer, 1)
    add(presentation, video(3, key=True, stream=2))
    assert viewer.binary()[-1].stream_id == 2


@pytest.mark.parametrize(
    "body",
    [
        {"video": "vp9"},
        {"video": ["vp8"] * 9},
        {"video": ["x" * 17]},
        {"video": [3]},
        {},
    ],
)
def test_decoder_support_is_bounded(body):
    """decoder_support with a non-list, too many or too long names is bad_message."""
    with pytest.raises(ProtocolError) as refused:
        DecoderSupport.parse({"type": "decoder_support", **body})
    assert refused.value.code == ErrorCode.BAD_MESSAGE


def test_key_frame_requests_are_rate_limited():
    """Viewers joining one after another cost the presenter one key frame request per 0.25 s."""
    presentation, presenter, (first,), clock = live()
    add(presentation, video(1, key=True))
    for _ in range(5):
        join_vp9(presentation)
    requests = [t for t in presenter.texts() if "request_key_frame" in t]
    assert len(requests) == 1
    clock.now += 0.3
    join_vp9(presentation)
    assert len([t for t in presenter.texts() if "request_key_frame" in t]) == 2


# -- the presenter's hybrid ---------------------------------------------------------------------


def test_codec_choice_is_vp9_or_the_jpeg_path():
    """VP9 when every viewer decodes it; VP8 alone, or nothing, is the JPEG path (None)."""
    assert choose_codec(["vp8", "vp9"]) is VideoCodec.VP9
    assert choose_codec(["vp8"]) is None
    assert choose_codec([]) is None


def test_the_stream_sends_motion_as_video_and_refines_it_when_it_stops():
    """A pan over most of a small screen becomes VP9 frames (no region frames inside it); when
    it stops an END frame goes and the lossless refresh then covers the region exactly."""
    rng = np.random.default_rng(5)
    wide = rng.integers(0, 255, (256, 640, 4), dtype=np.uint8)
    stream = ScreenStream(320, 256)
    stream.video = MotionVideo(320, 256, 64)
    stream.video.set_codecs(["vp9"])
    now, sent = 0.0, []
    for step in range(12):
        now += 33.0
        sent.append(stream.encode(np.ascontiguousarray(wide[:, step * 4 : step * 4 + 320]), now))
    video = [f for frames in sent[3:] for f in frames if isinstance(f, VideoFrame)]
    assert video and video[0].key and video[0].layer is HIGH
    assert {(f.x, f.y, f.w, f.h) for f in video} == {(0, 0, 320, 256)}
    assert not any(isinstance(f, RegionFrame) for frames in sent[4:] for f in frames)
    still = np.ascontiguousarray(wide[:, 44:364])
    ended = refreshed = False
    for _ in range(40):
        now += 33.0
        for frame in stream.encode(still.copy(), now):
            ended = ended or (isinstance(frame, VideoFrame) and frame.end)
            refreshed = refreshed or (isinstance(frame, RegionFrame) and frame.lossless)
    assert ended and refreshed and not stream.refresh_pending


def test_the_low_layer_is_encoded_only_after_a_viewer_asked_for_it():
    """With every viewer on the high layer no low frame is encoded; the relay's first key frame
    request for the low layer starts it with a key frame, for the rest of the stream."""
    rng = np.random.default_rng(6)
    wide = rng.integers(0, 255, (256, 640, 4), dtype=np.uint8)
    stream = ScreenStream(320, 256)
    stream.video = MotionVideo(320, 256, 64)
    stream.video.set_codecs(["vp9"])
    now, layers = 0.0, []
    for step in range(16):
        if step == 10:
            stream.video.request_key(LOW)
        now += 33.0
        frames = stream.encode(np.ascontiguousarray(wide[:, step * 4 : step * 4 + 320]), now)
        layers += [(step, f.layer, f.key) for f in frames if isinstance(f, VideoFrame)]
    assert [entry for entry in layers if entry[1] is LOW][:2] == [(10, LOW, True), (11, LOW, False)]
    assert all(step >= 10 for step, layer, _ in layers if layer is LOW)
    assert len([entry for entry in layers if entry[1] is LOW]) == 6
