"""screen_frame.js agrees byte for byte with docs/protocol.md and suite/screen/frames.py."""

from __future__ import annotations

import base64
import struct

import pytest
from playwright.sync_api import Page

from suite.screen.frames import Encoding, FrameFlags, RegionFrame
from tests.support.ui_pages import PageFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own pages and support."""
    return shared_relay


# The table in docs/protocol.md, "Screen channel".
DOC_FORMAT = "<2sBBIdHHHHHHBBH"

JPEG, PNG, WEBP = Encoding.JPEG, Encoding.PNG, Encoding.WEBP
GOLDEN = [
    RegionFrame(1, 1764118800250.5, 0, 0, 1920, 1080, 1920, 1080, JPEG, FrameFlags.KEY, b"\xff"),
    RegionFrame(2**32 - 1, 0.0, 64, 128, 16, 32, 2560, 1440, PNG, FrameFlags.LOSSLESS, b"png"),
    RegionFrame(77, 12.25, 65519, 0, 16, 9, 65535, 9, WEBP, FrameFlags.NONE, b""),
]  # fmt: skip


def _js(page: Page, body: str, arg=None):
    return page.evaluate(
        f"""async (arg) => {{
            const f = await import("/ui/common/screen/frame.js");
            const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
            {body}
        }}""",
        arg,
    )


def test_header_size_and_format_match_the_doc() -> None:
    """The doc's struct format is 32 bytes, as screen_frame.js and frames.py say."""
    assert struct.calcsize(DOC_FORMAT) == 32


@pytest.mark.parametrize("frame", GOLDEN, ids=lambda f: f"seq{f.seq}")
def test_js_reads_and_writes_the_python_header(open_ui: PageFactory, frame: RegionFrame) -> None:
    """parseFrame() reads every field of a frame packed by Python, and encodeFrameHeader()
    writes the same 32 bytes."""
    page = open_ui("/")
    result = _js(
        page,
        """
        const parsed = f.parseFrame(bytes(arg));
        const { payload, ...fields } = parsed;
        const header = f.encodeFrameHeader(parsed);
        return {
            fields,
            payload: btoa(String.fromCharCode(...payload)),
            header: btoa(String.fromCharCode(...header)),
            size: f.FRAME_HEADER_BYTES,
        };
        """,
        base64.b64encode(bytes(frame)).decode(),
    )
    assert result["size"] == 32
    assert result["fields"] == {
        "seq": frame.seq,
        "captureMs": frame.capture_ms,
        "x": frame.x,
        "y": frame.y,
        "w": frame.w,
        "h": frame.h,
        "screenW": frame.screen_w,
        "screenH": frame.screen_h,
        "encoding": int(frame.encoding),
        "flags": int(frame.flags),
        "mimeType": {1: "image/jpeg", 2: "image/png", 3: "image/webp"}[int(frame.encoding)],
        "lossless": frame.lossless,
        "keyFrame": frame.key,
    }
    assert base64.b64decode(result["payload"]) == frame.payload
    assert base64.b64decode(result["header"]) == frame.header()


BAD_FRAMES = {
    "short": (b"RS\x01\x01", "shorter than its 32-byte header"),
    "magic": (b"XX" + bytes(GOLDEN[0])[2:], 'magic is "XX"'),
    "version": (b"RS\x02" + bytes(GOLDEN[0])[3:], "version 2 is not supported"),
    "kind": (b"RS\x01\x07" + bytes(GOLDEN[0])[4:], "kind 7 is unknown"),
    "encoding": (bytes(GOLDEN[0])[:28] + b"\x09" + bytes(GOLDEN[0])[29:], "encoding 9 is unknown"),
    "outside": (
        struct.pack(DOC_FORMAT, b"RS", 1, 1, 5, 0.0, 100, 0, 50, 10, 120, 10, 2, 0, 0),
        "outside the 120×10 screen",
    ),
    "empty": (
        struct.pack(DOC_FORMAT, b"RS", 1, 1, 5, 0.0, 0, 0, 0, 10, 120, 10, 2, 0, 0),
        "is empty",
    ),
}


def test_bad_frames_are_refused_with_a_reason(open_ui: PageFactory) -> None:
    """Each malformed frame raises FrameError naming what is wrong (the viewer skips it)."""
    page = open_ui("/")
    results = _js(
        page,
        """
        const out = {};
        for (const [name, b64] of Object.entries(arg)) {
            try { f.parseFrame(bytes(b64)); out[name] = null; }
            catch (error) { out[name] = { name: error.name, message: error.message }; }
        }
        return out;
        """,
        {name: base64.b64encode(data).decode() for name, (data, _) in BAD_FRAMES.items()},
    )
    for name, (_, reason) in BAD_FRAMES.items():
        assert results[name] is not None, f"{name}: accepted"
        assert results[name]["name"] == "FrameError", name
        assert reason in results[name]["message"], (name, results[name]["message"])
