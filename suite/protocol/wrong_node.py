"""``wrong_node``'s lease hint, and when a client tries again (sans-I/O; docs/protocol.md,
*The session's owner*).

A node that refuses a request because another node owns the session says how long the
owner's lease has left: ``lease_left_ms`` in the ``409`` body's error object, and in the
websocket's close reason (``wrong_node: lease_left_ms=2140; ...``). A dead owner's sessions
come free when its lease ends, so a client that waits that long (plus a little jitter, so
that the hundreds of clients of one dead node do not come back in the same millisecond) is
served at its next try, instead of retrying every 100-500 ms through TLS and the balancer
meanwhile. A live owner renews its lease: the next answer names the new remaining time. An
owner that took (or created) the session in the last few seconds is answered with a short
hint instead of its fresh lease (relay_server/sessions/takeover.py, ``RETRY_FRESH_OWNER_MS``):
the balancer learns it from its first answer.

The first ``wrong_node`` of a round of tries is retried on the client's own schedule (never
later than the hint): the balancer may only now know the owner (a join by code that landed
elsewhere; the other side of a session a node has just taken over), and then the owner is live
and answers at once. From the second ``wrong_node`` on, the client waits for the hint. A hint
that is absent or malformed falls back to the client's backoff. Mirrored in
``ui/common/protocol.js`` (``leaseHintOfReason``, ``leaseHintOfError``, ``wrongNodeDelayMs``).
"""

from __future__ import annotations

import re
from typing import Any

WRONG_NODE = "wrong_node"
LEASE_LEFT_FIELD = "lease_left_ms"
MAX_LEASE_HINT_MS = 60_000  # longer than any lease: a larger number is not a hint
RETRY_JITTER_MS = 200  # added to the hint, uniformly: the clients of one node spread out
MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame's reason

_REASON_HINT = re.compile(r"^wrong_node: lease_left_ms=(\d{1,6});")


def wrong_node_close_reason(lease_left_ms: int, message: str) -> str:
    """The close reason of a websocket refused ``wrong_node`` (at most 123 bytes)."""
    reason = f"{WRONG_NODE}: {LEASE_LEFT_FIELD}={max(0, int(lease_left_ms))}; {message}"
    return reason.encode()[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore")


def _checked(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_LEASE_HINT_MS else None


def lease_hint_of_reason(reason: Any) -> int | None:
    """The ms a ``wrong_node`` close reason says the owner's lease has left; else None."""
    match = _REASON_HINT.match(reason) if isinstance(reason, str) else None
    return _checked(int(match.group(1))) if match else None


def lease_hint_of_error(error: Any) -> int | None:
    """The same from a ``409`` answer's error object (``{"code": "wrong_node", ...}``)."""
    if not isinstance(error, dict) or error.get("code") != WRONG_NODE:
        return None
    return _checked(error.get(LEASE_LEFT_FIELD))


def wrong_node_delay_s(
    lease_left_ms: int | None, answers_before: int, backoff_s: float, spread: float
) -> float:
    """How long to wait before trying again after a ``wrong_node`` answer.

    Args:
        lease_left_ms: the answer's hint (None: absent or malformed).
        answers_before: ``wrong_node`` answers already seen in this round of tries.
        backoff_s: what the client would wait without a hint (its own schedule).
        spread: a random number in [0, 1): the jitter's share.
    """
    if lease_left_ms is None:
        return backoff_s
    at_lease_end = (lease_left_ms + spread * RETRY_JITTER_MS) / 1000.0
    if answers_before == 0:
        return min(backoff_s, at_lease_end)
    return at_lease_end
