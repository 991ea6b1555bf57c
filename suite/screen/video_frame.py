"""The binary video frame of the screen channel: a 40-byte header and one VP8/VP9 packet.

A region in motion travels as video (``suite.screen.video``); the relay forwards these frames
without decoding them and chooses per viewer which ``layer`` it gets. Layout
(``docs/protocol.md``, *Video frames*), little-endian, ``struct`` format
``<2sBBIdHHHHHHBBBBHHI``::

    magic "RS" | version | kind (2) | seq u32 | capture_ms f64 | x y w h u16
    | screen_w screen_h u16 | codec u8 | flags u8 | layer u8 | reserved u8
    | coded_w coded_h u16 | stream_id u32 | payload...

``x y w h`` is where the decoded picture goes on the screen (scaled from ``coded_w`` x
``coded_h`` when the layer is smaller); ``stream_id`` names one run of the encoder (a new region
or size starts a new stream with a key frame); an ``END`` frame has no payload and says the
stream is over (the region follows as ordinary region frames).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from suite.screen.frames import (
    MAGIC,
    VERSION,
    FrameKind,
    check_inside,
    check_prefix,
    check_seq_and_sides,
)

VIDEO_HEADER = struct.Struct("<2sBBIdHHHHHHBBBBHHI")
VIDEO_HEADER_BYTES = VIDEO_HEADER.size  # 40
MAX_STREAM_ID = 2**32 - 1


class VideoCodec(IntEnum):
    VP8 = 1
    VP9 = 2


# The names viewers announce in ``decoder_support`` and the WebCodecs codec strings they test.
CODEC_NAMES = {VideoCodec.VP8: "vp8", VideoCodec.VP9: "vp9"}


class VideoLayer(IntEnum):
    """Simulcast layers: every viewer gets exactly one."""

    HIGH = 0  # full resolution, the full bitrate
    LOW = 1  # half resolution, a fraction of the bitrate, for viewers on slow links


class VideoFlags(IntFlag):
    NONE = 0
    KEY = 1  # decodable on its own: a viewer may start here
    END = 2  # the stream is over (no payload); ordinary region frames follow


_KNOWN_FLAGS = int(VideoFlags.KEY | VideoFlags.END)


def frame_kind(data: bytes | bytearray | memoryview) -> int | None:
    """The ``kind`` byte of a binary screen frame (None when it is too short to have one)."""
    return data[3] if len(data) > 3 else None


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One encoded video packet of a region in motion, presenter → relay → viewers."""

    seq: int
    capture_ms: float
    x: int
    y: int
    w: int
    h: int
    screen_w: int
    screen_h: int
    codec: VideoCodec
    flags: VideoFlags
    layer: VideoLayer
    coded_w: int
    coded_h: int
    stream_id: int
    payload: bytes = b""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def key(self) -> bool:
        return bool(self.flags & VideoFlags.KEY)

    @property
    def end(self) -> bool:
        return bool(self.flags & VideoFlags.END)

    def validate(self) -> None:
        """Check every field against the protocol.

        Raises:
            ValueError: the message names the field and the rule it breaks.
        """
        check_seq_and_sides(self.seq, self.capture_ms, {
            "x": self.x, "y": self.y, "w": self.w, "h": self.h,
            "screen_w": self.screen_w, "screen_h": self.screen_h,
            "coded_w": self.coded_w, "coded_h": self.coded_h,
        })  # fmt: skip
        if self.w == 0 or self.h == 0 or self.coded_w == 0 or self.coded_h == 0:
            raise ValueError(
                f"video region {self.w}x{self.h} ({self.coded_w}x{self.coded_h}) is empty"
            )
        check_inside("video region", self.x, self.y, self.w, self.h, self.screen_w, self.screen_h)
        if self.codec not in VideoCodec.__members__.values():
            raise ValueError(f"unknown video codec {int(self.codec)}")
        if self.layer not in VideoLayer.__members__.values():
            raise ValueError(f"unknown video layer {int(self.layer)}")
        if int(self.flags) & ~_KNOWN_FLAGS:
            raise ValueError(f"unknown video flag bits 0x{int(self.flags) & ~_KNOWN_FLAGS:02x}")
        if not 1 <= self.stream_id <= MAX_STREAM_ID:
            raise ValueError(f"stream_id must be 1..{MAX_STREAM_ID}, got {self.stream_id}")
        if self.end and self.payload:
            raise ValueError("an end frame carries no payload")
        if not self.end and not self.payload:
            raise ValueError("a video frame needs a payload (or the end flag)")

    def header(self) -> bytes:
        return VIDEO_HEADER.pack(
            MAGIC, VERSION, FrameKind.VIDEO, self.seq, self.capture_ms,
            self.x, self.y, self.w, self.h, self.screen_w, self.screen_h,
            int(self.codec), int(self.flags), int(self.layer), 0,
            self.coded_w, self.coded_h, self.stream_id,
        )  # fmt: skip

    def __bytes__(self) -> bytes:
        return self.header() + self.payload

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> VideoFrame:
        """Read a video frame from the bytes of one binary websocket message.

        Raises:
            ValueError: too short, bad magic, version, kind, codec, layer or flags, a non-zero
                reserved byte, or a region outside the screen; the message says which.
        """
        if len(data) < VIDEO_HEADER_BYTES:
            raise ValueError(
                f"video frame is {len(data)} bytes; the header alone is {VIDEO_HEADER_BYTES}"
            )
        (magic, version, kind, seq, capture_ms, x, y, w, h, screen_w, screen_h,
         codec, flags, layer, reserved, coded_w, coded_h, stream_id,
         ) = VIDEO_HEADER.unpack_from(data)  # fmt: skip
        check_prefix(magic, version)
        if kind != FrameKind.VIDEO:
            raise ValueError(f"frame kind {kind} is not video")
        if reserved != 0:
            raise ValueError(f"reserved byte must be 0, got {reserved}")
        try:
            codec_value = VideoCodec(codec)
        except ValueError:
            raise ValueError(f"unknown video codec {codec}") from None
        try:
            layer_value = VideoLayer(layer)
        except ValueError:
            raise ValueError(f"unknown video layer {layer}") from None
        return cls(
            seq, capture_ms, x, y, w, h, screen_w, screen_h, codec_value, VideoFlags(flags),
            layer_value, coded_w, coded_h, stream_id, bytes(data[VIDEO_HEADER_BYTES:]),
        )  # fmt: skip
