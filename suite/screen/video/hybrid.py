"""The hybrid of video and tiles: regions in motion as VP8/VP9, everything else as tiles (pure).

:class:`MotionVideo` sits inside :class:`suite.screen.stream.ScreenStream`. For each capture it
takes the changed-tile grid, asks :class:`.motion.MotionTracker` where motion is, encodes that
region as video (two simulcast layers: ``high``, at most 1280x720's area, and ``low``, at
most 480x270's at a twelfth of the bitrate and 30 frames/s, for viewers on slow links or slow
CPUs; the capture is converted to I420 once, at the high layer's size, and the low layer's
encoder scales that picture) and
takes its tiles out of the grid (the low layer only once the relay asked for its key frame in
this stream: a viewer moved to it), so the tile path sends only what changed around it (text and
UI stay exact on top). When motion stops the stream ends with an ``END`` frame; its last
picture stays on the viewers and the lossless refresh refines it as it does every lossy region
(no second, JPEG copy of the region is sent).

Video is used only when the relay says every viewer decodes a codec (``video_codecs``): one
viewer without WebCodecs puts the whole presentation on the JPEG path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from av.video.reformatter import VideoReformatter

from suite.screen.regions import Rect
from suite.screen.video.encoder import Encoder, VideoEncoder, to_yuv
from suite.screen.video.motion import MotionTracker
from suite.screen.video_frame import (
    CODEC_NAMES,
    MAX_STREAM_ID,
    VideoCodec,
    VideoFlags,
    VideoFrame,
    VideoLayer,
)

# Bitrates for a full 1920x1080 region, scaled by the region's area (with a floor): the high
# layer fits the 4 Mbit/s budget with room for the tiles around it; the low layer fits a
# 1 Mbit/s link with its key frames and the tiles around it (~2 kB a delta frame at 15-20 fps).
# VBR's target is per second (the pts are capture times), so the high layer's video is about
# its bitrate / 8 whatever the capture rate: 2.5 Mbit/s is ~310 kB/s, leaving ~90 kB/s of the
# 400 kB/s we allow ourselves (of the 500 budget) for the tiles and key frames. It was
# 2 Mbit/s; on the benchmark's grainy pan (libvpx speed 9, coded at 720p, PSNR against the
# screen, 100-120 frames) 2.5 gives +0.03-0.05 dB (32.03-32.05 -> 32.07-32.10) for +25 % of
# bytes, and 3 Mbit/s only +0-0.04 more: at 720p the scaling, not the bitrate, limits it
# (the 720p picture scaled back, not encoded at all, is 32.36 dB against the screen; the
# encoder's quantiser sits at 8 of 63 at any of these rates). Larger coded sizes lose under
# this byte budget at speed 9: 1440x810 at 2.5-2.8 Mbit/s 31.78-31.93 dB, 1600x900 at 2.5-3
# 31.96-31.98, 1920x1080 at 3 31.69 (quantiser 12-18), at 1.3-2.3x the 720p encode's CPU.
HIGH_BITRATE_BPS = 2_500_000
LOW_BITRATE_BPS = 250_000
MIN_BITRATE_BPS = 100_000
FULL_HD_PX = 1920 * 1080
# Coded sizes. The high layer of a large region is coded at most 1280x720's area: VP9's
# real-time encoder costs about its pixel count (libvpx speed 9 on this machine's cores, the
# grainy pan, process CPU: 1080p ~26-30 ms a frame, 1600x900 ~21-23, 720p ~10-14), which
# 30 captures/s cannot afford beside the conversion and the diff, and at these bitrates the
# larger pictures come out no better (see the bitrates above). The low layer is at most
# 480x270's area and half the side: ~2 ms to encode, key frames of ~30 kB that a 1 Mbit/s
# link carries in a quarter of a second.
HIGH_MAX_CODED_PX = 1280 * 720
LOW_MAX_CODED_PX = 480 * 270
LOW_SCALE = 2
# The low layer at most this often: every capture up to 33 captures/s. It was 20, which at the
# presenter's 21-40 captures/s gave the low layer every other capture (12.9 frames/s at 25.7
# captures/s): that, not its CPU, capped the 4x CPU-throttled viewer at 13 fps. The bytes stay
# the rate control's (LOW_BITRATE_BPS, ~31 kB/s at any frame rate), and a viewer that cannot
# paint them all lags and catches up with delta frames as before.
LOW_MAX_FPS = 30
# VP9 only for now: our VP8 settings decode to ~25 dB (VP9: 34-36 dB at the same bitrate) at
# several times the encode time, worse than the JPEG path; every engine we ship to (Chromium,
# QtWebEngine, WebKitGTK 2.50) decodes VP9. A viewer with VP8 alone gets the JPEG path.
PREFERRED_CODECS: tuple[VideoCodec, ...] = (VideoCodec.VP9,)

# (codec, region w, h, coded w, h, bitrate) -> an encoder. The presenter passes
# :func:`.libvpx.encoder_factory`'s (libvpx directly at speed 9 where it loads).
EncoderFactory = Callable[[VideoCodec, int, int, int, int, int], Encoder]


@dataclass
class VideoStats:
    frames: int = 0
    key_frames: int = 0
    streams: int = 0
    bytes: int = 0


def choose_codec(names: Iterable[str], preferred: Iterable[VideoCodec] = PREFERRED_CODECS):
    """The first preferred codec every viewer decodes (None: no video, the JPEG path)."""
    have = set(names)
    for codec in preferred:
        if CODEC_NAMES[codec] in have:
            return codec
    return None


def layer_size(w: int, h: int, layer: VideoLayer) -> tuple[int, int]:
    """The coded size of a layer for a ``w`` x ``h`` region (even sides, never larger)."""
    if layer is VideoLayer.HIGH:
        scale = min(1.0, math.sqrt(HIGH_MAX_CODED_PX / (w * h)))
    else:
        scale = min(1.0 / LOW_SCALE, math.sqrt(LOW_MAX_CODED_PX / (w * h)))
    return max(2, int(w * scale) & ~1), max(2, int(h * scale) & ~1)


def layer_bitrate(w: int, h: int, layer: VideoLayer) -> int:
    full = HIGH_BITRATE_BPS if layer is VideoLayer.HIGH else LOW_BITRATE_BPS
    return max(MIN_BITRATE_BPS, int(full * min(1.0, w * h / FULL_HD_PX)))


def low_layer_due(capture_ms: float, last_ms: float | None) -> bool:
    """Whether this capture also goes out on the low layer (at most ``LOW_MAX_FPS``; a tenth
    of an interval early still counts, so 30 captures/s give 15 low frames/s, not 10)."""
    return last_ms is None or capture_ms - last_ms >= 0.9 * 1000.0 / LOW_MAX_FPS


class MotionVideo:
    """Encodes the motion region of each capture as video.

    Args:
        width, height, tile_px: the screen and the diff's tiles.
        preferred: codecs in order of preference (see ``PREFERRED_CODECS``).
        make_encoder: builds each layer's encoder (:class:`.encoder.VideoEncoder`, FFmpeg's,
            unless the caller passes another; tests may count calls).
    """

    def __init__(
        self,
        width: int,
        height: int,
        tile_px: int,
        preferred: tuple[VideoCodec, ...] = PREFERRED_CODECS,
        make_encoder: EncoderFactory = VideoEncoder,
    ) -> None:
        self.width, self.height = width, height
        self.tracker = MotionTracker(width, height, tile_px)
        self.preferred = preferred
        self._make_encoder = make_encoder
        self.codec: VideoCodec | None = None  # what every viewer decodes (None: no video)
        self.stats = VideoStats()
        self._region: Rect | None = None
        self._tiles: tuple[slice, slice] | None = None
        self._stream_codec: VideoCodec | None = None
        self._encoders: dict[VideoLayer, Encoder] = {}
        self._stream_id = 0
        self._keys_wanted: set[VideoLayer] = set()
        self._low_ms: float | None = None  # when the low layer last got a frame
        # The low layer is encoded only once the relay asked for its key frame in this stream
        # (a viewer moved to it): with every viewer on high it would be ~10 % of a capture's
        # CPU for nobody.
        self._low_on = False
        self._converter = VideoReformatter()  # kept from capture to capture (see to_yuv)

    @property
    def region(self) -> Rect | None:
        """The region being sent as video (None: none)."""
        return self._region

    def tile_mask(self, rect: Rect, shape: tuple[int, ...]) -> np.ndarray:
        """A tile grid of ``shape`` with the tiles ``rect`` touches set."""
        mask = np.zeros(shape, dtype=bool)
        t = self.tracker.tile_px
        mask[rect.y // t : -(-(rect.y + rect.h) // t), rect.x // t : -(-(rect.x + rect.w) // t)] = (
            True
        )
        return mask

    def set_codecs(self, names: Iterable[str]) -> None:
        """What every viewer decodes, from the relay's ``video_codecs``."""
        self.codec = choose_codec(names, self.preferred)

    def request_key(self, layer: VideoLayer) -> None:
        """The next frame of ``layer`` is a key frame (a viewer joined or skipped frames). The
        first request for the low layer starts it for the rest of the stream."""
        self._keys_wanted.add(layer)
        if layer is VideoLayer.LOW:
            self._low_on = True

    def step(
        self,
        frame: np.ndarray,
        grid: np.ndarray,
        capture_ms: float,
        whole: bool,
        next_seq: Callable[[], int],
    ) -> tuple[list[VideoFrame], np.ndarray, Rect | None]:
        """Video for one capture.

        Args:
            frame: the BGRA capture (after the mask).
            grid: its changed tiles; not modified.
            whole: the whole screen goes out as a key region frame (a restart): video stops.
            next_seq: gives each frame produced its sequence number.

        Returns:
            The video frames to send first; the grid the tile path should send (the motion
            region's tiles taken out); and a region that just stopped moving, now lossy on the
            viewers (None when there is none).
        """
        region: Rect | None = None
        if whole or self.codec is None:
            self.tracker.reset()
        else:
            region = self.tracker.update(grid, capture_ms)
        out: list[VideoFrame] = []
        ended: Rect | None = None
        if self._region is not None and (
            region is not self._region or self.codec != self._stream_codec
        ):
            if region is None and not whole:
                ended = self._region
                grid = grid.copy()
                assert self._tiles is not None
                grid[self._tiles] = False
            out.append(self._end(next_seq(), capture_ms))
        if region is None:
            return out, grid, ended
        starting = self._region is None
        if starting:
            self._start(region)
        tiles = self.tracker.tiles()
        assert self.codec is not None and tiles is not None
        # Nothing moved in it this time (it may yet stop): no frame, unless a viewer waits
        # for a key frame.
        encode = starting or bool(self._keys_wanted) or bool(grid[tiles].any())
        picture = None
        if encode:  # converted once, at the high layer's coded size (the low layer scales it)
            high = self._encoders[VideoLayer.HIGH]
            size = (high.coded_w, high.coded_h)
            picture = to_yuv(frame[region.slices()], self.codec, size, self._converter)
        layers = list(self._encoders.items()) if encode else []
        for layer, encoder in layers:
            assert picture is not None
            wanted = layer in self._keys_wanted
            if layer is VideoLayer.LOW:
                if not self._low_on:
                    continue  # no viewer on it yet
                if not (wanted or low_layer_due(capture_ms, self._low_ms)):
                    continue  # the low layer at a lower frame rate (its viewers are slow)
                self._low_ms = capture_ms
            self._keys_wanted.discard(layer)
            payload, key = encoder.encode(picture, capture_ms, key=wanted)
            if not payload:
                continue
            flags = VideoFlags.KEY if key else VideoFlags.NONE
            out.append(VideoFrame(
                next_seq(), capture_ms, region.x, region.y, region.w, region.h,
                self.width, self.height, self.codec, flags, layer,
                encoder.coded_w, encoder.coded_h, self._stream_id, payload,
            ))  # fmt: skip
            self.stats.frames += 1
            self.stats.key_frames += int(key)
            self.stats.bytes += len(payload)
        grid = grid.copy()
        self._tiles = tiles
        grid[tiles] = False
        return out, grid, None

    def _start(self, region: Rect) -> None:
        assert self.codec is not None
        self._region = region
        self._stream_codec = self.codec
        self._stream_id = self._stream_id % MAX_STREAM_ID + 1
        self.stats.streams += 1
        self._keys_wanted.clear()
        self._encoders = {}
        self._low_ms = None
        self._low_on = False
        for layer in (VideoLayer.HIGH, VideoLayer.LOW):
            coded_w, coded_h = layer_size(region.w, region.h, layer)
            self._encoders[layer] = self._make_encoder(
                self.codec, region.w, region.h, coded_w, coded_h,
                layer_bitrate(region.w, region.h, layer),
            )  # fmt: skip

    def _end(self, seq: int, capture_ms: float) -> VideoFrame:
        region = self._region
        assert region is not None and self._stream_codec is not None
        self._region = None
        self._encoders = {}
        return VideoFrame(
            seq, capture_ms, region.x, region.y, region.w, region.h, self.width, self.height,
            self._stream_codec, VideoFlags.END, VideoLayer.HIGH, region.w, region.h,
            self._stream_id,
        )  # fmt: skip
