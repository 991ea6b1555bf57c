"""The presenter's recorder: the captured frames and the chat into one WebM file (P9).

The presenter loop hands every frame it grabs to :meth:`Recorder.offer` (its own thread; the
stream's encoders are untouched): the recorder keeps at most one, and its own thread encodes
it when the screen changed and ``1 / max_fps`` passed since the last frame written, so the
recording runs at a text-readable 5 frames/s at most and writes nothing while the screen is
still. Chat lines (``chat_message`` from the relay while the recording runs) become
subtitle cues at the relay's ``sent_at``. Pause leaves the paused time out of the recording;
:meth:`stop` writes the last picture once more at the stop time (the file lasts as long as
the presentation) and closes the file.

With ``audio``, the file has the call's sound too: :meth:`audio` takes chunks of 48 kHz
mono PCM stamped with the wall-clock time of their first sample (the agent app's page mixes
the agent's microphone and the customers' voices and sends them; docs/calls.md). Each chunk
goes on the recording's clock as the pictures do, so sound and pictures stay in step; a gap
becomes silence, an overlap is cut, and while no call runs the recorder writes silence itself,
``AUDIO_LAG_MS`` behind the present (chunks come that much late at most).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from suite.recording.rules import CUE_MS, Cue, Timeline, chat_cue
from suite.recording.webm_writer import AUDIO_RATE, CLUSTER_MS, WebmWriter

logger = logging.getLogger(__name__)

MAX_FPS = 5.0
AUDIO_LAG_MS = 1000  # silence goes this far behind the present (a call's chunk comes later)
AUDIO_TICK_S = 0.25  # how often the recorder's thread catches the audio track up
AUDIO_SLACK_SAMPLES = AUDIO_RATE // 100  # a gap under 10 ms between chunks is not filled
# The still picture's copies that push a cluster out, and the last picture's copy at the stop,
# are at least this far from any other frame (never a pair a millisecond apart).
COPY_GAP_MS = 40


class Recorder:
    """Records one presentation into ``path``.

    Args:
        path: the new file (``rules.recording_name`` in the recordings folder).
        metadata: the file's tags (``title``: the customer, ``session_id``).
        max_fps: at most this many frames a second.
        clock: wall-clock seconds (the relay's ``sent_at`` is on the same clock).
        audio: the file gets an audio track (the call's sound; silence while none runs).
    """

    def __init__(
        self,
        path: Path,
        metadata: dict[str, str] | None = None,
        max_fps: float = MAX_FPS,
        clock: Callable[[], float] = time.time,
        audio: bool = False,
    ) -> None:
        self.path = path
        self.with_audio = audio
        self._audio_in: list[tuple[np.ndarray, float]] = []  # (int16 samples, wall time)
        self.audio_chunks = 0  # call audio chunks that reached the file (tests, logs)
        self.metadata = dict(metadata or {})
        self.interval_s = 1.0 / max_fps
        self._clock = clock
        # Time 0 is the first picture (players start there); until then, the creation time.
        self.timeline = Timeline(clock())
        self._first = True
        self._cond = threading.Condition()
        self._pending: tuple[np.ndarray, float, Any] | None = None
        self._changed = False
        self._last_written = 0.0
        self._last_frame: np.ndarray | None = None
        self._cues: list[Cue] = []
        self._held_cue: Cue | None = None
        self._held_since = 0.0  # wall time the held cue came
        self._stopping = False
        # Packets in the muxer's open cluster (it is written when the next packet comes after
        # CLUSTER_MS): on a still screen the last picture is written once more to push it out,
        # so that a killed process loses only that copy.
        self._unflushed_since: float | None = None
        self._writer: WebmWriter | None = None
        self.error: str | None = None
        self.encode_s = 0.0  # wall time spent encoding (the benchmark reads it)
        self.encode_cpu_s = 0.0  # the recorder thread's CPU time spent encoding
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    @property
    def frames(self) -> int:
        return self._writer.frames if self._writer is not None else 0

    # -- from the presenter's threads ------------------------------------------------------

    def offer(self, frame: np.ndarray, changed: bool, mask: Any = None) -> None:
        """A frame the presenter grabbed (``changed``: the stream found something new in it).

        The newest changed frame is kept (a reference: a frame source's frames are the
        caller's to keep) and the recorder's thread takes it when it is due, so the last change
        before a still screen is recorded even when no grab follows it (damage-driven capture).
        ``mask`` (a ``suite.screen.masks.WindowMask``, or None): only some windows are shared;
        the recorder's thread blacks out the rest as the stream does for viewers.
        """
        with self._cond:
            if self._stopping or self.timeline.paused:
                return
            if not (changed or self._first or self._changed):
                return
            now = self._clock()
            self._changed = False
            if self._first:
                self._first = False
                self.timeline = Timeline(now)
                # The recording's time 0 on the wall clock: the list shows it, tests measure
                # from it.
                self.metadata["started_at"] = f"{now:.3f}"
            self._pending = (frame, now, mask)
            self._cond.notify()

    def chat(self, message: dict[str, Any]) -> None:
        """A ``chat_message`` from the relay: a subtitle cue at its ``sent_at``."""
        with self._cond:
            if self._stopping:
                return
            cue = chat_cue(message, self.timeline)
            if cue is not None:
                self._cues.append(cue)
                self._cond.notify()

    def audio(self, pcm: bytes, at: float) -> None:
        """Call audio: 48 kHz mono signed 16-bit little-endian samples whose first was heard
        at ``at`` (wall-clock seconds). Ignored without an audio track or while paused."""
        if not self.with_audio or len(pcm) < 2:
            return
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
        with self._cond:
            if self._stopping or self.timeline.paused:
                return
            self._audio_in.append((samples, at))
            self._cond.notify()

    def pause(self) -> None:
        with self._cond:
            self.timeline.pause(self._clock())

    def resume(self) -> None:
        with self._cond:
            self.timeline.resume(self._clock())
            self._changed = True  # the screen may have changed meanwhile

    def stop(self, timeout_s: float = 10.0) -> None:
        """Write the last picture at the stop time, finish the file and end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout_s)

    # -- the recorder's thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(
                        lambda: (
                            self._frame_due()
                            or bool(self._cues)
                            or self._stopping
                            or bool(self._audio_in)
                        ),
                        self._wait_s(),
                    )
                    pending = None
                    if self._frame_due() or (self._stopping and self._pending is not None):
                        pending, self._pending = self._pending, None
                        self._last_written = self._clock()
                    cues, self._cues = self._cues, []
                    heard, self._audio_in = self._audio_in, []
                    chunks = [(pcm, self.timeline.media_ms(at)) for pcm, at in heard]
                    stopping = self._stopping
                    now_ms = self.timeline.media_ms(self._clock())
                    end_ms = now_ms if stopping else 0
                if pending is not None:
                    frame, at, mask = pending
                    if mask is not None:
                        frame = mask.apply(frame)  # what the viewers saw: the shared windows
                    self._write_frame(frame, self.timeline.media_ms(at))
                for pcm, start_ms in chunks:
                    self._write_audio(pcm, start_ms)
                if not stopping and not self.timeline.paused:
                    self._fill_silence(now_ms - AUDIO_LAG_MS)
                for cue in cues:
                    self._add_cue(cue)
                if self._held_cue is not None and self._held_wait_s() == 0.0:
                    self._write_held(self._held_cue.end_ms)
                if not stopping and pending is None and self._flush_wait_s() == 0.0:
                    self._push_cluster()
                if stopping:
                    self._finish(end_ms)
                    return
        except Exception as exc:
            self.error = str(exc)
            logger.exception("the recording %s stopped on an error", self.path)
            with self._cond:
                self._stopping = True
            if self._writer is not None:
                try:
                    self._writer.close()
                except Exception:
                    logger.exception("closing %s failed", self.path)

    def _write_frame(self, frame: np.ndarray, ms: int) -> None:
        started, cpu_started = time.perf_counter(), time.thread_time()
        if self._writer is None:
            height, width = frame.shape[:2]
            self._writer = WebmWriter(
                self.path, width, height, self.metadata, audio=self.with_audio
            )
            logger.info("recording into %s (%dx%d)", self.path, width, height)
        self._writer.write_frame(frame, ms)
        self._last_frame = frame
        self._unflushed_since = self._clock()
        self.encode_s += time.perf_counter() - started
        self.encode_cpu_s += time.thread_time() - cpu_started

    def _write_audio(self, pcm: np.ndarray, start_ms: int) -> None:
        """One chunk at its place on the recording's clock: silence before it if it comes
        after a gap, its head cut if it overlaps what is written."""
        writer = self._writer
        if writer is None or not writer.has_audio:
            return  # nothing shown yet: the recording's time has not begun
        start = round(start_ms * AUDIO_RATE / 1000)
        if start > writer.audio_samples + AUDIO_SLACK_SAMPLES:
            writer.write_audio(np.zeros(start - writer.audio_samples, dtype=np.int16))
        elif start < writer.audio_samples:
            pcm = pcm[writer.audio_samples - start :]
        if len(pcm):
            writer.write_audio(pcm)
            self.audio_chunks += 1

    def _fill_silence(self, until_ms: float) -> None:
        writer = self._writer
        if writer is None or not writer.has_audio:
            return
        until = round(until_ms * AUDIO_RATE / 1000)
        if until > writer.audio_samples:
            writer.write_audio(np.zeros(until - writer.audio_samples, dtype=np.int16))

    def _frame_due(self) -> bool:
        return self._pending is not None and self._due_wait_s() == 0.0

    def _due_wait_s(self) -> float | None:
        if self._pending is None:
            return None
        return max(0.0, self._last_written + self.interval_s - self._clock())

    def _wait_s(self) -> float | None:
        waits = [
            w for w in (
                self._held_wait_s(), self._flush_wait_s(), self._due_wait_s(),
                AUDIO_TICK_S if self.with_audio and self._writer is not None else None,
            )
            if w is not None
        ]  # fmt: skip
        return min(waits) if waits else None

    def _flush_wait_s(self) -> float | None:
        # A frame waiting for its turn will push the cluster out itself.
        if self._unflushed_since is None or self.timeline.paused or self._pending is not None:
            return None
        return max(0.0, self._unflushed_since + 1.05 * CLUSTER_MS / 1000 - self._clock())

    def _push_cluster(self) -> None:
        self._unflushed_since = None
        if self._writer is not None and self._last_frame is not None:
            ms = self.timeline.media_ms(self._clock())
            # Twice: FFmpeg's interleaver holds the newest packet until the next one comes, so
            # the first copy reaches the muxer (closing the cluster) only when the second comes.
            # Both in the past (the last frame is over a second older): a change offered right
            # after lands at its own time, not clamped to a millisecond after a copy stamped in
            # the future.
            self._writer.write_frame(self._last_frame, ms - 2 * COPY_GAP_MS)
            self._writer.write_frame(self._last_frame, ms - COPY_GAP_MS)
            self._unflushed_since = None  # those copies may stay in the open cluster

    def _held_wait_s(self) -> float | None:
        """How long the held cue may still wait for the next one (None: none is held)."""
        if self._held_cue is None:
            return None
        return max(0.0, self._held_since + CUE_MS / 1000 - self._clock())

    def _add_cue(self, cue: Cue) -> None:
        """Hold each cue until the next one comes (it ends there, if sooner than CUE_MS),
        or until its time is up; a killed recorder then loses at most that one line."""
        if self._held_cue is not None:
            self._write_held(cue.start_ms)
        self._held_cue, self._held_since = cue, self._clock()

    def _write_held(self, end_ms: int) -> None:
        held, self._held_cue = self._held_cue, None
        if held is None or self._writer is None:
            return  # nothing shown yet: a line before the first picture has no place
        end = max(held.start_ms + 1, min(held.end_ms, end_ms))
        self._writer.write_cue(Cue(held.start_ms, end, held.text))
        self._unflushed_since = self._unflushed_since or self._clock()

    def _finish(self, end_ms: int) -> None:
        writer = self._writer
        if writer is None:
            logger.info("nothing was shown: no recording written")
            return
        self._write_held(end_ms)
        self._fill_silence(end_ms)  # the sound lasts as long as the pictures
        if self._last_frame is not None and end_ms >= writer.last_ms + COPY_GAP_MS:
            # The last picture lasts to the end (a stop right after a frame needs no copy).
            writer.write_frame(self._last_frame, end_ms)
        writer.close()
        logger.info(
            "recording %s finished: %d frames, %d cues, %d call audio chunks, %.1f s",
            self.path, writer.frames, writer.cues, self.audio_chunks, end_ms / 1000,
        )  # fmt: skip
