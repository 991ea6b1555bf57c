"""The recorder (P9) with real PyAV: what the file holds when only some windows are shared."""

from __future__ import annotations

import numpy as np

from suite.recording.recorder import Recorder
from suite.screen.masks import WindowMask
from suite.screen.regions import Rect
from tests.support.recordings import video_frames


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
