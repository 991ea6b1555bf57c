"""The binary region frame of the screen channel: a 32-byte header and an encoded image.

Layout (``docs/protocol.md``, *Screen channel*), little-endian, ``struct`` format
``<2sBBIdHHHHHHBBH``::

    magic "RS" | version | kind | seq u32 | capture_ms f64 | x y w h u16 | screen_w screen_h u16
    | encoding u8 | flags u8 | reserved u16 | payload...
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag

HEADER = struct.Struct("<2sBBIdHHHHHHBBH")
HEADER_BYTES = HEADER.size  # 32
MAGIC = b"RS"
VERSION = 1
MAX_SEQ = 2**32 - 1
MAX_SIDE_PX = 2**16 - 1


class FrameKind(IntEnum):
    REGION = 1
    VIDEO = 2  # suite.screen.video_frame


class Encoding(IntEnum):
    JPEG = 1
    PNG = 2
    WEBP = 3


class FrameFlags(IntFlag):
    NONE = 0
    LOSSLESS = 1  # the region is now pixel-exact
    KEY = 2  # the region covers the whole screen


_KNOWN_FLAGS = int(FrameFlags.LOSSLESS | FrameFlags.KEY)


# -- checks every binary screen frame shares (region frames here, video frames in video_frame) --


def check_prefix(magic: bytes, version: int) -> None:
    """Raises ValueError for a bad magic or an unsupported version."""
    if magic != MAGIC:
        raise ValueError(f"bad magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise ValueError(f"unsupported frame version {version}, expected {VERSION}")


def check_seq_and_sides(seq: int, capture_ms: float, sides: dict[str, int]) -> None:
    """Raises ValueError naming the field: ``seq`` outside 1..MAX_SEQ, a negative or
    non-finite ``capture_ms``, or a side (name to value) outside 0..MAX_SIDE_PX."""
    if not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"seq must be 1..{MAX_SEQ}, got {seq}")
    if not math.isfinite(capture_ms) or capture_ms < 0:
        raise ValueError(f"capture_ms must be a finite time >= 0, got {capture_ms}")
    for name, value in sides.items():
        if not 0 <= value <= MAX_SIDE_PX:
            raise ValueError(f"{name} must be 0..{MAX_SIDE_PX}, got {value}")


def check_inside(what: str, x: int, y: int, w: int, h: int, screen_w: int, screen_h: int) -> None:
    """Raises ValueError when the region (``what``: how the message names it) leaves the
    screen."""
    if x + w > screen_w or y + h > screen_h:
        raise ValueError(f"{what} {w}x{h} at ({x},{y}) is outside the {screen_w}x{screen_h} screen")


@dataclass(frozen=True, slots=True)
class RegionFrame:
    """One encoded rectangle of the shared screen, as it travels presenter → relay → viewers."""

    seq: int
    capture_ms: float
    x: int
    y: int
    w: int
    h: int
    screen_w: int
    screen_h: int
    encoding: Encoding
    flags: FrameFlags
    payload: bytes = b""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def lossless(self) -> bool:
        return bool(self.flags & FrameFlags.LOSSLESS)

    @property
    def key(self) -> bool:
        return bool(self.flags & FrameFlags.KEY)

    def validate(self) -> None:
        """Check every field against the protocol.

        Raises:
            ValueError: the message names the field and the rule it breaks.
        """
        check_seq_and_sides(self.seq, self.capture_ms, {
            "x": self.x, "y": self.y, "w": self.w, "h": self.h,
            "screen_w": self.screen_w, "screen_h": self.screen_h,
        })  # fmt: skip
        if self.w == 0 or self.h == 0:
            raise ValueError(f"region {self.w}x{self.h} is empty")
        if self.screen_w == 0 or self.screen_h == 0:
            raise ValueError(f"screen {self.screen_w}x{self.screen_h} is empty")
        check_inside("region", self.x, self.y, self.w, self.h, self.screen_w, self.screen_h)
        if self.encoding not in Encoding.__members__.values():
            raise ValueError(f"unknown encoding {int(self.encoding)}")
        if int(self.flags) & ~_KNOWN_FLAGS:
            raise ValueError(f"unknown flag bits 0x{int(self.flags) & ~_KNOWN_FLAGS:02x}")
        if self.key and (self.x, self.y, self.w, self.h) != (0, 0, self.screen_w, self.screen_h):
            raise ValueError("a key frame must cover the whole screen")

    def header(self) -> bytes:
        """The 32 header bytes alone (the payload follows them on the wire)."""
        return HEADER.pack(
            MAGIC, VERSION, FrameKind.REGION, self.seq, self.capture_ms,
            self.x, self.y, self.w, self.h, self.screen_w, self.screen_h,
            int(self.encoding), int(self.flags), 0,
        )  # fmt: skip

    def __bytes__(self) -> bytes:
        return self.header() + self.payload

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> RegionFrame:
        """Read a frame from the bytes of one binary websocket message.

        Raises:
            ValueError: too short, bad magic, version, kind, encoding or flags, a non-zero
                reserved field, or a region outside the screen; the message says which.
        """
        if len(data) < HEADER_BYTES:
            raise ValueError(f"frame is {len(data)} bytes; the header alone is {HEADER_BYTES}")
        (magic, version, kind, seq, capture_ms, x, y, w, h, screen_w, screen_h,
         encoding, flags, reserved) = HEADER.unpack_from(data)  # fmt: skip
        check_prefix(magic, version)
        if kind != FrameKind.REGION:
            raise ValueError(f"unknown frame kind {kind}")
        if reserved != 0:
            raise ValueError(f"reserved field must be 0, got {reserved}")
        try:
            encoding_value = Encoding(encoding)
        except ValueError:
            raise ValueError(f"unknown encoding {encoding}") from None
        return cls(
            seq, capture_ms, x, y, w, h, screen_w, screen_h,
            encoding_value, FrameFlags(flags), bytes(data[HEADER_BYTES:]),
        )  # fmt: skip
