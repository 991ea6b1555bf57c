"""The agent page presents to the customer's browser viewer, and the viewer paints (benchmarks).

``scripts/bench_browser_present.py`` measures this stream alone; ``scripts/bench_call.py``
measures it beside a call. Both start it here: the agent page asks, the customer accepts, the
viewer window opens at 1280x800 and has painted a few frames past the first key frame.
"""

from __future__ import annotations

import time
from typing import Any

VIEWER_SIZE = {"width": 1280, "height": 800}
PAINTED_FRAMES = 5  # painted before the measurement may start
PAINT_TIMEOUT_S = 20.0
SETTLE_S = 1.0  # past the key frame


def present_to_viewer(agent: Any, customer: Any) -> Any:
    """Present from ``agent`` (the /agent page, in a support) to ``customer`` (the customer's
    chat page) and return the viewer page once it paints.

    Raises:
        RuntimeError: the viewer painted nothing within PAINT_TIMEOUT_S.
    """
    agent.get_by_test_id("present-request").click()
    with customer.expect_popup() as popup:
        customer.get_by_test_id("presentation-accept").click()
    viewer = popup.value
    viewer.set_viewport_size(VIEWER_SIZE)
    deadline = time.monotonic() + PAINT_TIMEOUT_S
    while viewer.evaluate("window.__rsViewer?.stats().framesPainted ?? 0") < PAINTED_FRAMES:
        if time.monotonic() > deadline:
            raise RuntimeError("the viewer painted nothing")
        time.sleep(0.1)
    time.sleep(SETTLE_S)
    return viewer
