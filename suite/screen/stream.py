"""The presenter's encoding pipeline for one presentation: frames in, region frames out.

Pure (numpy and the encoders; no screen, no socket): the presenter hands it each capture with
its capture time and sends what comes back. Order per capture: colour reduction and window mask
first (so nothing hidden is ever diffed or encoded), then the tile diff, rectangles, encoding,
and finally a bounded chunk of lossless refresh for lossy areas that have been still.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from suite.screen.encoders import (
    DEFAULT_QUALITY,
    ColorDepth,
    Encoder,
    LossyCodec,
    PngEncoder,
    has_few_colors,
    make_encoders,
    reduce_colors,
)
from suite.screen.frames import MAX_SEQ, Encoding, FrameFlags, RegionFrame
from suite.screen.masks import WindowMask
from suite.screen.refresh import BUDGET_PX, STILL_MS, LosslessRefresh
from suite.screen.regions import KEY_FRAME_RATIO, Rect, Update, changed_bounds, plan_update
from suite.screen.settle import COMPARE_FROM_QUALITY, FLOOR_DB, photo_core, settle_photo
from suite.screen.tile_kinds import split_by_kind
from suite.screen.tiles import TILE_PX, changed_tiles_in, hint_windows
from suite.screen.video_frame import VideoFrame

if TYPE_CHECKING:  # the video needs PyAV; a stream without it sends tiles only
    from suite.screen.video.hybrid import MotionVideo


@dataclass(frozen=True)
class StreamOptions:
    """What A8's network setting and colour depth choose, plus tuning knobs.

    Args:
        lossless: high-speed network: every region is sent pixel-exact (PNG).
        quality: JPEG/WebP quality of lossy regions (normal network).
        codec: the lossy codec (JPEG by default; WebP is smaller but ~8x slower to encode).
        colors: colour depth; reduced before the diff, so it also hides tiny changes.
        refresh_still_ms, refresh_budget_px: see :class:`refresh.LosslessRefresh`.
        few_colors_lossless: send regions with few colours (text, flat UI) lossless even on a
            normal network: exact at once, and smaller than JPEG for such content.
        split_tiles: cut a region with many colours along the tile grid, so that its text
            and UI tiles still go lossless and only photo-like tiles lossy
            (:mod:`suite.screen.tile_kinds`).
        photo_floor_db: the refresh settles photo-like tiles as JPEG 4:4:4 at this PSNR per
            tile or better (:mod:`suite.screen.settle`) instead of lossless; None: lossless.
    """

    lossless: bool = False
    quality: int = DEFAULT_QUALITY
    codec: LossyCodec = LossyCodec.JPEG
    colors: ColorDepth = ColorDepth.FULL
    tile_px: int = TILE_PX
    key_frame_ratio: float = KEY_FRAME_RATIO
    refresh_still_ms: float = STILL_MS
    refresh_budget_px: int = BUDGET_PX
    few_colors_lossless: bool = True
    split_tiles: bool = True
    photo_floor_db: float | None = FLOOR_DB


@dataclass
class StreamStats:
    """Counters for logs and the benchmark."""

    captures: int = 0
    frames: int = 0
    key_frames: int = 0
    refresh_frames: int = 0
    settled_frames: int = 0  # refresh frames of photo-like tiles sent at the PSNR floor
    bytes: int = 0
    by_encoding: dict[str, int] = field(default_factory=dict)


class ScreenStream:
    """Diff, merge and encode successive captures of one screen of a fixed size.

    Call :meth:`restart` when a presentation (re)starts: the next capture is sent whole.
    """

    def __init__(self, width: int, height: int, options: StreamOptions | None = None) -> None:
        self.width = width
        self.height = height
        self.options = options or StreamOptions()
        self.lossy_encoder, self.lossless_encoder = make_encoders(
            self.options.quality, self.options.codec
        )
        self.mask: WindowMask | None = None
        # Regions in motion as video (set by the presenter when PyAV is there).
        self.video: MotionVideo | None = None
        self.stats = StreamStats()
        self._previous: np.ndarray | None = None
        self._full_diff = True  # the next diff ignores any damage hint
        self._seq = 0
        self._refresh = LosslessRefresh(
            width, height, self.options.tile_px,
            self.options.refresh_still_ms, self.options.refresh_budget_px,
        )  # fmt: skip

    @property
    def refresh_pending(self) -> bool:
        """True while some lossy region still waits for its lossless refresh."""
        return self._refresh.pending

    @property
    def seq(self) -> int:
        """The sequence number of the last frame produced (0 before the first)."""
        return self._seq

    def restart(self) -> None:
        """Forget what the viewers have: the next capture becomes a key frame, seq starts at 1."""
        self._previous = None
        self._seq = 0
        self._refresh.forget()

    def resend_all(self) -> None:
        """Send the whole screen again with the next capture (a viewer fell behind)."""
        self._previous = None

    def set_mask(self, mask: WindowMask | None) -> None:
        """Share only these windows from the next capture on (None: the whole screen)."""
        if mask != self.mask:
            self._full_diff = True  # pixels outside any damage change with the mask
        self.mask = mask

    def encode(
        self, frame: np.ndarray, capture_ms: float, damage: list[Rect] | None = None
    ) -> list[RegionFrame | VideoFrame]:
        """The region frames that bring viewers from the previous capture to ``frame``.

        Args:
            frame: a BGRA capture of ``width`` x ``height``; it may be modified in place.
            capture_ms: when it was captured (UNIX ms), stamped on every frame; also the
                clock of the lossless refresh.
            damage: where the screen may have changed since the previous capture (the X
                server's damage), or None: the diff then looks only there.

        Returns:
            Frames in send order (video first, then changes, then refresh), possibly none.
        """
        options = self.options
        reduce_colors(frame, options.colors)
        if self.mask is not None:
            frame = self.mask.apply(frame)
        self.stats.captures += 1
        previous = self._previous
        hint = None if damage is None or self._full_diff else [(r.x, r.y, r.w, r.h) for r in damage]
        self._full_diff = False
        grid = changed_tiles_in(previous, frame, hint, options.tile_px)
        self._refresh.note_changed(grid, capture_ms)
        out: list[RegionFrame | VideoFrame] = []
        if self.video is not None:
            video, grid, still = self.video.step(
                frame, grid, capture_ms, previous is None, self._next_seq
            )
            out.extend(video)
            # Video is lossy: the lossless refresh refines the region once it stops (its last
            # video picture stays on the viewers until then), never while it moves.
            for rect in (self.video.region, still):
                if rect is not None:
                    self._refresh.note_sent(rect, False)
                    self._refresh.note_changed(self.video.tile_mask(rect, grid.shape), capture_ms)
        update = plan_update(
            grid, options.tile_px, self.width, self.height, options.key_frame_ratio
        )
        if previous is not None and not update.key:
            update = Update(tuple(changed_bounds(previous, frame, rect) for rect in update.rects))
        if previous is None or hint is None or update.key:
            self._previous = frame
        else:
            # The grab came after the damage was taken: outside the hint it may already show
            # newer pixels, which the next damage reports. The reference keeps what the viewers
            # have there, so that change is still seen then.
            for _, window in hint_windows(hint, self.height, self.width, options.tile_px):
                previous[window] = frame[window]
        out += [
            self._frame(frame, part, encoder, capture_ms, update.key)
            for rect in update.rects
            for part, encoder in self._parts(frame, rect)
        ]
        if not options.lossless:
            for rect in self._refresh.due(capture_ms):
                out += self._refresh_frames(frame, rect, capture_ms)
        return out

    def _refresh_frames(
        self, frame: np.ndarray, rect: Rect, capture_ms: float
    ) -> list[RegionFrame]:
        """The final picture of a still, lossy ``rect``: text and UI tiles lossless, photo-like
        tiles settled at the PSNR floor (lossless where that is not smaller)."""
        floor_db, tile_px = self.options.photo_floor_db, self.options.tile_px
        if floor_db is None:
            return [self._frame(frame, rect, self.lossless_encoder, capture_ms, False)]
        out = []
        for part, photo in split_by_kind(frame, rect, tile_px):
            for piece, core in _photo_pieces(frame, part) if photo else [(part, False)]:
                region = frame[piece.slices()]
                settled = settle_photo(region, tile_px, floor_db) if core else None
                if settled is not None and settled.quality < COMPARE_FROM_QUALITY:
                    payload = settled.payload
                else:
                    payload = self.lossless_encoder.encode(region)
                    if settled is not None and len(settled.payload) < len(payload):
                        payload = settled.payload
                    else:
                        settled = None
                if settled is None:
                    encoding, flags = self.lossless_encoder.encoding, FrameFlags.LOSSLESS
                else:
                    encoding, flags = Encoding.JPEG, FrameFlags.NONE
                    self.stats.settled_frames += 1
                out.append(self._region(piece, encoding, flags, payload, capture_ms, final=True))
            # Its pieces together cover the part whole: each edge tile is final now, though
            # no one piece covers it alone.
            self._refresh.note_sent(part, True)
        self.stats.refresh_frames += len(out)
        return out

    def _parts(self, frame: np.ndarray, rect: Rect) -> list[tuple[Rect, Encoder]]:
        """Lossless on a fast network, and for text and flat UI, where it is also smaller;
        a region with many colours split into its text tiles (lossless) and photo tiles."""
        options = self.options
        if options.lossless or (
            options.few_colors_lossless and has_few_colors(frame[rect.slices()])
        ):
            return [(rect, self.lossless_encoder)]
        if not (options.split_tiles and options.few_colors_lossless):
            return [(rect, self.lossy_encoder)]
        return [
            (part, self.lossy_encoder if photo else self.lossless_encoder)
            for part, photo in split_by_kind(frame, rect, options.tile_px)
        ]

    def _frame(
        self, frame: np.ndarray, rect: Rect, encoder: Encoder, capture_ms: float, key: bool
    ) -> RegionFrame:
        payload = encoder.encode(frame[rect.slices()])
        flags = FrameFlags.NONE
        if encoder.lossless:
            flags |= FrameFlags.LOSSLESS
        if key and (rect.x, rect.y, rect.w, rect.h) == (0, 0, self.width, self.height):
            flags |= FrameFlags.KEY
            self.stats.key_frames += 1
        return self._region(rect, encoder.encoding, flags, payload, capture_ms, encoder.lossless)

    def _region(
        self, rect: Rect, encoding: Encoding, flags: FrameFlags, payload: bytes,
        capture_ms: float, final: bool,
    ) -> RegionFrame:  # fmt: skip
        """Book ``rect`` as sent (``final``: exact or settled, no refresh due) and frame it."""
        self._refresh.note_sent(rect, final)
        region = RegionFrame(
            self._next_seq(), capture_ms, rect.x, rect.y, rect.w, rect.h,
            self.width, self.height, encoding, flags, payload,
        )  # fmt: skip
        self.stats.frames += 1
        self.stats.bytes += len(payload) + 32
        name = encoding.name.lower()
        self.stats.by_encoding[name] = self.stats.by_encoding.get(name, 0) + 1
        return region

    def _next_seq(self) -> int:
        self._seq = self._seq + 1 if self._seq < MAX_SEQ else 1
        return self._seq


def _photo_pieces(frame: np.ndarray, part: Rect) -> list[tuple[Rect, bool]]:
    """``part`` as ``(piece, is_photo)``: the photo itself, and the flat strips around it that
    share its edge tiles (sent lossless: background and UI stay exact)."""
    top, left, bottom, right = photo_core(frame[part.slices()])
    if top == bottom:
        return [(part, False)]
    x0, y0, x1, y1 = part.x + left, part.y + top, part.x + right, part.y + bottom
    strips = (
        Rect(part.x, part.y, part.w, top),
        Rect(part.x, y1, part.w, part.bottom - y1),
        Rect(part.x, y0, left, bottom - top),
        Rect(x1, y0, part.right - x1, bottom - top),
    )
    pieces = [(strip, False) for strip in strips if strip.w > 0 and strip.h > 0]
    return [(Rect(x0, y0, x1 - x0, y1 - y0), True), *pieces]


__all__ = ["PngEncoder", "ScreenStream", "StreamOptions", "StreamStats", "BUDGET_PX"]
