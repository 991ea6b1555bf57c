"""The recorder (P9) with real PyAV: what the file holds when only some windows are shared, and
the call's audio beside the pictures."""

from __future__ import annotations

import json
import subprocess

import numpy as np

from suite.recording.recorder import Recorder
from suite.screen.masks import WindowMask
from suite.screen.regions import Rect
from tests.support.recordings import (
    AUDIO_RATE,
    audio_samples,
    decodes_cleanly,
    ffprobe,
    loudness,
    tone_pcm,
    video_frames,
)
from tests.support.waiting import wait_until


def test_a_window_share_records_only_the_shared_windows(tmp_path):
    """With a window mask the recording is black outside the shared windows, as the viewers'
    picture is; without one it is the whole screen."""
    screen = np.full((360, 640, 4), 230, np.uint8)
    masked = Recorder(tmp_path / "masked.webm", {"title": "t"})
    masked.offer(screen, True, WindowMask([Rect(100, 100, 200, 120)], 640, 360))
    masked.stop()
    whole = Recorder(tmp_path / "whole.webm", {"title": "t"})
    whole.offer(screen, True)
    whole.stop()
    picture = video_frames(tmp_path / "masked.webm")[0][1].astype(int)
    assert picture[150:200, 150:250].mean() > 200  # the shared window
    assert picture[10:80, 10:600].mean() < 30 and picture[250:350, 10:600].mean() < 30
    assert video_frames(tmp_path / "whole.webm")[0][1].astype(int)[10:80, 10:600].mean() > 200


def test_call_audio_is_recorded_in_step_with_the_pictures(tmp_path):
    """Call audio chunks, each sent 0.3 s after it was heard, land at their own time on the
    recording's clock: an Opus track as long as the video, the tone where it was heard and
    silence before and after it (where no call ran)."""
    now = [1000.0]
    recorder = Recorder(tmp_path / "call.webm", {"title": "t"}, clock=lambda: now[0], audio=True)
    screen = np.full((360, 640, 4), 200, np.uint8)
    chunk_s = 0.2
    sent = 0
    for step in range(31):  # 3 s of presentation in 0.1 s steps
        now[0] = 1000.0 + step * 0.1
        screen[:, :, 0] = step * 8  # a changing picture
        recorder.offer(screen.copy(), True)
        # The tone was heard from 1.0 s to 2.0 s; each 0.2 s chunk arrives 0.3 s later.
        heard = 1.0 + sent * chunk_s
        if heard + chunk_s <= 2.0 + 1e-9 and now[0] - 1000.0 >= heard + 0.3:
            count = int(chunk_s * AUDIO_RATE)
            recorder.audio(tone_pcm(sent * count, count), 1000.0 + heard)
            sent += 1
        # Let the recorder's thread take a due frame (as real time would between grabs).
        wait_until(lambda: not recorder._frame_due(), "the recorder to take the frame", 5)
    recorder.pause()  # as the presenter stops: the recording ends now
    recorder.stop()
    assert recorder.error is None and sent == 5
    streams = {s["codec_type"]: s for s in ffprobe(tmp_path / "call.webm")["streams"]}
    assert streams["audio"]["codec_name"] == "opus"
    assert int(streams["audio"]["sample_rate"]) == AUDIO_RATE
    assert decodes_cleanly(tmp_path / "call.webm") == ""
    samples = audio_samples(tmp_path / "call.webm")
    video_s = video_frames(tmp_path / "call.webm")[-1][0]
    assert abs(len(samples) / AUDIO_RATE - video_s) <= 0.05 * video_s, (len(samples), video_s)
    assert loudness(samples, 1.05, 1.95) > 0.15  # the tone (0.3 peak: 0.21 RMS)
    assert loudness(samples, 0.0, 0.95) < 0.01 and loudness(samples, 2.1, 2.9) < 0.01
    # Where it starts, to 20 ms: the chunks were placed by their time, not by their arrival.
    onset = int(np.argmax(np.abs(samples) > 0.1)) / AUDIO_RATE
    assert abs(onset - 1.0) < 0.02, onset


def test_no_two_recorded_frames_are_a_millisecond_apart(tmp_path):
    """A change offered right after the still screen's cluster push, and a stop right after a
    change, keep their own times: ffprobe finds no two frames under 40 ms apart (they were
    1 ms apart: the push's copy was stamped 40 ms ahead and the next frame clamped after it)."""
    now = [1000.0]
    recorder = Recorder(tmp_path / "still.webm", {"title": "t"}, clock=lambda: now[0])
    screen = np.full((180, 320, 4), 200, np.uint8)
    recorder.offer(screen.copy(), True)
    wait_until(lambda: recorder.frames == 1, "the first frame written")
    now[0] = 1001.2  # a still screen for 1.2 s: the recorder pushes its cluster out
    wait_until(lambda: recorder.frames == 3, "the cluster pushed out by two copies")
    now[0] = 1001.21
    screen[:, :, 0] = 40
    recorder.offer(screen.copy(), True)
    wait_until(lambda: recorder.frames == 4, "the change written")
    now[0] = 1001.5
    screen[:, :, 0] = 80
    recorder.offer(screen.copy(), True)
    wait_until(lambda: recorder.frames == 5, "the last change written")
    now[0] = 1001.501
    recorder.stop()
    packets = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts",
         "-of", "json", str(tmp_path / "still.webm")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    times = sorted(int(packet["pts"]) for packet in json.loads(packets)["packets"])
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 40, times
    assert 1210 in times and 1500 in times, times  # each change at the moment it was offered
