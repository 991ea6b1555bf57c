"""The binary region-frame header: golden bytes, round trips and precise refusals."""

from __future__ import annotations

import struct

import pytest

from suite.screen.frames import HEADER_BYTES, Encoding, FrameFlags, RegionFrame

# Written out by hand from the table in docs/protocol.md: magic, version, kind, seq, capture_ms,
# x, y, w, h, screen_w, screen_h, encoding, flags, reserved, then the payload.
GOLDEN_JPEG = bytes.fromhex(
    "5253" "01" "01" "07000000" "00a877cadaab7942"
    "4000" "8000" "4001" "c800" "8007" "3804" "01" "00" "0000"
) + b"\xff\xd8jpeg"  # fmt: skip
GOLDEN_KEY_PNG = bytes.fromhex(
    "5253" "01" "01" "01000000" "0000000000408f40"
    "0000" "0000" "8007" "3804" "8007" "3804" "02" "03" "0000"
)  # fmt: skip


def jpeg_frame(**changes) -> RegionFrame:
    fields = dict(seq=7, capture_ms=1764118800250.5, x=64, y=128, w=320, h=200, screen_w=1920,
                  screen_h=1080, encoding=Encoding.JPEG, flags=FrameFlags.NONE,
                  payload=b"\xff\xd8jpeg")  # fmt: skip
    fields.update(changes)
    return RegionFrame(**fields)


def test_header_is_32_bytes():
    """The header size the protocol documents."""
    assert HEADER_BYTES == 32


@pytest.mark.parametrize(
    "frame, golden",
    [
        (jpeg_frame(), GOLDEN_JPEG),
        (
            RegionFrame(1, 1000.0, 0, 0, 1920, 1080, 1920, 1080, Encoding.PNG,
                        FrameFlags.LOSSLESS | FrameFlags.KEY),
            GOLDEN_KEY_PNG,
        ),
    ],
)  # fmt: skip
def test_golden_bytes_round_trip(frame, golden):
    """Serialising gives the golden bytes and parsing them gives the frame back."""
    assert bytes(frame) == golden
    assert RegionFrame.parse(golden) == frame
    assert bytes(RegionFrame.parse(memoryview(golden))) == golden


def test_flags_read_back():
    """lossless and key reflect the flag bits."""
    frame = RegionFrame.parse(GOLDEN_KEY_PNG)
    assert frame.lossless and frame.key
    assert not jpeg_frame().lossless and not jpeg_frame().key


def _patched(offset: int, fmt: str, value) -> bytes:
    data = bytearray(GOLDEN_JPEG)
    struct.pack_into(fmt, data, offset, value)
    return bytes(data)


@pytest.mark.parametrize(
    "data, message",
    [
        (GOLDEN_JPEG[:31], "frame is 31 bytes; the header alone is 32"),
        (b"XX" + GOLDEN_JPEG[2:], "bad magic b'XX'"),
        (_patched(2, "<B", 2), "unsupported frame version 2"),
        (_patched(3, "<B", 9), "unknown frame kind 9"),
        (_patched(4, "<I", 0), "seq must be 1.."),
        (_patched(8, "<d", float("nan")), "capture_ms must be a finite time"),
        (_patched(16, "<H", 1700), "outside the 1920x1080 screen"),
        (_patched(20, "<H", 0), "region 0x200 is empty"),
        (_patched(26, "<H", 0), "screen 1920x0 is empty"),
        (_patched(28, "<B", 4), "unknown encoding 4"),
        (_patched(29, "<B", 4), "unknown flag bits 0x04"),
        (_patched(29, "<B", 2), "a key frame must cover the whole screen"),
        (_patched(30, "<H", 1), "reserved field must be 0"),
    ],
)
def test_malformed_headers_are_refused_with_a_precise_message(data, message):
    """Each broken field raises ValueError naming it."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RegionFrame.parse(data)


def test_building_an_invalid_frame_fails_early():
    """The presenter cannot even construct a frame outside the screen."""
    with pytest.raises(ValueError, match="outside"):
        jpeg_frame(x=1800)
