"""Running the built one-time viewer under Xvfb and seeing what it shows (tests and bench).

The agent's screen is four coloured quadrants (colours that survive JPEG); the viewer's display
is grabbed with mss and searched for them, so the check holds for any window position or scale.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import mss
import numpy as np

from tests.support.xvfb import Xvfb

AGENT_SCREEN = (960, 540)
VIEWER_SCREEN = (1280, 900)
# Top-left, top-right, bottom-left, bottom-right.
QUADRANTS = ((220, 40, 40), (40, 170, 60), (40, 80, 220), (240, 200, 40))
COLOUR_TOLERANCE = 28


def quadrant_picture() -> np.ndarray:
    """The agent's screen: four coloured quadrants, as BGRA."""
    width, height = AGENT_SCREEN
    bgra = np.zeros((height, width, 4), np.uint8)
    bgra[..., 3] = 255
    for index, (r, g, b) in enumerate(QUADRANTS):
        top, left = (index // 2) * height // 2, (index % 2) * width // 2
        bgra[top : top + height // 2, left : left + width // 2, :3] = (b, g, r)
    return bgra


def find_quadrants(display: Xvfb) -> dict[str, object] | None:
    """Where the quadrants appear on ``display``, or None unless all four are there, large
    enough and in the right places relative to each other."""
    with mss.MSS(display=display.display) as grabber:
        shot = grabber.grab(grabber.monitors[1])
    rgb = np.asarray(shot, np.uint8).reshape(shot.height, shot.width, 4)[..., 2::-1]
    quadrant_px = AGENT_SCREEN[0] * AGENT_SCREEN[1] // 4
    centres = []
    for colour in QUADRANTS:
        mask = (np.abs(rgb.astype(np.int16) - colour) <= COLOUR_TOLERANCE).all(axis=2)
        count = int(mask.sum())
        if count < 0.8 * quadrant_px:
            return None
        ys, xs = np.nonzero(mask)
        centres.append((float(xs.mean()), float(ys.mean()), count))
    (tlx, tly, _), (trx, try_, _), (blx, bly, _), (brx, bry, _) = centres
    if not (tlx < trx and blx < brx and tly < bly and try_ < bry):
        return None
    return {"pixels": [c[2] for c in centres], "top_left_centre": (tlx, tly)}


def run_viewer(path: Path, display: Xvfb, tmpdir: Path, log: Path) -> subprocess.Popen:
    env = display.env({"PATH": "/usr/bin:/bin", "HOME": str(tmpdir.parent), "LANG": "C.UTF-8"})
    env.update(TMPDIR=str(tmpdir), RS_VIEWER_CLOSE_AFTER_S="1")
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(path)], cwd=path.parent, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def window_names(display: Xvfb) -> list[str]:
    result = subprocess.run(
        ["xdotool", "search", "--name", "RemoteSales", "getwindowname", "%@"],
        env=display.env(), capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return result.stdout.splitlines()
