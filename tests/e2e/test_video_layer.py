"""The painter's video layer in Chromium: a video picture smaller than its region is shown on a
layer over the screen canvas (a MediaStreamTrackGenerator's <video>, or a canvas at the coded
size) instead of drawn scaled into it, and the picture read back is the one painting every
frame into the canvas gives; a region frame painted over the video first flattens the layer."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from suite.screen.frames import Encoding, FrameFlags, RegionFrame
from suite.screen.video.encoder import VideoEncoder, to_yuv
from suite.screen.video_frame import VideoCodec, VideoFlags, VideoFrame, VideoLayer
from tests.support.ui_pages import PageFactory

pytestmark = pytest.mark.e2e

SCREEN = (640, 360)
REGION = (64, 32, 480, 270)  # x, y, w, h: coded at 320x180, shown scaled
CODED = (320, 180)
TILE = (448, 256, 128, 64)  # x, y, w, h: overlaps the region's bottom-right corner
ELSEWHERE = (0, 320, 64, 32)  # outside the region


def video_frames(count: int) -> list[bytes]:
    x, y, w, h = REGION
    rng = np.random.default_rng(5)
    encoder = VideoEncoder(VideoCodec.VP9, w, h, *CODED, 1_000_000)
    out = []
    for index in range(count):
        pixels = np.zeros((h, w, 4), np.uint8)
        blocks = rng.integers(0, 256, (h // 30 + 1, w // 30 + 1, 3), np.uint8)
        pixels[..., :3] = blocks.repeat(30, 0).repeat(30, 1)[:h, :w]
        payload, key = encoder.encode(
            to_yuv(pixels, VideoCodec.VP9), 1000.0 + index, key=index == 0
        )
        frame = VideoFrame(index + 1, 1000.0 + index, x, y, w, h, *SCREEN, VideoCodec.VP9,
                           VideoFlags.KEY if key else VideoFlags.NONE, VideoLayer.HIGH, *CODED, 1,
                           payload)  # fmt: skip
        out.append(bytes(frame))
    return out


def tile(seq: int, rect: tuple[int, int, int, int], colour: tuple[int, int, int]) -> bytes:
    x, y, w, h = rect
    png = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(png, "PNG")
    return bytes(RegionFrame(seq, 2000.0, x, y, w, h, *SCREEN, Encoding.PNG, FrameFlags.LOSSLESS,
                             png.getvalue()))  # fmt: skip


PAINT = """async ([frames, kind, checkpoints]) => {
    const { ScreenPainter } = await import("/ui/common/screen/painter.js");
    const { parseFrame } = await import("/ui/common/screen/frame.js");
    const { frameKindOf, parseVideoFrame } = await import("/ui/common/screen/video_frame.js");
    const make = (videoLayer) => {
        const stage = document.createElement("div");
        stage.style.cssText = "position:relative;width:640px;height:360px";
        const canvas = document.createElement("canvas");
        canvas.style.cssText = "display:block;width:100%;height:100%";
        stage.append(canvas);
        document.body.append(stage);
        const painted = [];
        const painter = new ScreenPainter(canvas, { videoLayer,
            onPainted: (frame, { path }) => painted.push(path) });
        return { painter, painted, stage };
    };
    const layered = make({ kind }), plain = make(false);
    const buffers = frames.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
    const encode = (data) => {
        let binary = "";
        for (let i = 0; i < data.length; i += 0x8000) {
            binary += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
        }
        return btoa(binary);
    };
    const shots = [];
    for (const [index, buffer] of buffers.entries()) {
        for (const one of [layered, plain]) {
            const copy = buffer.slice(0);
            one.painter.push(frameKindOf(copy) === 2 ? parseVideoFrame(copy) : parseFrame(copy));
        }
        const deadline = performance.now() + 10000;
        while ((layered.painted.length <= index || plain.painted.length <= index)
               && performance.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        if (checkpoints.includes(index)) {
            const element = layered.stage.querySelector(".rs-video-layer");
            shots.push({
                layered: encode(layered.painter.readPixels(0, 0, 640, 360).data),
                plain: encode(plain.painter.readPixels(0, 0, 640, 360).data),
                canvas: encode(layered.painter.context.getImageData(0, 0, 640, 360).data),
                shown: layered.painter.videoLayer.shown,
                display: element.style.display,
                tag: element.tagName,
            });
        }
    }
    return { shots, layered: layered.painted, plain: plain.painted };
}"""


def rgb(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), np.uint8).reshape(SCREEN[1], SCREEN[0], 4)[..., :3]


@pytest.mark.parametrize("kind", ["track", "canvas"])
def test_the_video_layer_shows_what_painting_into_the_canvas_shows(
    open_ui: PageFactory, kind: str
) -> None:
    frames = video_frames(4)
    frames.append(tile(5, ELSEWHERE, (10, 200, 30)))  # beside the video: the layer stays
    frames.append(tile(6, TILE, (250, 20, 40)))  # over the video: flattened first
    page = open_ui("/")
    result = page.evaluate(PAINT, [[base64.b64encode(f).decode() for f in frames], kind, [3, 4, 5]])
    assert result["layered"] == result["plain"], result
    assert result["layered"] == ["video"] * 4 + ["imagedecoder"] * 2, result
    during, beside, after = result["shots"]
    assert during["tag"] == ("VIDEO" if kind == "track" else "CANVAS")
    assert during["shown"] and during["display"] == "block"
    assert beside["shown"] and beside["display"] == "block"
    assert not after["shown"] and after["display"] == "none"
    for shot in (during, beside, after):
        layered, plain = rgb(shot["layered"]), rgb(shot["plain"])
        difference = np.abs(layered.astype(int) - plain.astype(int))
        assert difference.mean() < 1.0 and difference.max() <= 24, difference.max()
    x, y, w, h = TILE
    assert (rgb(after["layered"])[y : y + h, x : x + w] == (250, 20, 40)).all()
    x, y, w, h = ELSEWHERE
    assert (rgb(beside["layered"])[y : y + h, x : x + w] == (10, 200, 30)).all()
    # while shown the video is on the layer, not in the screen canvas (blank there)
    x, y, w, h = REGION
    assert rgb(during["plain"])[y : y + h, x : x + w].std() > 20  # blocks of colour
    blank = rgb(during["canvas"])[y : y + h, x : x + w]
    assert (blank == (0x1B, 0x1F, 0x27)).all()  # the painter's blank colour
    assert rgb(after["canvas"])[y : y + h, x : x + w].std() > 20  # flattened into it
