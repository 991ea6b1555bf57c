"""Fan-out of one presentation to its viewers, "latest wins" (pure: no sockets, no gevent).

The relay keeps, for every 16-pixel cell of the agent's screen, the frames that currently make
up its picture (normally one; several while newer frames cover it only in part). A frame no
cell needs any more is dropped, so the frames kept are exactly the current picture. A viewer
therefore needs precisely the kept frames it has not been sent (its dirty cells are the cells
of those frames), and has its own window of frames in flight: when the window has room, it is
sent the oldest of the frames it needs. So a late joiner gets the current picture without
asking the agent, and a slow viewer gets fewer, newer frames while the others go on.

The presenter is paced by credits: it may capture when the relay grants one, and the relay
grants one when a viewer is ready for more (window open, nothing pending). No viewers, or a
paused screen: no credit, so the agent's machine does not capture at all.

Waiting for the viewer's last paint before asking for the next capture leaves both sides idle in
turn (the viewer while the agent captures and encodes, the agent while the viewer decodes). With
a timer (``call_later``), the relay grants the next credit *early*: at the moment the viewer is
expected to finish painting what it has, minus the time the presenter usually takes from a
credit to a frame (both measured, as medians of recent samples). The next frame then arrives
about when the viewer is free: the two sides overlap, and the frame does not wait in a queue.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Generic, Protocol, TypeVar

from relay_server.screen.video_fanout import (
    ANNOUNCE_GRACE_S,
    LAYER_NAMES,
    KeptVideo,
    VideoRoutes,
    ViewerVideo,
    common_codecs,
)
from suite.protocol import CaptureCredit, RequestKeyFrame, ScreenState, VideoCodecs
from suite.screen.frames import HEADER_BYTES, RegionFrame
from suite.screen.video_frame import VideoLayer

CELL_PX = 16
# In flight to one viewer (sent, not yet acknowledged): at most this many frames and bytes,
# at least one frame. A capture often makes several region frames; bytes keep a slow viewer
# from queueing seconds of key frames.
VIEWER_WINDOW_FRAMES = 8
VIEWER_WINDOW_BYTES = 512 * 1024
# Until a viewer's first frame is painted its rate is unknown: this much in flight (still at
# least one frame). With the whole cap, a 1 Mbit/s viewer was sent three 235 kB whole-screen
# frames of a presentation's first captures at once (5.6 s of its link) where the first alone
# would do: the relay drops the two others once newer frames cover them.
FIRST_WINDOW_BYTES = 64 * 1024
VIEWER_WINDOW_S = 0.2  # a slow viewer's window shrinks to this much of its delivery rate
MAX_VIEWERS_PER_CUSTOMER = 8  # one customer's tabs and one-time viewers
MAX_VIEWERS = 64  # a presentation's viewers in all (several customers per session)
# Early credit: medians of this many recent samples; a sample of the presenter's lead (credit to
# first frame) above the cap is a still screen (the presenter found nothing new), not a cost.
TIMING_SAMPLES = 9
LEAD_SAMPLE_CAP_S = 0.1

CallLater = Callable[[float, Callable[[], None]], object]


class ScreenMember(Protocol):
    def send(self, frame: str | bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class KeptFrame:
    """A region frame as the relay keeps it: the parsed header, and the bytes to forward."""

    header: RegionFrame
    data: bytes

    @classmethod
    def parse(cls, data: bytes) -> KeptFrame:
        """Check the header (``suite.screen.frames``); the payload is forwarded unread.

        Raises:
            ValueError: naming what is wrong with the frame.
        """
        if len(data) < HEADER_BYTES:
            raise ValueError(f"frame is {len(data)} bytes; the header alone is {HEADER_BYTES}")
        return cls(RegionFrame.parse(memoryview(data)[:HEADER_BYTES]), data)


# The relay's members are more than ScreenMember; a Presentation hands back the same type.
MemberT = TypeVar("MemberT", bound=ScreenMember)


@dataclass(slots=True)
class _Viewer(Generic[MemberT]):
    member: MemberT
    sent: set[int] = field(default_factory=set)  # seqs of kept frames this viewer has
    in_flight: list[tuple[int, float]] = field(default_factory=list)  # (bytes, sent at)
    rate_bps: float | None = None  # delivery rate estimate, bytes per second
    last_ack_at: float = 0.0
    # Recent times to paint one frame, from when it could start (sent, or the one before done).
    paint_s: deque[float] = field(default_factory=lambda: deque(maxlen=TIMING_SAMPLES))
    video: ViewerVideo = field(default_factory=ViewerVideo)  # video_fanout: layer, position

    def window_bytes(self) -> float:
        """About WINDOW_S of this viewer's delivery rate (FIRST_WINDOW_BYTES until it is
        known)."""
        if self.rate_bps is None:
            return FIRST_WINDOW_BYTES
        return min(VIEWER_WINDOW_BYTES, self.rate_bps * VIEWER_WINDOW_S)

    def has_room(self) -> bool:
        if not self.in_flight:
            return True  # always at least one frame
        size = sum(n for n, _ in self.in_flight)
        return len(self.in_flight) < VIEWER_WINDOW_FRAMES and size < self.window_bytes()

    def acked(self, now: float) -> None:
        """The oldest frame in flight was painted: update the delivery rate estimate."""
        size, sent_at = self.in_flight.pop(0)
        elapsed = max(now - max(sent_at, self.last_ack_at), 0.001)
        self.paint_s.append(elapsed)
        sample = size / elapsed
        self.rate_bps = sample if self.rate_bps is None else 0.7 * self.rate_bps + 0.3 * sample
        self.last_ack_at = now

    def free_at(self) -> float | None:
        """When this viewer should have painted everything in flight (None: no estimate yet).

        Frames are painted one after another: each starts when it was sent or when the one
        before it is done, whichever is later, and takes the median recent paint time.
        """
        if not self.paint_s:
            return None
        paint = statistics.median(self.paint_s)
        done = self.last_ack_at
        for _, sent_at in self.in_flight:
            done = max(done, sent_at) + paint
        return done


class Presentation(Generic[MemberT]):
    """One session's shared screen: the cell map, its frames, and every viewer's progress."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, call_later: CallLater | None = None
    ) -> None:
        """``call_later(delay_s, fn)`` runs ``fn`` later (the shell's timer); without it credits
        are granted only when a viewer has painted everything (no early credit)."""
        self.clock = clock
        self.call_later = call_later
        self.state = "waiting"  # waiting | live | paused | stopped
        self.screen_w = 0
        self.screen_h = 0
        self.control = True
        self.presenter: MemberT | None = None
        self.viewers: dict[int, _Viewer[MemberT]] = {}
        self.credit = 0
        self.frames_in = 0
        self.frames_dropped = 0
        self._cols = 0
        self._cells: list[tuple[int, ...]] = []  # cell -> seqs of its frames, oldest first
        self._frames: dict[int, KeptFrame] = {}
        self._refs: dict[int, int] = {}  # seq -> number of cells that still need the frame
        self._last_capture_ms: float | None = None
        # Early credit: when the last credit went out, the presenter's recent lead times, and
        # when a timer is set to look again (None: none set).
        self._credit_sent_at: float | None = None
        self._lead_s: deque[float] = deque(maxlen=TIMING_SAMPLES)
        self._timer_due: float | None = None
        # Regions in motion as video (video_fanout); what the presenter was last told viewers
        # decode (None: nothing told yet).
        self.video = VideoRoutes(self._ask_key_frame, clock, grace=call_later is not None)
        self._codecs_told: list[str] | None = None

    # -- presenter ---------------------------------------------------------------------------

    def start(self, screen_w: int, screen_h: int, control: bool = True) -> None:
        """A presentation (re)starts: forget the old picture, everyone starts from scratch.

        ``control``: the presenter can take input (False for a browser's getDisplayMedia)."""
        self.screen_w, self.screen_h = screen_w, screen_h
        self.control = control
        self._cols = -(-screen_w // CELL_PX)
        rows = -(-screen_h // CELL_PX)
        self._cells = [()] * (self._cols * rows)
        self._frames.clear()
        self._refs.clear()
        self.credit = 0
        self._last_capture_ms = None
        for viewer in self.viewers.values():
            viewer.sent, viewer.in_flight = set(), []
            viewer.video.wait_after = 0
        self.video.end(v.video for v in self.viewers.values())
        self.video.last_seq = 0
        self._set_state("live")

    def pause(self) -> None:
        if self.state == "live":
            self._set_state("paused")

    def resume(self) -> None:
        """The paused presentation goes on: every viewer gets the frames that came while it
        was paused at once (the current picture), not with the next change."""
        if self.state == "paused":
            self._set_state("live")
            for viewer in self.viewers.values():
                self._pump(viewer)
            self.grant_credit()

    def stop(self) -> None:
        self.video.end(v.video for v in self.viewers.values())
        self._cells = []
        self._frames.clear()
        self._refs.clear()
        self.credit = 0
        self._set_state("stopped")

    def add_frame(self, kept: KeptFrame) -> None:
        """Take a region frame from the presenter and send it on to whoever is ready.

        Raises:
            ValueError: no live presentation, or the frame is for another screen size.
        """
        frame = kept.header
        if self.state not in ("live", "paused") or not self._cells:
            raise ValueError("send present_start before region frames")
        if (frame.screen_w, frame.screen_h) != (self.screen_w, self.screen_h):
            raise ValueError(
                f"frame for a {frame.screen_w}x{frame.screen_h} screen; "
                f"the presentation is {self.screen_w}x{self.screen_h}: send present_start"
            )
        self._count_capture(frame.capture_ms)
        self.frames_in += 1
        if frame.seq in self._frames:
            raise ValueError(f"frame {frame.seq} was sent already; seq must increase")
        self._frames[frame.seq] = kept
        self._refs[frame.seq] = 0
        self._cover(frame)
        if self.state == "live":
            for viewer in self.viewers.values():
                self._pump(viewer)
        self.grant_credit()

    def add_video(self, kept: KeptVideo) -> None:
        """Take a video frame from the presenter and send it on (``video_fanout``).

        Raises:
            ValueError: no live presentation, or the frame is for another screen size.
        """
        frame = kept.header
        if self.state not in ("live", "paused") or not self._cells:
            raise ValueError("send present_start before video frames")
        if (frame.screen_w, frame.screen_h) != (self.screen_w, self.screen_h):
            raise ValueError(
                f"video for a {frame.screen_w}x{frame.screen_h} screen; "
                f"the presentation is {self.screen_w}x{self.screen_h}: send present_start"
            )
        self._count_capture(frame.capture_ms)
        self.frames_in += 1
        if frame.end:
            for viewer in self.viewers.values():
                if viewer.video.in_stream:
                    viewer.member.send(kept.data)  # not acknowledged: outside the window
            self.video.end(v.video for v in self.viewers.values())
        else:
            self.video.add(kept)
        if self.state == "live":
            for viewer in self.viewers.values():
                self._pump(viewer)
        self.grant_credit()

    def _count_capture(self, capture_ms: float) -> None:
        if capture_ms != self._last_capture_ms:  # the first frame of a new capture
            self._last_capture_ms = capture_ms
            if self.credit > 0 and self._credit_sent_at is not None:
                lead = self.clock() - self._credit_sent_at
                if lead <= LEAD_SAMPLE_CAP_S:
                    self._lead_s.append(lead)
            self.credit = max(0, self.credit - 1)

    def _ask_key_frame(self, layer: VideoLayer) -> None:
        if self.presenter is not None:
            self.presenter.send(RequestKeyFrame(layer=LAYER_NAMES[layer]).to_frame())

    def set_decoders(self, member: MemberT, video: list[str]) -> None:
        """A viewer said which video codecs it decodes (``decoder_support``)."""
        viewer = self.viewers.get(id(member))
        if viewer is None:
            return
        viewer.video.codecs = frozenset(video)
        self.video.joined(viewer.video)
        self.tell_codecs()
        if self.state == "live":
            self._pump(viewer)  # region frames held for its answer go (or are skipped) now
        self.grant_credit()

    def video_lost(self, member: MemberT, seq: int) -> None:
        """A viewer's video decoder lost its place at ``seq`` (``video_lost``): it gets the
        next key frame of its layer (asked for now, within the rate limit)."""
        viewer = self.viewers.get(id(member))
        if viewer is None or not self.video.lost(viewer.video, seq):
            return
        if self.state == "live":
            self._pump(viewer)
        self.grant_credit()

    def _grace_over(self) -> None:
        """A joiner's grace ended: if it said nothing it decodes none (the codecs may change)
        and the region frames held for it go."""
        self.tell_codecs()
        if self.state == "live":
            for viewer in self.viewers.values():
                self._pump(viewer)
        self.grant_credit()

    def tell_codecs(self, again: bool = False) -> None:
        """Send the presenter ``video_codecs`` when what every viewer decodes changed (or
        ``again``: a new presenter)."""
        # With a timer, a joiner's grace ends by one (add_viewer); without, no grace.
        now = self.clock() if self.video.grace else None
        codecs = common_codecs((v.video for v in self.viewers.values()), now)
        if self.presenter is None or (codecs == self._codecs_told and not again):
            return
        self._codecs_told = codecs
        self.presenter.send(VideoCodecs(codecs=codecs).to_frame())

    # -- viewers -----------------------------------------------------------------------------

    def add_viewer(self, member: MemberT) -> bool:
        """Seat a viewer with everything dirty; False when the presentation is full, or that
        viewer's customer has ``MAX_VIEWERS_PER_CUSTOMER`` open already."""
        if len(self.viewers) >= MAX_VIEWERS:
            return False
        owner = getattr(member, "customer_id", None)
        if (
            owner
            and sum(
                1 for v in self.viewers.values() if getattr(v.member, "customer_id", None) == owner
            )
            >= MAX_VIEWERS_PER_CUSTOMER
        ):
            return False
        viewer = _Viewer(member)
        viewer.video.joined_at = self.clock()
        self.viewers[id(member)] = viewer
        self.video.joined(viewer.video)
        # It has not said what it decodes yet: it gets no video until it does, and counts as
        # decoding nothing once its grace is over (the timer looks again then, if there is
        # video to stop).
        self.tell_codecs()
        if self.call_later is not None and self._codecs_told:
            self.call_later(ANNOUNCE_GRACE_S + 0.01, self._grace_over)
        member.send(self.state_frame())
        if self.state == "live":
            self._pump(viewer)
        self.grant_credit()
        return True

    def remove_viewer(self, member: MemberT) -> None:
        if self.viewers.pop(id(member), None) is not None:
            self.tell_codecs()

    def ack(self, member: MemberT, seq: int) -> None:
        viewer = self.viewers.get(id(member))
        if viewer is None or not viewer.in_flight:
            return
        viewer.acked(self.clock())
        if self.state == "live":
            self._pump(viewer)
        self.grant_credit()

    def state_frame(self) -> str:
        return ScreenState(self.state, self.screen_w, self.screen_h, self.control).to_frame()

    @property
    def frames_kept(self) -> int:
        return len(self._frames)

    # -- internals ---------------------------------------------------------------------------

    def _cover(self, frame: RegionFrame) -> None:  # the header of a kept frame
        """Point the frame's cells at it; drop frames no cell needs any more.

        Hot path (every frame): whole runs of fully covered cells are replaced by slice
        assignment and counted with ``Counter`` so that the work per row happens in C.
        """
        seq = frame.seq
        if frame.w == self.screen_w and frame.h == self.screen_h:  # a key frame
            for old in list(self._frames):
                if old != seq:
                    self._drop(old)
            self._cells = [(seq,)] * len(self._cells)
            self._refs[seq] = len(self._cells)
            return
        right_edge, bottom_edge = frame.x + frame.w, frame.y + frame.h
        first_col, last_col = frame.x // CELL_PX, (right_edge - 1) // CELL_PX
        first_row, last_row = frame.y // CELL_PX, (bottom_edge - 1) // CELL_PX
        # Columns whose cells the frame covers from side to side (the last column of the
        # screen may be narrower than a cell).
        full_first = first_col if frame.x <= first_col * CELL_PX else first_col + 1
        full_last = last_col
        if right_edge < min((last_col + 1) * CELL_PX, self.screen_w):
            full_last = last_col - 1
        edge_cols = sorted({first_col, last_col} - set(range(full_first, full_last + 1)))
        cells = self._cells
        released: Counter[int] = Counter()
        added = 0
        for row in range(first_row, last_row + 1):
            base = row * self._cols
            top = row * CELL_PX
            full_row = frame.y <= top and bottom_edge >= min(top + CELL_PX, self.screen_h)
            if full_row and full_first <= full_last:
                start, stop = base + full_first, base + full_last + 1
                released.update(chain.from_iterable(cells[start:stop]))
                cells[start:stop] = [(seq,)] * (stop - start)
                added += stop - start
                partial_cols: Sequence[int] = edge_cols
            else:
                partial_cols = range(first_col, last_col + 1)
            for col in partial_cols:
                cells[base + col] += (seq,)
                added += 1
        self._refs[seq] = added
        for old, count in released.items():
            self._refs[old] -= count
            if self._refs[old] == 0:
                self._drop(old)

    def _drop(self, seq: int) -> None:
        del self._refs[seq]
        del self._frames[seq]
        self.frames_dropped += 1
        for viewer in self.viewers.values():
            viewer.sent.discard(seq)

    def _needs(self, viewer: _Viewer) -> bool:
        return len(viewer.sent) < len(self._frames) or bool(self._video_pending(viewer))

    def _video_pending(self, viewer: _Viewer) -> list[KeptVideo]:
        return self.video.pending(
            viewer.video, viewer.rate_bps, viewer.has_room(), bool(viewer.in_flight)
        )

    def _pump(self, viewer: _Viewer) -> None:
        """Send the viewer the oldest kept frames it lacks, as its window allows; then the
        video frames it has not had (region frames never overlap a running video region, and
        a joiner's old regions must land before the video over them)."""
        if len(viewer.sent) < len(self._frames):
            for seq, frame in self._frames.items():  # insertion order is seq order
                if not viewer.has_room():
                    return
                if seq not in viewer.sent:
                    h = frame.header
                    skip = self.video.covers(viewer.video, h.x, h.y, h.w, h.h)
                    if skip is None:
                        return  # held (in order) until the viewer says what it decodes
                    if skip:
                        # Under the running video: its key frame paints over it (a joiner at
                        # 1 Mbit/s saved the seconds of the picture from before the motion).
                        viewer.sent.add(seq)
                        continue
                    viewer.member.send(frame.data)
                    viewer.sent.add(seq)
                    viewer.in_flight.append((len(frame.data), self.clock()))
        for kept in self._video_pending(viewer):
            if not viewer.has_room():
                return
            viewer.member.send(kept.data)
            self.video.sent(viewer.video, kept)
            viewer.in_flight.append((len(kept.data), self.clock()))

    def grant_credit(self) -> None:
        """Grant the presenter one capture if a viewer is ready for it, now or by a timer.

        A viewer is ready when it has painted everything (then at once) or, with a timer, when
        it has been sent everything and will be done painting by the time a new frame arrives.
        A frame captured while the viewer would still be decoding waits in line and only adds
        latency, so the timer aims at "free just as the frame arrives", never earlier.
        """
        if self.presenter is None or self.state != "live" or self.credit > 0:
            return
        now = self.clock()
        due = self._credit_due(now)
        if due is None:
            return
        if due > now:
            self._set_timer(due, now)
            return
        self.credit = 1
        self._credit_sent_at = now
        self.presenter.send(CaptureCredit(frames=1).to_frame())

    def _credit_due(self, now: float) -> float | None:
        """When the next capture should be granted (None: no viewer wants one)."""
        caught_up = [v for v in self.viewers.values() if not self._needs(v)]
        if any(not v.in_flight for v in caught_up):
            return now
        if self.call_later is None or not self._lead_s:
            return None
        free = [t for t in (v.free_at() for v in caught_up) if t is not None]
        if not free:
            return None
        return min(free) - statistics.median(self._lead_s)

    def _set_timer(self, due: float, now: float) -> None:
        if self._timer_due is not None and self._timer_due <= due:
            return  # an earlier look is already set; it sets the next one if needed
        assert self.call_later is not None  # a future due time needs the timer
        self._timer_due = due
        self.call_later(due - now, lambda: self._timer_fired(due))

    def _timer_fired(self, due: float) -> None:
        if self._timer_due == due:  # not replaced by an earlier one meanwhile
            self._timer_due = None
        self.grant_credit()

    def _set_state(self, state: str) -> None:
        self.state = state
        frame = self.state_frame()
        for viewer in self.viewers.values():
            viewer.member.send(frame)
