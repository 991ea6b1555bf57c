"""Video frames of a presentation to its viewers, as an SFU forwards them (pure: no sockets).

Video frames depend on the ones before them, so "latest wins" (``fanout``) cannot drop them one
by one. What the relay does instead:

- **Simulcast**: the presenter sends two layers of each stream (``high``, ``low``: half size, a
  fraction of the bitrate). Every viewer gets one. A new viewer starts on ``high``.
- **Key frames on request**: a viewer starts only at a recent key frame of its layer
  (:func:`start_at_key`). A viewer that joins mid-motion, that had to skip frames, or whose
  decoder lost its place (``video_lost``) waits for one and, once its window has room, the relay
  asks the presenter (``request_key_frame``, at most once per ``KEY_REQUEST_INTERVAL_S`` per
  layer). A key frame does not move the viewers already in the stream: they go on through it.
- **Lag**: the relay keeps the recent frames of each layer (at most ``KEPT_FRAMES``) and sends
  a viewer those after the last one it got, as its window allows.
  Lag is measured in time: how much older (capture time) the next frame it would be sent is
  than the newest frame of its layer. Its window counts frames until the viewer acknowledges
  them *painted*, so a viewer whose CPU cannot decode and paint the high layer (a phone) lags
  exactly like one on a slow link. Lagging more than ``HIGH_MAX_LAG_MS`` on ``high``, a viewer
  moves to ``low``; on ``low`` it goes on with the frames it has (catching up with small delta
  frames costs less than any key frame) and skips to the next key frame only when it is more
  than ``LOW_MAX_LAG_MS`` behind. A viewer on ``low`` whose measured delivery rate is well above
  the high layer's is moved up again after ``PROBE_INTERVAL_S``; each move down doubles that
  wait (up to ``MAX_PROBE_INTERVAL_S``), so a viewer that cannot hold ``high`` stops trying.
- **Starting on low**: a viewer entering the stream whose measured rate would take more than
  ``START_LOW_KEY_S`` to bring the high layer's last key frame starts on ``low``
  (:func:`start_layer`): it would lag from its first frame and be moved down anyway, after a
  key frame it could not use (a 1 Mbit/s viewer spent 1.3 s on a 165 kB one). A viewer whose
  rate is not known yet and that has frames in flight enters once they are acknowledged. The
  same rule keeps a low viewer from moving up.
- A stream's ``END`` frame goes at once to every viewer that had the stream; the region then
  comes as ordinary region frames.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from suite.screen.video_frame import CODEC_NAMES, VIDEO_HEADER_BYTES, VideoFrame, VideoLayer

KEPT_FRAMES = 90
HIGH_MAX_LAG_MS = 250.0
LOW_MAX_LAG_MS = 1500.0
KEY_REQUEST_INTERVAL_S = 0.25
PROBE_INTERVAL_S = 5.0
MAX_PROBE_INTERVAL_S = 60.0
# A viewer that has not said what it decodes (``decoder_support``) this long after joining
# counts as decoding nothing; until then it does not stop everyone's video (it gets none).
ANNOUNCE_GRACE_S = 2.0
# A viewer entering the stream starts on low when the high layer's key frame would take it
# longer than this (at its measured rate). Four times the high layer's lag limit: a rate
# measured on small frames underestimates a fast link, and a fast viewer put on low for
# nothing would wait PROBE_INTERVAL_S to come back.
START_LOW_KEY_S = 1.0
UP_MARGIN = 2.0  # a low viewer moves up when its rate is this many times the high layer's
RATE_WINDOW_S = 2.0
LAYER_NAMES = {VideoLayer.HIGH: "high", VideoLayer.LOW: "low"}


@dataclass(frozen=True, slots=True)
class KeptVideo:
    """A video frame as the relay keeps it: the parsed header, and the bytes to forward."""

    header: VideoFrame
    data: bytes

    @classmethod
    def parse(cls, data: bytes) -> KeptVideo:
        """Check the header; the packet is forwarded unread.

        Raises:
            ValueError: naming what is wrong with the frame.
        """
        if len(data) < VIDEO_HEADER_BYTES:
            raise ValueError(
                f"video frame is {len(data)} bytes; the header alone is {VIDEO_HEADER_BYTES}"
            )
        return cls(VideoFrame.parse(data), data)


@dataclass(slots=True)
class ViewerVideo:
    """One viewer's place in the video: what it decodes, its layer, the last frame it got."""

    codecs: frozenset[str] | None = None  # None: not announced yet (counts as none)
    layer: VideoLayer = VideoLayer.HIGH
    at: int | None = None  # seq of the last frame of the current stream it was sent
    # Waiting for a key frame (at is None): only one newer than this seq will do (an older one
    # would bring every frame after it at once).
    wait_after: int = 0
    in_stream: bool = False
    key_seq: int = 0  # seq of the last key frame it was sent
    joined_at: float = float("-inf")
    moved_at: float = float("-inf")
    probe_s: float = PROBE_INTERVAL_S  # how long on low before trying high again


def choose_layer(
    layer: VideoLayer,
    lagging: bool,
    rate_bps: float | None,
    high_bps: float,
    since_move_s: float,
    probe_s: float = PROBE_INTERVAL_S,
) -> VideoLayer:
    """The layer a viewer should get next (pure; the rules in the module docstring).

    Args:
        layer: the one it is on.
        lagging: it is further behind than its layer allows (:func:`lag_limit_ms`).
        rate_bps: its measured delivery rate in bytes/s (None: unknown).
        high_bps: the high layer's recent bytes/s.
        since_move_s: seconds since it last changed layer.
        probe_s: how long it must have been on low before it tries high again.
    """
    if lagging:
        return VideoLayer.LOW
    if (
        layer is VideoLayer.LOW
        and rate_bps is not None
        and high_bps > 0
        and rate_bps > UP_MARGIN * high_bps
        and since_move_s >= probe_s
    ):
        return VideoLayer.HIGH
    return layer


def start_layer(
    layer: VideoLayer, rate_bps: float | None, high_key_bytes: int | None
) -> VideoLayer:
    """The layer a viewer entering the stream starts on (pure): ``low`` when at ``rate_bps``
    (bytes/s; None: unknown) the high layer's key frame of ``high_key_bytes`` (None: none yet)
    would take longer than ``START_LOW_KEY_S``; else ``layer``."""
    if (
        layer is VideoLayer.HIGH
        and rate_bps
        and high_key_bytes
        and high_key_bytes / rate_bps > START_LOW_KEY_S
    ):
        return VideoLayer.LOW
    return layer


def lag_limit_ms(layer: VideoLayer) -> float:
    """How far behind the newest frame of its layer a viewer may be before it is lagging."""
    return HIGH_MAX_LAG_MS if layer is VideoLayer.HIGH else LOW_MAX_LAG_MS


def lag_ms(waiting: list[KeptVideo], newest: KeptVideo | None) -> float:
    """How much older the next frame to send is than the newest one (0: nothing waits)."""
    if not waiting or newest is None:
        return 0.0
    return max(0.0, newest.header.capture_ms - waiting[0].header.capture_ms)


def start_at_key(
    frames: list[KeptVideo], after_seq: int, layer: VideoLayer
) -> list[KeptVideo] | None:
    """Where a viewer waiting for a key frame starts: the newest kept key frame newer than
    ``after_seq`` and every frame after it, if that key frame is recent (its lag within the
    layer's limit); None: a fresh key frame is needed (a stale one would bring seconds of
    delta frames at once and put the viewer behind from its first frame)."""
    for index in range(len(frames) - 1, -1, -1):
        header = frames[index].header
        if header.seq <= after_seq:
            return None
        if header.key:
            start = frames[index:]
            if lag_ms(start, frames[-1]) > lag_limit_ms(layer):
                return None
            return start
    return None


def next_probe_s(probe_s: float, moved_down: bool) -> float:
    """The wait before the next try on high: doubled by each move down, at most
    ``MAX_PROBE_INTERVAL_S``."""
    return min(MAX_PROBE_INTERVAL_S, probe_s * 2) if moved_down else probe_s


@dataclass
class VideoRoutes:
    """The current stream's recent frames per layer, and the key frames asked for.

    Args:
        ask_key: sends the presenter ``request_key_frame`` for a layer.
        clock: monotonic seconds.
    """

    ask_key: Callable[[VideoLayer], None]
    clock: Callable[[], float]
    frames: dict[VideoLayer, list[KeptVideo]] = field(
        default_factory=lambda: {VideoLayer.HIGH: [], VideoLayer.LOW: []}
    )
    codec_name: str | None = None
    grace: bool = True  # a joiner's ANNOUNCE_GRACE_S applies (the shell has a timer to end it)
    # The current stream's region on the screen (x, y, w, h); None: no stream.
    region: tuple[int, int, int, int] | None = None
    last_seq: int = 0
    key_requests: int = 0
    layer_moves: int = 0
    low_starts: int = 0  # viewers that entered a stream on low (start_layer)
    lost_reports: int = 0
    _asked: dict[VideoLayer, float] = field(default_factory=dict)
    _sizes: dict[VideoLayer, deque[tuple[float, int]]] = field(
        default_factory=lambda: {VideoLayer.HIGH: deque(), VideoLayer.LOW: deque()}
    )
    _key_bytes: dict[VideoLayer, int] = field(default_factory=dict)  # the stream's last ones

    def reset(self) -> None:
        """Forget the stream (a presentation starts or stops, a key region frame came)."""
        for kept in self.frames.values():
            kept.clear()
        self.codec_name = None
        self.region = None
        self._key_bytes.clear()

    def add(self, kept: KeptVideo) -> None:
        """Keep a frame of the current stream (not an END: see :meth:`end`).

        A key frame does not drop the frames before it: a viewer in the middle of them goes
        on through it with the same decoder (dropping them made every viewer of the layer
        lose its place at each key frame another viewer asked for, and ask for one in turn).
        """
        frame = kept.header
        frames = self.frames[frame.layer]
        if frames and frames[0].header.stream_id != frame.stream_id:
            frames.clear()
        frames.append(kept)
        if len(frames) > KEPT_FRAMES:
            del frames[0]
        if frame.key:
            self._key_bytes[frame.layer] = len(kept.data)
        self.codec_name = CODEC_NAMES[frame.codec]
        self.region = (frame.x, frame.y, frame.w, frame.h)
        self.last_seq = frame.seq
        now = self.clock()
        sizes = self._sizes[frame.layer]
        sizes.append((now, len(kept.data)))
        while sizes and sizes[0][0] < now - RATE_WINDOW_S:
            sizes.popleft()

    def end(self, viewers: Iterable[ViewerVideo]) -> None:
        """The stream is over: nobody is in it any more."""
        self.reset()
        for viewer in viewers:
            viewer.at, viewer.in_stream, viewer.key_seq = None, False, 0

    def layer_bps(self, layer: VideoLayer) -> float:
        sizes = self._sizes[layer]
        if len(sizes) < 2:
            return 0.0
        span = max(sizes[-1][0] - sizes[0][0], 1 / 30)
        return sum(n for _, n in sizes) / span

    def covers(self, viewer: ViewerVideo, x: int, y: int, w: int, h: int) -> bool | None:
        """Whether a region frame at this rectangle can be skipped for ``viewer``: True when
        the running stream's region covers it and the viewer decodes the stream (its key frame
        will paint over it); None when it is covered but the viewer has not said yet what it
        decodes (within its grace: hold it, and everything after it, until it does); False:
        send it."""
        if self.region is None:
            return False
        rx, ry, rw, rh = self.region
        if not (rx <= x and ry <= y and x + w <= rx + rw and y + h <= ry + rh):
            return False
        if (
            self.grace
            and viewer.codecs is None
            and self.clock() - viewer.joined_at < ANNOUNCE_GRACE_S
        ):
            return None
        return self.decodes(viewer)

    def decodes(self, viewer: ViewerVideo) -> bool:
        return (
            self.codec_name is not None
            and bool(viewer.codecs)
            and (self.codec_name in (viewer.codecs or ()))
        )

    def pending(
        self, viewer: ViewerVideo, rate_bps: float | None, room: bool = True, busy: bool = False
    ) -> list[KeptVideo]:
        """The frames ``viewer`` should be sent next, oldest first (may move its layer and,
        when its window has ``room``, ask the presenter for a key frame). ``busy``: frames are
        in flight to it; a viewer entering the stream with its rate unknown then waits for
        their acknowledgements, which measure it (:func:`start_layer` needs it: under load the
        video started while a 1 Mbit/s viewer's first region frames were on their way, and it
        was sent the high layer's key frame)."""
        if not self.decodes(viewer):
            return []
        if busy and rate_bps is None and viewer.at is None and not viewer.in_stream:
            return []
        now = self.clock()
        waiting = self._after(viewer)
        frames = self.frames[viewer.layer]
        lagging = waiting is not None and lag_ms(
            waiting, frames[-1] if frames else None
        ) > lag_limit_ms(viewer.layer)
        layer = choose_layer(
            viewer.layer, lagging, rate_bps,
            self.layer_bps(VideoLayer.HIGH), now - viewer.moved_at, viewer.probe_s,
        )  # fmt: skip
        high_key = self._key_bytes.get(VideoLayer.HIGH)
        if layer is VideoLayer.HIGH and viewer.layer is VideoLayer.LOW:
            # Moving up starts at a high key frame too: not when it would take over
            # START_LOW_KEY_S (the high layer's bytes/s is small when the presenter captures
            # slowly, and a 1 Mbit/s viewer moved up to a 165 kB key frame and back down).
            layer = start_layer(layer, rate_bps, high_key)
        if waiting is None and not viewer.in_stream:  # entering the stream
            entering = start_layer(layer, rate_bps, high_key)
            self.low_starts += int(entering is not layer)
            layer = entering
        if layer is not viewer.layer or (lagging and layer is VideoLayer.LOW):
            if layer is not viewer.layer:
                self.layer_moves += 1
                viewer.moved_at = now
                viewer.probe_s = next_probe_s(viewer.probe_s, lagging)
            # A key frame newer than the last frame it got will do (one asked for by
            # another viewer a moment ago, too).
            after = viewer.wait_after if viewer.at is None else viewer.at
            viewer.layer, viewer.at, viewer.wait_after = layer, None, after
            waiting = None
        if waiting is None:  # it needs a key frame of its layer
            start = start_at_key(self.frames[viewer.layer], viewer.wait_after, viewer.layer)
            if start is not None:
                return start
            if room:  # no key frame for a viewer that could not take it yet: it would be stale
                self._want_key(viewer.layer, now)
            return []
        return waiting

    def lost(self, viewer: ViewerVideo, seq: int) -> bool:
        """The viewer's decoder lost its place at frame ``seq`` (``video_lost``): it starts
        again at a key frame of its layer newer than that one. Ignored when it was sent a key
        frame after ``seq`` already (the report crossed it), or is waiting for one anyway.

        Returns:
            Whether the viewer now waits for a key frame.
        """
        if viewer.at is None or viewer.key_seq > seq:
            return False
        viewer.at, viewer.wait_after = None, max(seq, viewer.key_seq)
        self.lost_reports += 1
        return True

    def sent(self, viewer: ViewerVideo, kept: KeptVideo) -> None:
        viewer.at = kept.header.seq
        viewer.in_stream = True
        if kept.header.key:
            viewer.key_seq = kept.header.seq

    def joined(self, viewer: ViewerVideo) -> None:
        """A viewer came (or announced its decoders): it starts at the next key frame."""
        viewer.at, viewer.wait_after = None, self.last_seq
        if self.decodes(viewer) and self.frames[viewer.layer]:
            self._want_key(viewer.layer, self.clock())

    def _after(self, viewer: ViewerVideo) -> list[KeptVideo] | None:
        """Frames after the last one the viewer got (None: it has none of this stream)."""
        if viewer.at is None:
            return None
        frames = self.frames[viewer.layer]
        for index, kept in enumerate(frames):
            if kept.header.seq == viewer.at:
                return frames[index + 1 :]
        viewer.wait_after, viewer.at = viewer.at, None
        return None  # fell out of the kept frames: it must start again at a key frame

    def _want_key(self, layer: VideoLayer, now: float) -> None:
        if now - self._asked.get(layer, float("-inf")) < KEY_REQUEST_INTERVAL_S:
            return
        self._asked[layer] = now
        self.key_requests += 1
        self.ask_key(layer)


def common_codecs(viewers: Iterable[ViewerVideo], now: float | None = None) -> list[str]:
    """The codecs every viewer decodes. A viewer that said nothing decodes none, except, when
    ``now`` is given, within ``ANNOUNCE_GRACE_S`` of joining: then it does not count (a joiner
    announces within milliseconds, and counting it as none would end everyone's video stream
    and start a new one at every join)."""
    common: set[str] | None = None
    for viewer in viewers:
        if viewer.codecs is None and now is not None and now - viewer.joined_at < ANNOUNCE_GRACE_S:
            continue
        have = set(viewer.codecs or ())
        common = have if common is None else common & have
    return sorted(common or ())
