"""The presenter's video encoding step: the capture's conversion to I420 with a kept swscale
context, and the high layer's bytes for a full-screen pan."""

from __future__ import annotations

import numpy as np
from av.video.reformatter import VideoReformatter

from suite.screen.video.encoder import VideoEncoder, to_yuv
from suite.screen.video.hybrid import layer_bitrate, layer_size
from suite.screen.video_frame import VideoCodec, VideoLayer
from tests.support.motion_content import photo


def pixels(picture) -> np.ndarray:
    """The picture's Y, U and V samples (without the planes' row padding)."""
    return picture.to_ndarray()


def test_a_kept_converter_gives_the_pixels_of_a_fresh_one_across_size_changes():
    """The stream keeps one swscale context from capture to capture; a region or coded size
    that changes between streams must still come out as a fresh conversion would."""
    rng = np.random.default_rng(7)
    kept = VideoReformatter()
    cases = [((240, 320), (212, 160)), ((240, 320), (212, 160)), ((100, 64), None),
             ((240, 320), (320, 240)), ((240, 320), (212, 160))]  # fmt: skip
    for (height, width), size in cases:
        region = rng.integers(0, 255, (height, width, 4), dtype=np.uint8)
        for codec in (VideoCodec.VP9, VideoCodec.VP8):
            fresh = to_yuv(region, codec, size)
            again = to_yuv(region, codec, size, kept)
            assert (again.width, again.height) == (fresh.width, fresh.height)
            assert np.array_equal(pixels(again), pixels(fresh)), (height, width, size, codec)


def test_the_encoders_kept_scaler_scales_as_a_fresh_one_does():
    rng = np.random.default_rng(8)
    encoder = VideoEncoder(VideoCodec.VP9, 320, 240, 160, 120, 200_000)
    other = VideoEncoder(VideoCodec.VP9, 320, 240, 160, 120, 200_000)
    for step in range(3):
        picture = to_yuv(rng.integers(0, 255, (240, 320, 4), dtype=np.uint8), VideoCodec.VP9)
        scaled = picture.reformat(width=160, height=120)
        assert encoder.encode(picture, step * 33.0) == other.encode(scaled, step * 33.0)


def test_a_full_screen_pan_leaves_room_in_the_budget_at_30_frames_a_second():
    """The high layer of a 1920x1080 pan (a grainy photo, 6 px a frame) at 30 frames/s: its
    delta frames stay under 12 kB on average (360 kB/s, within the 400 kB/s we allow the video
    of the 500 kB/s budget, the rest left for tiles and key frames). At 2.5 Mbit/s they are
    ~11 kB over these first 40 frames (the rate control's target: ~10.4 kB a frame)."""
    width, height = 1920, 1080
    wide = photo(width + 6 * 40, height, noise=6.0)
    coded = layer_size(width, height, VideoLayer.HIGH)
    encoder = VideoEncoder(
        VideoCodec.VP9, width, height, *coded, layer_bitrate(width, height, VideoLayer.HIGH)
    )
    converter = VideoReformatter()
    sizes = []
    for step in range(40):
        region = wide[:, step * 6 : step * 6 + width]
        payload, key = encoder.encode(
            to_yuv(region, VideoCodec.VP9, coded, converter), step * 1000 / 30
        )
        assert key == (step == 0)
        sizes.append(len(payload))
    assert np.mean(sizes[10:]) < 12_000, sizes
