"""What the local API's routes share: the relay login and the notice list of live sessions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from suite.agent.app.activity import ActivityLog
from suite.agent.app.call_gate import CallGate
from suite.agent.app.errors import RelayClientError
from suite.agent.app.relay_client import RelayClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """The merged list of live sessions, numbered so a window can drop an older copy.

    The notice page reads the list once (GET) while the app pushes each change to it: the GET's
    answer can arrive after a newer push, and the revision is how the page tells them apart.
    """

    revision: int
    sessions: list[dict[str, Any]]


@dataclass
class LocalState:
    """The relay login and the notice list, shared by every window of this launch."""

    login: dict[str, Any] | None = None
    notice_by_source: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notice_revision: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    activity: ActivityLog = field(default_factory=ActivityLog)  # A4: input in other windows
    calls: CallGate = field(default_factory=CallGate)  # CH9: who may use the camera and mic

    def notice(self) -> Notice:
        """Every window's live sessions, merged (first report of a session wins)."""
        with self.lock:
            return Notice(self.notice_revision, self._merged())

    def _merged(self) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for sessions in self.notice_by_source.values():
            for session in sessions:
                merged.setdefault(session["session_id"], session)
        return list(merged.values())

    def set_notice(self, source: str, sessions: list[dict[str, Any]]) -> Notice:
        """Replace what ``source`` (a window) reported; returns the new merged list."""
        with self.lock:
            if sessions:
                self.notice_by_source[source] = sessions
            else:
                self.notice_by_source.pop(source, None)
            self.notice_revision += 1
            return Notice(self.notice_revision, self._merged())


def log_out(state: LocalState, client_for: Callable[[str], RelayClient]) -> None:
    """Forget the relay login and revoke its token on the relay (best effort).

    Used by ``POST /local/logout`` and when the app quits, so no valid token outlives it.
    """
    with state.lock:
        login, state.login = state.login, None
    if login is None:
        return
    try:
        client_for(login["relay_url"]).logout(login["token"])
    except RelayClientError as error:
        # Logged out here either way; the token expires on the relay by itself.
        logger.warning("logout on the relay failed: %s", error.message)
