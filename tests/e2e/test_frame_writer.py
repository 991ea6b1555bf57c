"""frame_writer.js writes the bytes suite/screen/frames.py writes, refuses what it refuses, and
region_plan.js plans the rectangles suite/screen/regions.py plans (the agent page
presents in JavaScript)."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from playwright.sync_api import Page

from suite.screen.frames import Encoding, FrameFlags, RegionFrame
from suite.screen.regions import plan_update
from suite.screen.tiles import TILE_PX
from tests.support.ui_pages import PageFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: it only serves the pages whose scripts the tests run."""
    return shared_relay


JPEG, PNG, WEBP = Encoding.JPEG, Encoding.PNG, Encoding.WEBP
GOLDEN = [
    RegionFrame(1, 1764118800250.5, 0, 0, 1280, 720, 1280, 720, JPEG, FrameFlags.KEY, b"\xff\xd8"),
    RegionFrame(2**32 - 1, 0.0, 64, 128, 16, 32, 2560, 1440, PNG, FrameFlags.LOSSLESS, b"png"),
    RegionFrame(77, 12.25, 65519, 0, 16, 9, 65535, 9, WEBP, FrameFlags.NONE, b""),
    RegionFrame(3, 1.5e12, 1216, 704, 64, 16, 1280, 720, PNG,
                FrameFlags.LOSSLESS, b"x" * 300),
]  # fmt: skip


def _fields(frame: RegionFrame) -> dict:
    return {
        "seq": frame.seq, "captureMs": frame.capture_ms, "x": frame.x, "y": frame.y,
        "w": frame.w, "h": frame.h, "screenW": frame.screen_w, "screenH": frame.screen_h,
        "encoding": int(frame.encoding), "flags": int(frame.flags),
    }  # fmt: skip


def _write(page: Page, fields: dict, payload: bytes) -> dict:
    return page.evaluate(
        """async ([fields, b64]) => {
            const w = await import("/ui/common/screen/frame_writer.js");
            const payload = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            try {
                const bytes = w.encodeRegionFrame(fields, payload);
                let text = "";
                for (const b of bytes) text += String.fromCharCode(b);
                return { bytes: btoa(text) };
            } catch (error) {
                return { error: error.name, message: error.message };
            }
        }""",
        [fields, base64.b64encode(payload).decode()],
    )


@pytest.mark.parametrize("frame", GOLDEN, ids=lambda f: f"seq{f.seq}")
def test_js_writes_the_bytes_python_writes(open_ui: PageFactory, frame: RegionFrame) -> None:
    """encodeRegionFrame() gives byte for byte what bytes(RegionFrame(...)) gives."""
    result = _write(open_ui("/"), _fields(frame), frame.payload)
    assert base64.b64decode(result["bytes"]) == bytes(frame)


BAD = {
    "seq 0": ({"seq": 0}, "seq must be 1..4294967295, got 0"),
    "negative time": ({"captureMs": -1}, "capture_ms must be a finite time >= 0"),
    "outside": ({"x": 1250, "w": 64}, "region 64x16 at (1250,0) is outside the 1280x720 screen"),
    "empty": ({"w": 0}, "region 0x16 is empty"),
    "too wide": ({"screenW": 70000}, "screen_w must be 0..65535, got 70000"),
    "encoding": ({"encoding": 9}, "unknown encoding 9"),
    "flags": ({"flags": 4}, "unknown flag bits 0x04"),
    "key not whole": ({"flags": 2}, "a key frame must cover the whole screen"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_js_refuses_what_python_refuses(open_ui: PageFactory, name: str) -> None:
    """A field that breaks the protocol raises RangeError with Python's ValueError message, and
    Python refuses the same fields."""
    change, message = BAD[name]
    fields = {"seq": 1, "captureMs": 5.0, "x": 0, "y": 0, "w": 64, "h": 16, "screenW": 1280,
              "screenH": 720, "encoding": 1, "flags": 0, **change}  # fmt: skip
    result = _write(open_ui("/"), fields, b"")
    assert result.get("error") == "RangeError", result
    assert message in result["message"]
    with pytest.raises(ValueError, match=re.escape(message)):
        RegionFrame(
            fields["seq"], fields["captureMs"], fields["x"], fields["y"], fields["w"],
            fields["h"], fields["screenW"], fields["screenH"], fields["encoding"],
            fields["flags"], b"",
        )  # fmt: skip


def test_js_plans_the_rectangles_python_plans(open_ui: PageFactory) -> None:
    """For 60 random dirty-tile grids (sparse to dense, 1280x720 and a ragged 1000x530 screen),
    planUpdate() returns Python's plan_update() rectangles and key-frame decision."""
    rng = np.random.default_rng(12)
    cases = []
    for index in range(60):
        width, height = (1280, 720) if index % 2 else (1000, 530)
        rows, cols = -(-height // TILE_PX), -(-width // TILE_PX)
        density = [0.02, 0.08, 0.2, 0.45, 0.6][index % 5]
        grid = rng.random((rows, cols)) < density
        plan = plan_update(grid, TILE_PX, width, height)
        cases.append({
            "width": width, "height": height, "rows": rows, "cols": cols,
            "dirty": grid.astype(int).ravel().tolist(),
            "expected": {"key": plan.key, "rects": [[r.x, r.y, r.w, r.h] for r in plan.rects]},
        })  # fmt: skip
    results = open_ui("/").evaluate(
        """async (cases) => {
            const p = await import("/ui/common/screen/region_plan.js");
            return cases.map((c) => {
                const grid = { rows: c.rows, cols: c.cols, dirty: Uint8Array.from(c.dirty) };
                const plan = p.planUpdate(grid, p.TILE_PX, c.width, c.height);
                return { key: plan.key, rects: plan.rects.map((r) => [r.x, r.y, r.w, r.h]) };
            });
        }""",
        cases,
    )
    for case, result in zip(cases, results, strict=True):
        assert result == case["expected"], case["dirty"]
    assert {case["expected"]["key"] for case in cases} == {True, False}
