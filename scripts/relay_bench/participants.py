"""Websocket participants: connect to the relay, say hello, wait for welcome; open-file limit."""

from __future__ import annotations

import asyncio
import json
import resource
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from scripts.relay_bench.errors import BenchError

PROTOCOL_VERSION = 1
WELCOME_TIMEOUT_S = 30.0


async def open_participant(
    ws_url: str, role: str, session_id: str, token: str, channel: str | None = None
) -> tuple[ClientConnection, dict[str, Any]]:
    """Connect, say hello and wait for `welcome`.

    Returns:
        The open connection and the welcome message.

    Raises:
        BenchError: the relay answered something else or closed the socket.
    """
    ws = await connect(
        ws_url,
        compression=None,
        proxy=None,
        ping_interval=None,
        max_size=2**21,
        open_timeout=WELCOME_TIMEOUT_S,
        max_queue=None,
    )
    hello: dict[str, Any] = {
        "type": "hello",
        "protocol_version": PROTOCOL_VERSION,
        "role": role,
        "session_id": session_id,
        "token": token,
    }
    if channel is not None:
        hello["channel"] = channel
    try:
        await ws.send(json.dumps(hello))
        while True:
            raw = await asyncio.wait_for(ws.recv(), WELCOME_TIMEOUT_S)
            if isinstance(raw, bytes):
                continue
            message = json.loads(raw)
            if message.get("type") == "welcome":
                return ws, message
            if message.get("type") == "error":
                raise BenchError(f"{role} hello answered with error: {message}")
    except ConnectionClosed as exc:
        raise BenchError(f"{role} hello: relay closed the socket ({exc})") from exc
    except BaseException:
        await ws.close()
        raise


def raise_nofile_limit(needed: int = 0) -> int:
    """Raise this process's open-file limit to the hard limit (and the hard one to ``needed``
    where privilege allows: root in CI); return the new soft limit.

    The relay it starts inherits the limits: 10,000 sessions need 20,000 websockets plus the
    relay's own files, above the 20,000 hard limit some containers set.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return needed
        except (ValueError, OSError):
            pass  # unprivileged: the caller warns that the limit is too low
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard
