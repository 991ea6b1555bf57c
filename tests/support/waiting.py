"""The one polling loop of the tests: wait until a condition holds, or fail saying what for.

Tests synchronise on statuses (a message, an API answer, a process gone); when the thing to
watch has no event to block on, they poll it here instead of writing their own deadline loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_S = 15.0
POLL_S = 0.05


def wait_until(
    condition: Callable[[], T],
    what: str,
    timeout_s: float = WAIT_S,
    interval_s: float = POLL_S,
    pause: Callable[[float], None] = time.sleep,
    detail: Callable[[], str] | None = None,
) -> T:
    """Call ``condition`` until it returns something truthy, and return that.

    Args:
        condition: polled at once, then every ``interval_s``; its exceptions propagate.
        what: what is awaited, for the failure message ("the overlay child").
        timeout_s: how long to poll before failing.
        interval_s: the pause between two polls.
        pause: how to pause; a test driving a Playwright page passes one that calls
            ``page.wait_for_timeout`` (milliseconds), so the page keeps handling its events.
        detail: what to add to the failure message (default: the last value seen).

    Raises:
        AssertionError: ``condition`` was still falsy after ``timeout_s``; the message names
            ``what`` and the last value seen.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            seen = detail() if detail is not None else repr(value)
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}; {seen}")
        pause(interval_s)
