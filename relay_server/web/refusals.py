"""One log line per refused piece of hostile input, without a traceback, and never a flood.

Malformed input (a frame that is not JSON or nested too deep, a field of the wrong type, a
``Range`` of 5,000 digits, a websocket frame that breaks RFC 6455) is the client's fault, is
answered with the documented error, and is worth one short line for whoever reads the log:
where, what, and from which address. A client can send thousands a second, so at most
``LINES_PER_S`` lines are written per second; the next line that is written first says how
many were left out ("... 512 more refusals suppressed").

An exception that is *not* a refusal is a bug in the relay: the callers still log those with
``logger.exception`` (a traceback), and ``tests/integration/test_fuzz_relay.py`` fails on any.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

LINES_PER_S = 10
DETAIL_CHARS = 160  # what the client sent may be long and is not ours to copy whole


class RefusalLog:
    """Logs refusals at ``info``, at most ``lines_per_s`` a second (one-second windows).

    Args:
        clock: the current time in seconds (a test passes its own).
        log: where lines go (``logger.info``-like: a message and ``extra``).
    """

    def __init__(
        self,
        lines_per_s: int = LINES_PER_S,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[..., None] | None = None,
    ) -> None:
        self.lines_per_s = lines_per_s
        self._clock = clock
        self._log = log or logger.info
        self._window = -1
        self._written = 0
        self.suppressed = 0  # left out since the last line written
        self.total = 0

    def refused(self, where: str, reason: str, **extra: Any) -> bool:
        """Note one refusal; returns whether a line was written for it.

        Args:
            where: what refused it (``"chat frame"``, ``"http body"``, ``"websocket"``, ...).
            reason: why, as told to the client (cut to ``DETAIL_CHARS``).
            extra: structured fields for the line (``ip``, ``session_id``, ``path``, ...).
        """
        self.total += 1
        window = int(self._clock())
        if window != self._window:
            self._window, self._written = window, 0
        if self._written >= self.lines_per_s:
            self.suppressed += 1
            return False
        self._written += 1
        message = "refused %s: %s"
        args: tuple[Any, ...] = (where, reason[:DETAIL_CHARS])
        if self.suppressed:
            message += " (%d more refusals suppressed before this one)"
            args += (self.suppressed,)
            extra["suppressed"] = self.suppressed
            self.suppressed = 0
        self._log(message, *args, extra=extra)
        return True

    def flush(self) -> None:
        """Write the count of refusals left out, once their second is over (the relay's tick
        calls this, so that the end of a flood is summed up even if nothing follows it)."""
        if self.suppressed and int(self._clock()) != self._window:
            self._log(
                "%d more refusals suppressed",
                self.suppressed,
                extra={"suppressed": self.suppressed},
            )
            self.suppressed = 0


# The relay's one instance: every parser's refusals share its budget.
refusals = RefusalLog()
