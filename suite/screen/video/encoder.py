"""VP8/VP9 encoding of a screen region with libvpx through PyAV, in real time.

Why these codecs: libvpx is BSD-licensed and every WebCodecs engine decodes VP8 and VP9; H.264
through libx264 (which PyAV's wheels also bundle) is GPL and is not used. Settings are libvpx's
real-time ones: ``deadline=realtime``, a high ``cpu-used``, no look-ahead (a frame comes out of
the encoder for every frame that goes in), error resilience off (the relay never loses a frame
inside a stream: a viewer that misses one waits for a key frame), two threads.

The presenter encodes VP9 through :mod:`.libvpx` instead (libvpx directly, at the real-time
speed 9 FFmpeg refuses); this encoder is its fallback, and VP8's.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol

import av
import numpy as np
from av.video.frame import PictureType
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from suite.screen.video_frame import VideoCodec

# libvpx encoder names in FFmpeg, and the fastest real-time speed each accepts.
_LIBVPX = {VideoCodec.VP8: ("libvpx", "16"), VideoCodec.VP9: ("libvpx-vp9", "8")}
THREADS = 2
# VP9 pictures are BT.709 limited range, also said in the stream: what Chromium's WebCodecs
# converts them back with (BT.601 ones came out with green at 0.86 of its value: 25 dB). VP8
# cannot say: its decoders assume BT.601, so VP8 pictures are BT.601 (BT.709 ones: 24 dB).
BT709 = 1  # AVCOL_SPC / AVCOL_PRI / AVCOL_TRC_BT709
MATRIX = {VideoCodec.VP8: Colorspace.ITU601, VideoCodec.VP9: Colorspace.ITU709}
TIME_BASE = Fraction(1, 1000)  # pts in milliseconds (capture times)


class Encoder(Protocol):
    """What :class:`.hybrid.MotionVideo` needs of an encoder: :class:`VideoEncoder` (FFmpeg's
    libvpx wrappers) or :class:`.libvpx.Vp9Encoder` (libvpx directly, at a speed FFmpeg
    refuses)."""

    codec: VideoCodec
    coded_w: int
    coded_h: int
    frames: int

    def encode(
        self, picture: av.VideoFrame, pts_ms: float, key: bool = False
    ) -> tuple[bytes, bool]: ...


class VideoEncoder:
    """One stream: BGRA regions of a fixed size in, one packet per region out.

    Args:
        codec: VP8 or VP9.
        width, height: the region on the screen (even).
        coded_w, coded_h: the size of the encoded picture (smaller for a low layer; even).
        bitrate_bps: the rate control's target.
        fps: the expected frame rate (rate control only; pts are the capture times).
    """

    def __init__(
        self,
        codec: VideoCodec,
        width: int,
        height: int,
        coded_w: int,
        coded_h: int,
        bitrate_bps: int,
        fps: int = 30,
    ) -> None:
        name, speed = _LIBVPX[codec]
        self.codec = codec
        self.width, self.height = width, height
        self.coded_w, self.coded_h = coded_w, coded_h
        # A VideoCodecContext; typed Any: PyAV's stubs give the base class only.
        context: Any = av.CodecContext.create(name, "w")
        context.width, context.height = coded_w, coded_h
        context.pix_fmt = "yuv420p"
        context.bit_rate = bitrate_bps
        context.framerate = Fraction(fps)
        context.time_base = TIME_BASE
        context.thread_count = THREADS
        context.colorspace = context.color_primaries = context.color_trc = BT709
        context.color_range = ColorRange.MPEG
        context.gop_size = 2**30  # key frames only when asked for (a new viewer, a lost frame)
        options = {"deadline": "realtime", "cpu-used": speed, "lag-in-frames": "0"}
        if codec is VideoCodec.VP9:
            options["row-mt"] = "1"
        context.options = options
        self._context = context
        # Kept, so that swscale's context is built once, not for every frame (see to_yuv).
        self._scaler = VideoReformatter()
        self._pts = -1
        self.frames = 0

    def encode(
        self, picture: av.VideoFrame, pts_ms: float, key: bool = False
    ) -> tuple[bytes, bool]:
        """Encode one picture of the region (from :func:`to_yuv`; scaled here to the coded size).

        Args:
            pts_ms: its capture time; must increase (equal times are nudged by 1 ms).
            key: force a key frame.

        Returns:
            (packet bytes, is a key frame); empty bytes when the encoder dropped the frame.
        """
        if (picture.width, picture.height) != (self.coded_w, self.coded_h):
            picture = self._scaler.reformat(picture, width=self.coded_w, height=self.coded_h)
        pts = max(int(pts_ms), self._pts + 1)
        self._pts = pts
        picture.pts = pts
        picture.pict_type = PictureType.I if key or self.frames == 0 else PictureType.NONE
        packets = self._context.encode(picture)
        self.frames += 1
        payload = b"".join(bytes(packet) for packet in packets)
        is_key = any(packet.is_keyframe for packet in packets)
        return payload, is_key


def to_yuv(
    region: np.ndarray,
    codec: VideoCodec,
    size: tuple[int, int] | None = None,
    reformatter: VideoReformatter | None = None,
) -> av.VideoFrame:
    """A BGRA region as the encoders' YUV 4:2:0 picture, scaled to ``size`` (w, h) in the same
    pass (None: the region's size). Once per capture, at the high layer's coded size; the low
    layer scales that picture. Converting and scaling a 1080p region to 720p in one swscale
    pass costs about half of converting at 1080p and then scaling (the conversion reads and
    writes every pixel: it was the largest step of a capture). The picture refers to
    ``region``'s memory until it is converted, which is done before this returns.

    ``reformatter``: one kept by the caller from capture to capture (one per thread). A fresh
    one (``VideoFrame.reformat``) builds swscale's context and filters anew for every picture:
    0.9 ms of the 5.5 a 1080p capture's conversion to 720p took (process time), the same
    pixels out."""
    # from_numpy_buffer wraps the array's memory (from_ndarray copied 8 MB a 1080p capture:
    # 1.8 ms of CPU of the 5.8 the conversion took, measured in process time).
    picture = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(region), format="bgra")
    width, height = size if size is not None else (picture.width, picture.height)
    return (reformatter or VideoReformatter()).reformat(
        picture,
        width=width,
        height=height,
        format="yuv420p",
        dst_colorspace=MATRIX[codec],
        dst_color_range=ColorRange.MPEG,
    )
