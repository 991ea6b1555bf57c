"""The recording's file: WebM with VP8 video, Opus call audio and a WebVTT chat track (P9).

VP8 in WebM is licence-clean (libvpx, BSD) and every browser and common player opens it;
VP9 realtime cost about the same CPU here, but VP8 already keeps text readable at ~17 MB an
hour (docs/performance.md). The frame rate is variable: a frame is written only when
the screen changed, its pts in milliseconds of the recording's own clock.

A killed process must leave a playable file: the Matroska muxer closes a cluster at least
every ``CLUSTER_MS`` (the recorder writes the still picture once more to close one),
``flush_packets`` hands each closed cluster to the file at once and the interleaver passes
packets on at once, so a SIGKILL loses at most the last second or two. Such a
file has no duration in its header and no cue index: players play it from the start and read
its length as they go.

The audio track (``audio=True``) carries the call's sound as the agent heard it: 48 kHz mono
PCM in, Opus (libopus, BSD, the WebM audio codec) out, its pts counted in samples. It is
continuous: the recorder writes silence where no call ran, so that players keep the pictures
and the sound in step. Audio reaches the recorder up to a second after the pictures of the
same moment (it comes from the agent app's page in chunks); Matroska takes blocks out of order
across tracks, and players read them by their timestamps.

The subtitle track is muxed as packets (each the text of one cue) from a stream copied from
a parsed one-line WebVTT file: FFmpeg's ``webvtt`` *encoder* wants an ASS header, which the
copy does not need.
"""

from __future__ import annotations

import io
import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from suite.recording.rules import Cue

logger = logging.getLogger(__name__)

MS = Fraction(1, 1000)
CLUSTER_MS = 1000
INTERLEAVE_US = 1  # hand packets on at once (the interleaver still keeps the newest one)
# libvpx, realtime: "cpu-used" 16 is its fastest; a low crf with a generous bit-rate ceiling
# keeps small text sharp (the PSNR test asks >= 35 dB); lag 0 writes each frame at once; one
# thread leaves the other core to the stream (the presenter's own encoder).
VP8_OPTIONS = {
    "deadline": "realtime", "cpu-used": "16", "crf": "8", "b": "4M", "qmin": "2",
    "qmax": "40", "lag-in-frames": "0", "threads": "1", "auto-alt-ref": "0",
}  # fmt: skip
AUDIO_RATE = 48000  # Opus's own rate: nothing is resampled
AUDIO_BITRATE = 32000  # speech from a call: 32 kbit/s mono is transparent enough, 14 MB an hour
_VTT_TEMPLATE = b"WEBVTT\n\n00:00.000 --> 00:01.000\n-\n"


class WebmWriter:
    """One recording file, written as it goes.

    Args:
        path: the file to create (its folder must exist).
        width, height: the video's size; frames of another size are scaled to it.
        metadata: container tags (``title``: the customer; ``session_id``...).
        audio: add the call's audio track (:meth:`write_audio`).

    Raises:
        OSError: the file cannot be created.
    """

    def __init__(
        self, path: Path, width: int, height: int, metadata: dict[str, str] | None = None,
        audio: bool = False,
    ) -> None:  # fmt: skip
        self.path = path
        self.width, self.height = width - width % 2, height - height % 2  # yuv420p: even
        self.frames = 0
        self.cues = 0
        self.last_ms = -1
        self._container: Any = av.open(
            str(path), "w", format="webm",
            # The interleaver would hold video packets up to 10 s waiting for a subtitle packet
            # (most of the time there is none): a killed process lost them all.
            options={
                "cluster_time_limit": str(CLUSTER_MS), "flush_packets": "1",
                "max_interleave_delta": str(INTERLEAVE_US),
            },
        )  # fmt: skip
        for key, value in (metadata or {}).items():
            self._container.metadata[key] = value
        video = self._container.add_stream("libvpx", options=dict(VP8_OPTIONS))
        video.width, video.height = self.width, self.height
        video.pix_fmt = "yuv420p"
        video.time_base = MS
        video.codec_context.time_base = MS
        self._video = video
        self.audio_samples = 0  # written so far: the audio track's end, in samples
        self._audio: Any = None
        if audio:
            self._audio = self._container.add_stream("libopus", rate=AUDIO_RATE)
            self._audio.layout = "mono"
            self._audio.bit_rate = AUDIO_BITRATE
        template = av.open(io.BytesIO(_VTT_TEMPLATE), format="webvtt")
        self._subtitles = self._container.add_stream_from_template(template.streams.subtitles[0])
        self._subtitles.time_base = MS
        template.close()
        self._closed = False

    def write_frame(self, bgra: np.ndarray, ms: int) -> None:
        """Encode one BGRA ``(h, w, 4)`` frame shown from ``ms``; a pts at or before the last
        one moves to just after it (pts must grow)."""
        ms = max(ms, self.last_ms + 1)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(bgra), format="bgra")
        frame = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        frame.pts = ms
        frame.time_base = MS
        for packet in self._video.encode(frame):
            self._container.mux(packet)
        self.frames += 1
        self.last_ms = ms

    @property
    def has_audio(self) -> bool:
        return self._audio is not None

    @property
    def audio_ms(self) -> float:
        """Where the audio track ends, in milliseconds of the recording."""
        return self.audio_samples * 1000 / AUDIO_RATE

    def write_audio(self, pcm: np.ndarray) -> None:
        """Append 48 kHz mono samples (int16) right after the previous ones."""
        if self._audio is None or not len(pcm):
            return
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.audio_samples
        frame.time_base = Fraction(1, AUDIO_RATE)
        self.audio_samples += len(pcm)
        for packet in self._audio.encode(frame):
            self._container.mux(packet)

    def write_cue(self, cue: Cue) -> None:
        """Add one subtitle cue (cues must come in the order of their start)."""
        packet = av.Packet(cue.text.encode("utf-8"))
        packet.stream = self._subtitles
        packet.time_base = MS
        packet.pts = packet.dts = cue.start_ms
        packet.duration = max(1, cue.end_ms - cue.start_ms)
        self._container.mux(packet)
        self.cues += 1

    def close(self) -> None:
        """Flush the encoder and finish the file (duration and cue index in its header)."""
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self._video.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                for packet in self._audio.encode(None):
                    self._container.mux(packet)
        finally:
            self._container.close()
