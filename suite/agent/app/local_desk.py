"""The local API's desk routes (docs/agent-local-api.md, *Desk*): the app's lock and text size.

A8's lock: after the idle time the agent chose, while a support is live, the main window asks
``POST /local/lock``; every window of the app (main, chats, notice, help) is covered
(``{kind: "locked"}`` through the windows' event channel, and ``GET /local/desk`` for a window
that opens or reloads meanwhile) until someone types the agent's password into a cover:
``POST /local/unlock`` asks the relay (``POST /api/me/verify_password``, throttled like a
login) and, when it says yes, uncovers every window (``{kind: "unlocked"}``). The supports,
the presentation and the chats go on underneath: only the windows' pages are covered.

The text size (A8) is a setting; when it changes every window is told
(``{kind: "text_size", percent}``) and applies it at once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import bottle

from suite.agent.app.errors import AgentError
from suite.agent.app.relay_client import RelayClient
from suite.agent.app.settings import LocalSettings

logger = logging.getLogger(__name__)

# For tests only (not a user option): lock after this many seconds instead of the setting's
# minutes, so a test under Xvfb need not wait a minute. Documented in docs/agent-local-api.md.
TEST_LOCK_AFTER_ENV = "REMOTESALES_TEST_LOCK_AFTER_S"
MAX_PASSWORD_CHARS = 1024


class DeskLock:
    """Whether the app's windows are covered; safe to use from the local server's threads."""

    def __init__(self) -> None:
        self._locked = False
        self._lock = threading.Lock()

    @property
    def locked(self) -> bool:
        with self._lock:
            return self._locked

    def set(self, locked: bool) -> bool:
        """Lock or unlock; returns whether that changed anything."""
        with self._lock:
            changed, self._locked = self._locked != locked, locked
            return changed


def lock_after_s(settings: LocalSettings) -> float:
    """Seconds of idleness before the lock (0 = off): the setting, or the test override."""
    override = os.environ.get(TEST_LOCK_AFTER_ENV, "")
    if override:
        try:
            return max(0.0, float(override))
        except ValueError:
            logger.warning("%s=%r is no number; the setting counts", TEST_LOCK_AFTER_ENV, override)
    return float(settings.get()["idle_lock_minutes"]) * 60.0


def install_desk_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    settings: LocalSettings,
    desk: DeskLock,
    login: Callable[[], dict[str, Any] | None],
    client: Callable[[], RelayClient],
    broadcast: Callable[[dict[str, Any]], None],
    body: Callable[[], dict[str, Any]],
) -> None:
    """Add ``/local/desk``, ``/local/lock`` and ``/local/unlock`` to the local API's ``app``.

    Args:
        login: the current relay login (``token``), or None.
        client: a relay client for the login's relay.
        broadcast: tells every window of the app (``AgentShell.broadcast``).
    """

    @app.get("/local/desk")
    @json_route
    def desk_state():
        return {
            "locked": desk.locked,
            "lock_after_s": lock_after_s(settings),
            "text_size": settings.get()["text_size"],
        }

    @app.post("/local/lock")
    @json_route
    def lock():
        if login() is None:
            raise AgentError("not_logged_in", "nothing to lock: the app is signed out", 409)
        if desk.set(True):
            logger.info("the app's windows are locked")
        broadcast({"kind": "locked", "from": "app"})  # again: a window may have missed it
        return {"locked": True}

    @app.post("/local/unlock")
    @json_route
    def unlock():
        password = body().get("password")
        if not isinstance(password, str) or not 1 <= len(password) <= MAX_PASSWORD_CHARS:
            raise AgentError("bad_request", "type your password to unlock")
        current = login()
        if current is None:
            # Signed out meanwhile (another window, the token ended): nothing left to hide.
            desk.set(False)
            broadcast({"kind": "unlocked", "from": "app"})
            return {"locked": False}
        # The relay's answer is passed on: wrong_password (403, tries_left), throttled (429).
        client().call(
            "POST", "/api/me/verify_password", {"password": password}, token=current["token"]
        )
        if desk.set(False):
            logger.info("the app's windows are unlocked")
        broadcast({"kind": "unlocked", "from": "app"})
        return {"locked": False}
