"""VP9 through libvpx directly (the wheel's libvpx, ctypes): the struct layouts, the same
bitstream as FFmpeg's path at the same speed, pictures that decode to the right pixels at
speed 9, key frames on request, and FFmpeg's encoder whenever the binding cannot be used."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

import av
import numpy as np
import pytest
from av.video.reformatter import VideoReformatter

from suite.screen.stream import ScreenStream
from suite.screen.video import libvpx
from suite.screen.video.encoder import VideoEncoder, to_yuv
from suite.screen.video.hybrid import MotionVideo
from suite.screen.video_frame import VideoCodec, VideoFrame, VideoLayer
from tests.support.motion_content import photo
from tests.support.viewer_presenter import psnr

W, H = 320, 240


def pan(steps: int, step_px: int = 4, width: int = W, height: int = H) -> list[np.ndarray]:
    wide = photo(width + step_px * steps, height, noise=2.0)
    return [np.ascontiguousarray(wide[:, i * step_px : i * step_px + width]) for i in range(steps)]


def decode(payloads: list[bytes]) -> list[np.ndarray]:
    """Each packet decoded by FFmpeg's VP9 decoder (a fresh one), as RGB (BT.709)."""
    decoder = av.CodecContext.create("vp9", "r")
    out = []
    for payload in payloads:
        for frame in decoder.decode(av.Packet(payload)):
            out.append(frame.to_ndarray(format="rgb24"))
    return out


def as_rgb(bgra: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgra[..., 2::-1])


def test_the_struct_layouts_are_libvpx_1_16s():
    """Offsets from libvpx 1.16's headers (a C program built against them printed offsetof):
    the binding reads and writes these fields by position."""
    config = {"g_threads": 4, "g_w": 12, "g_timebase": 28, "g_error_resilient": 36,
              "g_lag_in_frames": 44, "rc_end_usage": 72, "rc_target_bitrate": 112,
              "rc_buf_sz": 132, "kf_mode": 160, "kf_max_dist": 168}  # fmt: skip
    for field, offset in config.items():
        assert getattr(libvpx.EncConfig, field).offset == offset, field
    assert ctypes.sizeof(libvpx.EncConfig) >= libvpx._CFG_BYTES
    assert ctypes.sizeof(libvpx.CodecContext) == 56
    assert ctypes.sizeof(libvpx.Image) == 136
    frame = libvpx.Packet.frame.offset
    assert (frame, frame + libvpx._FramePacket.sz.offset) == (8, 16)
    assert frame + libvpx._FramePacket.pts.offset == 24
    assert frame + libvpx._FramePacket.flags.offset == 40


def test_the_wheels_libvpx_loads_and_its_defaults_read_back():
    library = libvpx.load()
    assert library.version.startswith("v1.")
    config = library.default_config()
    assert (config.g_w, config.g_h, config.g_timebase.den, config.rc_max_quantizer) == (
        320, 240, 30, 63,
    )  # fmt: skip


def test_at_ffmpegs_speed_the_bitstream_is_ffmpegs_byte_for_byte():
    """Speed 8 through the binding is the encoder FFmpeg's path configures: the same bytes,
    key frames included (a forced one in the middle), so speed is the only difference."""
    ffmpeg = VideoEncoder(VideoCodec.VP9, W, H, W, H, 300_000)
    direct = libvpx.Vp9Encoder(W, H, W, H, 300_000, speed=8)
    for index, region in enumerate(pan(16)):
        picture = to_yuv(region, VideoCodec.VP9)
        key = index == 9
        expected = ffmpeg.encode(picture, index * 33.3, key=key)
        assert direct.encode(picture, index * 33.3, key=key) == expected, index
        assert expected[1] == (index in (0, 9))


def test_speed_9_pictures_decode_to_the_screens_pixels():
    encoder = libvpx.Vp9Encoder(W, H, W, H, 600_000)
    assert encoder.speed == 9
    regions = pan(20)
    payloads = []
    converter = VideoReformatter()
    for index, region in enumerate(regions):
        payload, key = encoder.encode(to_yuv(region, VideoCodec.VP9, None, converter), index * 33)
        assert key == (index == 0)
        assert payload
        payloads.append(payload)
    decoded = decode(payloads)
    assert len(decoded) == len(regions)
    pairs = zip(decoded, regions, strict=True)
    scores = [psnr(picture, as_rgb(region)) for picture, region in pairs]
    assert min(scores) > 30, scores
    # Not a blur of everything: the last picture is nearer its own screen than the first one.
    assert psnr(decoded[-1], as_rgb(regions[0])) < scores[-1] - 3


def test_a_key_frame_on_request_starts_a_fresh_decoder():
    encoder = libvpx.Vp9Encoder(W, H, W, H, 300_000)
    regions = pan(12)
    payloads = []
    for index, region in enumerate(regions):
        payload, key = encoder.encode(to_yuv(region, VideoCodec.VP9), index * 33, key=index == 7)
        assert key == (index in (0, 7)), index
        payloads.append(payload)
    joined = decode(payloads[7:])  # a viewer that joins at the requested key frame
    assert len(joined) == 5
    assert psnr(joined[-1], as_rgb(regions[-1])) > 30


def test_a_picture_of_another_size_is_scaled_to_the_coded_size():
    encoder = libvpx.Vp9Encoder(W, H, W // 2, H // 2, 200_000)
    payload, key = encoder.encode(to_yuv(pan(1)[0], VideoCodec.VP9), 0)
    (picture,) = decode([payload])
    assert key and picture.shape[:2] == (H // 2, W // 2)


def test_a_closed_encoder_refuses_pictures():
    encoder = libvpx.Vp9Encoder(W, H, W, H, 200_000)
    encoder.close()
    encoder.close()  # twice is fine
    with pytest.raises(ValueError):
        encoder.encode(to_yuv(pan(1)[0], VideoCodec.VP9), 0)


def test_a_file_that_is_not_libvpx_is_refused(tmp_path):
    with pytest.raises(libvpx.LibvpxUnavailable):
        libvpx.Libvpx(str(tmp_path / "libvpx-missing.so"))
    libc = ctypes.util.find_library("c")
    assert libc
    with pytest.raises(libvpx.LibvpxUnavailable, match="lacks"):
        libvpx.Libvpx(libc)


def test_without_the_library_the_presenter_gets_ffmpegs_encoder(monkeypatch, caplog):
    monkeypatch.setattr(libvpx, "_LOADED", None)
    monkeypatch.setattr(libvpx, "_FAILURE", None)
    monkeypatch.setattr(libvpx, "library_candidates", lambda: [])
    with caplog.at_level(logging.INFO, logger=libvpx.__name__):
        make = libvpx.encoder_factory()
    assert make is VideoEncoder
    assert "VP9 through FFmpeg at cpu-used 8" in caplog.text
    with pytest.raises(libvpx.LibvpxUnavailable):
        libvpx.load()  # the same answer again, without looking twice


def test_an_abi_the_binding_does_not_know_gets_ffmpegs_encoder(monkeypatch, caplog):
    """libvpx refuses another ABI version at init: that encoder is FFmpeg's, and says so."""
    with caplog.at_level(logging.INFO, logger=libvpx.__name__):
        make = libvpx.encoder_factory()
        assert "directly at speed 9" in caplog.text
        assert isinstance(make(VideoCodec.VP9, W, H, W, H, 200_000), libvpx.Vp9Encoder)
        monkeypatch.setattr(libvpx, "ENCODER_ABI_VERSION", libvpx.ENCODER_ABI_VERSION + 1)
        with pytest.raises(libvpx.LibvpxUnavailable, match="ABI"):
            libvpx.Vp9Encoder(W, H, W, H, 200_000)
        encoder = make(VideoCodec.VP9, W, H, W, H, 200_000)
    assert isinstance(encoder, VideoEncoder)
    assert "FFmpeg's instead" in caplog.text
    assert decode([encoder.encode(to_yuv(pan(1)[0], VideoCodec.VP9), 0)[0]])


def test_the_stream_with_the_presenters_encoders_sends_decodable_layers():
    """The presenter's pipeline (ScreenStream with MotionVideo, as the presenter makes it):
    both layers' frames come from libvpx directly, start with key frames and decode."""
    width, height = 320, 256
    regions = pan(14, width=width, height=height)
    stream = ScreenStream(width, height)
    stream.video = MotionVideo(width, height, 64, make_encoder=libvpx.encoder_factory())
    stream.video.set_codecs(["vp9"])
    frames = []
    for step, region in enumerate(regions):
        if step == 6:
            stream.video.request_key(VideoLayer.LOW)
        out = stream.encode(region.copy(), (step + 1) * 33.0)
        frames += [frame for frame in out if isinstance(frame, VideoFrame) and frame.payload]
    assert {type(encoder) for encoder in stream.video._encoders.values()} == {libvpx.Vp9Encoder}
    high = [frame for frame in frames if frame.layer is VideoLayer.HIGH]
    low = [frame for frame in frames if frame.layer is VideoLayer.LOW]
    assert high and low and high[0].key and low[0].key
    assert len(decode([frame.payload for frame in high])) == len(high)
    pictures = decode([frame.payload for frame in low])
    assert len(pictures) == len(low)
    assert pictures[0].shape[:2] == (low[0].coded_h, low[0].coded_w)
