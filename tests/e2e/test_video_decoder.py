"""The viewer's video decoding in Chromium (WebCodecs), fed real VP9 frames from the presenter's
encoder: layer switches and stream restarts lose no frame, and a decoder that lost its place
says so once."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from suite.screen.video.encoder import VideoEncoder, to_yuv
from suite.screen.video_frame import VideoCodec, VideoFlags, VideoFrame, VideoLayer
from tests.support.ui_pages import PageFactory

pytestmark = pytest.mark.e2e

SCREEN = (640, 480)
REGION = (320, 240)
CODED = {VideoLayer.HIGH: (320, 240), VideoLayer.LOW: (160, 120)}


class Frames:
    """Video frames as the presenter sends them, for one region at (0, 0)."""

    def __init__(self) -> None:
        self.seq = 0
        self._rng = np.random.default_rng(7)
        self._encoders: dict[tuple[int, VideoLayer], VideoEncoder] = {}
        self.out: list[bytes] = []

    def _picture(self):
        w, h = REGION
        pixels = np.zeros((h, w, 4), np.uint8)
        pixels[..., :3] = (
            self._rng.integers(0, 256, (h // 8, w // 8, 3), np.uint8).repeat(8, 0).repeat(8, 1)
        )
        return to_yuv(pixels, VideoCodec.VP9)

    def video(self, stream: int, layer: VideoLayer, count: int, key_first: bool = True) -> None:
        """``count`` frames of ``stream`` on ``layer``, the first a key frame if asked."""
        encoder = self._encoders.get((stream, layer))
        if encoder is None:
            encoder = VideoEncoder(VideoCodec.VP9, *REGION, *CODED[layer], 300_000)
            self._encoders[(stream, layer)] = encoder
        for index in range(count):
            payload, key = encoder.encode(
                self._picture(), 1000.0 + self.seq * 33, key=index == 0 and key_first
            )
            assert key == (index == 0 and key_first)
            self._add(stream, layer, VideoFlags.KEY if key else VideoFlags.NONE, payload)

    def end(self, stream: int) -> None:
        self._add(stream, VideoLayer.HIGH, VideoFlags.END, b"")

    def _add(self, stream: int, layer: VideoLayer, flags: VideoFlags, payload: bytes) -> None:
        self.seq += 1
        coded = REGION if flags & VideoFlags.END else CODED[layer]
        self.out.append(bytes(VideoFrame(
            self.seq, 1000.0 + self.seq * 33, 0, 0, *REGION, *SCREEN, VideoCodec.VP9, flags,
            layer, *coded, stream, payload,
        )))  # fmt: skip


PUSH_ALL = """async (frames) => {
    const { ScreenPainter } = await import("/ui/common/screen/painter.js");
    const { parseVideoFrame } = await import("/ui/common/screen/video_frame.js");
    const canvas = document.createElement("canvas");
    const lost = [];
    const painted = [];
    const failed = [];
    const painter = new ScreenPainter(canvas, {
        onPainted: (frame, { path }) => (path === "failed" ? failed : painted).push(frame.seq),
    });
    painter.decoder.video.onLost = (seq) => lost.push(seq);
    const expected = frames.length;
    const bytes = frames.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
    const parsed = bytes.map((buffer) => parseVideoFrame(buffer));
    const drawn = parsed.filter((frame) => !frame.end).length;
    for (const frame of parsed) painter.push(frame);  // all at once: nothing decoded yet
    const deadline = performance.now() + 15000;
    while (painted.length + failed.length < drawn && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { painted, failed, lost, failures: painter.stats.decodeFailures, expected: drawn };
}"""


def push_all(page, frames: Frames) -> dict:
    return page.evaluate(PUSH_ALL, [base64.b64encode(f).decode() for f in frames.out])


def test_a_layer_switch_and_a_new_stream_lose_no_frame(open_ui: PageFactory) -> None:
    """High frames still decoding when the low layer's key frame arrives are painted, not
    refused; a stream's END handled after the next stream's key frame arrived does not close
    the new stream's decoder: every frame is painted, in order, and nothing is reported lost."""
    frames = Frames()
    frames.video(1, VideoLayer.HIGH, 6)
    frames.video(1, VideoLayer.LOW, 4)  # the relay moved this viewer to the low layer
    frames.video(1, VideoLayer.HIGH, 3)  # ... and up again, at a key frame
    frames.end(1)
    frames.video(2, VideoLayer.HIGH, 5)  # the next stream (a new region)
    result = push_all(open_ui("/"), frames)
    assert result["failed"] == [] and result["failures"] == 0, result
    assert result["painted"] == sorted(result["painted"]) and len(result["painted"]) == 18
    assert result["lost"] == []


def test_a_decoder_that_lost_its_place_says_so_once(open_ui: PageFactory) -> None:
    """Delta frames without their key frame are refused and reported lost once (the first
    one's seq), and decoding resumes at the next key frame."""
    frames = Frames()
    frames.video(1, VideoLayer.HIGH, 4)
    frames.out = frames.out[1:]  # its key frame never came: 3 deltas it cannot follow
    frames.video(1, VideoLayer.HIGH, 3)  # then a key frame and 2 deltas
    result = push_all(open_ui("/"), frames)
    assert result["failed"] == [2, 3, 4], result
    assert result["painted"] == [5, 6, 7], result
    assert result["lost"] == [2], result
