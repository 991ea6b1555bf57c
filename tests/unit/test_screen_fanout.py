"""The presentation fan-out: cell map, latest wins per viewer, credits (pure, no sockets)."""

from __future__ import annotations

import json

import pytest

from relay_server.screen.fanout import KeptFrame, Presentation
from suite.screen.frames import HEADER
from tests.support.region_frames import region


class Socket:
    """A recording member: what the relay would have written to the socket."""

    def __init__(self) -> None:
        self.frames: list[str | bytes] = []

    def send(self, frame) -> None:
        self.frames.append(frame)

    def seqs(self) -> list[int]:
        return [HEADER.unpack_from(f)[3] for f in self.frames if isinstance(f, bytes)]

    def texts(self, message_type: str) -> list[dict]:
        found = [json.loads(f) for f in self.frames if isinstance(f, str)]
        return [m for m in found if m["type"] == message_type]


def live(viewers: int = 1) -> tuple[Presentation, Socket, list[Socket]]:
    # A clock that stands still: an ack "takes" the 1 ms floor, so a window measured in bytes
    # does not depend on how long a loaded machine took between two lines (it closed on a
    # 40-byte frame acknowledged 30 ms later: 1.3 kB/s).
    presentation = Presentation(clock=lambda: 100.0)
    presenter = Socket()
    presentation.presenter = presenter
    sockets = [Socket() for _ in range(viewers)]
    for socket in sockets:
        presentation.add_viewer(socket)
    presentation.start(64, 32)
    presentation.grant_credit()
    return presentation, presenter, sockets


def add(presentation: Presentation, data: bytes) -> None:
    presentation.add_frame(KeptFrame.parse(data))


def test_frames_go_out_in_order_within_the_window_and_acks_open_it():
    presentation, _, (viewer,) = live()
    presentation.start(1024, 16)
    for seq in range(1, 11):
        add(presentation, region(seq, 16 * (seq - 1), 0, 16, 16, screen=(1024, 16)))
    assert viewer.seqs() == list(range(1, 9))  # a window of 8 frames in flight
    presentation.ack(viewer, 1)
    assert viewer.seqs() == list(range(1, 10))


def test_the_window_also_counts_bytes():
    presentation, _, (viewer,) = live()
    big = region(1, 0, 0, 64, 32) + b"x" * 600_000
    add(presentation, big)
    add(presentation, region(2, 0, 0, 16, 16))
    assert viewer.seqs() == [1], "over 512 KiB in flight: wait for the ack"
    presentation.ack(viewer, 1)
    assert viewer.seqs() == [1, 2]


def test_a_slow_viewer_gets_only_the_newest_picture():
    presentation, _, (fast, slow) = live(viewers=2)
    for seq in range(1, 11):  # ten full-screen frames
        add(presentation, region(seq, 0, 0, 64, 32))
        presentation.ack(fast, seq)
    assert fast.seqs() == list(range(1, 11))
    assert slow.seqs() == list(range(1, 9))
    for seq in range(1, 9):
        presentation.ack(slow, seq)
    assert slow.seqs() == [*range(1, 9), 10], "it skips straight to the latest frame"
    assert presentation.frames_kept == 1


def test_partly_covered_cells_keep_the_older_frame_until_fully_covered():
    presentation, _, _ = live(viewers=0)
    add(presentation, region(1, 0, 0, 64, 32))
    add(presentation, region(2, 0, 0, 8, 8))  # part of one cell
    assert presentation.frames_kept == 2
    add(presentation, region(3, 0, 0, 16, 16))  # covers that cell completely
    assert presentation.frames_kept == 2  # frame 2 is gone, frame 1 still paints the rest
    late = Socket()
    presentation.add_viewer(late)
    presentation.ack(late, 1)
    assert late.seqs() == [1, 3]


def test_a_late_joiner_gets_the_current_picture_without_the_presenter():
    presentation, presenter, _ = live(viewers=0)
    add(presentation, region(1, 0, 0, 32, 32))
    add(presentation, region(2, 32, 0, 32, 32))
    add(presentation, region(3, 0, 0, 32, 32))  # replaces frame 1
    late = Socket()
    presentation.add_viewer(late)
    assert late.texts("screen_state")[0] == {
        "type": "screen_state", "state": "live", "screen_w": 64, "screen_h": 32, "control": True,
    }  # fmt: skip
    assert late.seqs() == [2, 3]


def test_credit_follows_the_fastest_ready_viewer_and_stops_without_viewers():
    presentation = Presentation()
    presenter = Socket()
    presentation.presenter = presenter
    presentation.start(64, 32)
    presentation.grant_credit()
    assert presenter.texts("capture_credit") == [], "no viewer: no capture"
    viewer = Socket()
    presentation.add_viewer(viewer)
    assert len(presenter.texts("capture_credit")) == 1
    add(presentation, region(1, 0, 0, 64, 32))
    add(presentation, region(2, 0, 0, 64, 32, capture_ms=1))  # same capture: no new credit
    presentation.ack(viewer, 1)
    assert len(presenter.texts("capture_credit")) == 1, "frame 2 is still being painted"
    presentation.ack(viewer, 2)
    assert len(presenter.texts("capture_credit")) == 2
    presentation.pause()
    add(presentation, region(3, 0, 0, 64, 32))
    assert viewer.seqs() == [1, 2], "paused: the picture stays"
    assert viewer.texts("screen_state")[-1]["state"] == "paused"


def test_resume_sends_viewers_the_current_picture_at_once():
    """After Pause → Resume a viewer gets the frames that came while paused without waiting
    for the next change (the presenter may have nothing new to send)."""
    presentation, _, (viewer,) = live()
    add(presentation, region(1, 0, 0, 64, 32))
    presentation.ack(viewer, 1)
    presentation.pause()
    add(presentation, region(2, 0, 0, 32, 32))  # captured just before the pause took effect
    assert viewer.seqs() == [1]
    presentation.resume()
    assert viewer.texts("screen_state")[-1]["state"] == "live"
    assert viewer.seqs() == [1, 2]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"RS\x01", "the header alone is 32"),
        (region(1, 0, 0, 16, 16).replace(b"RS", b"XX", 1), "bad magic"),
        (region(1, 60, 0, 16, 16), "outside"),
        (region(1, 0, 0, 0, 16), "empty"),
    ],
)
def test_malformed_frames_are_refused_with_the_reason(data, words):
    with pytest.raises(ValueError, match=words):
        KeptFrame.parse(data)


def test_frames_must_follow_present_start_and_match_the_screen():
    presentation = Presentation()
    with pytest.raises(ValueError, match="present_start"):
        add(presentation, region(1, 0, 0, 16, 16))
    presentation.start(64, 32)
    with pytest.raises(ValueError, match="present_start"):
        add(presentation, region(1, 0, 0, 16, 16, screen=(128, 64)))
    add(presentation, region(1, 0, 0, 16, 16))
    with pytest.raises(ValueError, match="seq must increase"):
        add(presentation, region(1, 0, 0, 16, 16))


def _reference_cells(frames, screen_w, screen_h, cell=16):
    """Cell stacks computed the slow, obvious way: per cell, frames since the last full cover."""
    cols, rows = -(-screen_w // cell), -(-screen_h // cell)
    stacks = [[] for _ in range(cols * rows)]
    for seq, (x, y, w, h) in frames:
        for row in range(rows):
            for col in range(cols):
                left, top = col * cell, row * cell
                right, bottom = min(left + cell, screen_w), min(top + cell, screen_h)
                overlaps = x < right and x + w > left and y < bottom and y + h > top
                covers = x <= left and x + w >= right and y <= top and y + h >= bottom
                if covers:
                    stacks[row * cols + col] = [seq]
                elif overlaps:
                    stacks[row * cols + col].append(seq)
    return [tuple(stack) for stack in stacks]


def test_the_cell_map_matches_a_slow_reference_on_random_regions():
    """Random regions on a screen whose sides are not multiples of 16, checked cell by cell."""
    import random

    rng = random.Random(7)
    screen = (100, 50)
    presentation = Presentation()
    presentation.start(*screen)
    frames = []
    for seq in range(1, 400):
        x, y = rng.randrange(screen[0]), rng.randrange(screen[1])
        w, h = rng.randint(1, screen[0] - x), rng.randint(1, screen[1] - y)
        if seq % 37 == 0:
            x, y, w, h = 0, 0, *screen
        frames.append((seq, (x, y, w, h)))
        add(presentation, region(seq, x, y, w, h, screen=screen))
        expected = _reference_cells(frames, *screen)
        assert presentation._cells == expected, f"after frame {seq}"
        alive = {s for stack in expected for s in stack}
        assert set(presentation._frames) == alive
        assert all(presentation._refs[s] == sum(st.count(s) for st in expected) for s in alive)


def test_a_slow_viewers_window_shrinks_to_its_delivery_rate():
    """At ~125 KB/s (1 Mbit/s) a viewer gets one 100 KB frame at a time: no seconds of lag."""
    now = [0.0]
    presentation = Presentation(clock=lambda: now[0])
    presentation.start(64, 32)
    slow = Socket()
    presentation.add_viewer(slow)
    payload = b"x" * 100_000
    for seq in range(1, 4):
        add(presentation, region(seq, 16 * (seq - 1), 0, 16, 16) + payload)
    assert slow.seqs() == [1], "rate unknown: FIRST_WINDOW_BYTES (at least one frame)"
    for seq in (1, 2, 3):
        now[0] += 0.8  # each 100 KB frame takes 0.8 s to arrive
        presentation.ack(slow, seq)
        assert slow.seqs()[-1] == min(seq + 1, 3)
    for seq in range(4, 7):
        add(presentation, region(seq, 16 * (seq - 4), 16, 16, 16) + payload)
    assert slow.seqs() == [1, 2, 3, 4], "window now about 0.2 s of 125 KB/s: one frame"


def test_whole_screen_frames_superseded_before_the_first_arrives_are_never_sent():
    """A presentation's first captures each change the whole screen: a viewer whose rate is not
    known yet gets the first, and then only the newest (1 Mbit/s: three 235 kB frames were 5.6 s
    of its link)."""
    now = [0.0]
    presentation = Presentation(clock=lambda: now[0])
    presentation.start(64, 32)
    slow, fast = Socket(), Socket()
    presentation.add_viewer(slow)
    presentation.add_viewer(fast)
    payload = b"x" * 200_000
    for seq in range(1, 4):
        add(presentation, region(seq, 0, 0, 64, 32) + payload)
        presentation.ack(fast, seq)
    assert fast.seqs() == [1, 2, 3]
    assert slow.seqs() == [1]
    small = [region(seq, 16 * (seq - 4), 16, 16, 16) + b"x" * 10_000 for seq in range(4, 8)]
    for frame in small:
        add(presentation, frame)
    assert slow.seqs() == [1], "one frame in flight already over the first window"
    now[0] += 1.6
    presentation.ack(slow, 1)
    assert slow.seqs()[:2] == [1, 3], "the frame the relay dropped (2) is never sent"


class Timers:
    """The shell's timer, by hand: what ``call_later`` was asked to run, fired on demand."""

    def __init__(self, now: list[float]) -> None:
        self.now = now
        self.pending: list[tuple[float, object]] = []

    def call_later(self, delay: float, fn) -> None:
        assert delay > 0
        self.pending.append((self.now[0] + delay, fn))

    def run_until(self, t: float) -> None:
        self.now[0] = t
        due = sorted((p for p in self.pending if p[0] <= t), key=lambda p: p[0])
        self.pending = [p for p in self.pending if p[0] > t]
        for _, fn in due:
            fn()


def timed_live() -> tuple[Presentation, Socket, Socket, list[float], Timers]:
    now = [0.0]
    timers = Timers(now)
    presentation = Presentation(clock=lambda: now[0], call_later=timers.call_later)
    presenter, viewer = Socket(), Socket()
    presentation.presenter = presenter
    presentation.add_viewer(viewer)
    presentation.start(64, 32)
    presentation.grant_credit()
    return presentation, presenter, viewer, now, timers


def test_the_next_credit_goes_out_early_so_the_frame_arrives_as_the_viewer_is_free():
    """Lead 10 ms (credit to frame), paint 20 ms: the credit goes 10 ms before the paint ends."""
    presentation, presenter, viewer, now, timers = timed_live()
    assert len(presenter.texts("capture_credit")) == 1
    now[0] = 0.010
    add(presentation, region(1, 0, 0, 64, 32, capture_ms=1))
    assert timers.pending == [], "no paint time measured yet: wait for the ack"
    now[0] = 0.030
    presentation.ack(viewer, 1)  # painted in 20 ms; the viewer is idle: credit at once
    assert len(presenter.texts("capture_credit")) == 2
    now[0] = 0.040
    add(presentation, region(2, 0, 0, 64, 32, capture_ms=2))
    # Free at 0.040 + 0.020; the presenter needs 0.010: look again at 0.050, not at the ack.
    assert [round(due, 6) for due, _ in timers.pending] == [0.050]
    assert len(presenter.texts("capture_credit")) == 2
    timers.run_until(0.050)
    assert len(presenter.texts("capture_credit")) == 3
    assert presentation.viewers[id(viewer)].in_flight, "granted before frame 2 was painted"
    # Frame 3 arrives as frame 2 is painted: it is sent at once and nothing piles up.
    now[0] = 0.060
    presentation.ack(viewer, 2)
    add(presentation, region(3, 0, 0, 64, 32, capture_ms=3))
    assert viewer.seqs() == [1, 2, 3]
    assert presentation.credit == 0
    assert len(presentation.viewers[id(viewer)].in_flight) == 1


def test_no_timer_no_early_credit_and_a_still_screen_is_not_counted_as_lead():
    now = [0.0]
    presentation = Presentation(clock=lambda: now[0])  # no call_later: serial credits only
    presenter, viewer = Socket(), Socket()
    presentation.presenter = presenter
    presentation.add_viewer(viewer)
    presentation.start(64, 32)
    presentation.grant_credit()
    for seq in range(1, 4):
        now[0] += 0.010
        add(presentation, region(seq, 0, 0, 64, 32, capture_ms=seq))
        assert len(presenter.texts("capture_credit")) == seq, "no credit while painting"
        now[0] += 0.020
        presentation.ack(viewer, seq)
        assert len(presenter.texts("capture_credit")) == seq + 1

    presentation, presenter, viewer, now, timers = timed_live()
    now[0] = 2.0  # the screen stood still for 2 s after the credit: not the presenter's cost
    add(presentation, region(1, 0, 0, 64, 32, capture_ms=1))
    assert list(presentation._lead_s) == []


def test_a_timer_that_fires_after_the_presentation_stopped_grants_nothing():
    presentation, presenter, viewer, now, timers = timed_live()
    now[0] = 0.010
    add(presentation, region(1, 0, 0, 64, 32, capture_ms=1))
    now[0] = 0.030
    presentation.ack(viewer, 1)
    now[0] = 0.040
    add(presentation, region(2, 0, 0, 64, 32, capture_ms=2))
    assert timers.pending
    presentation.stop()
    timers.run_until(1.0)
    assert len(presenter.texts("capture_credit")) == 2
