"""Which supports hold a call the agent started or accepted (CH9), for the camera and microphone.

The chat window of a support tells the app when the agent starts or accepts a call there and
when it ends (``POST /local/calls``); the web engine's permission handler
(``web_permissions.py``) grants the camera and the microphone to that window's page only
while its support is in this set. A chat window that closes ends its call here too.

Pure: a set behind a lock (the local server's threads and the GUI thread both ask).
"""

from __future__ import annotations

import threading

MAX_CALLS = 64  # more supports than one agent can talk to at once


class CallGate:
    """The sessions whose chat window may use the camera and the microphone now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, float] = {}  # session id -> when the call was started

    def start(self, session_id: str, now: float) -> None:
        """The agent started or accepted a call in ``session_id``'s chat window.

        Raises:
            ValueError: already ``MAX_CALLS`` calls (a page gone wild).
        """
        with self._lock:
            if session_id not in self._sessions and len(self._sessions) >= MAX_CALLS:
                raise ValueError(f"at most {MAX_CALLS} calls at once")
            self._sessions.setdefault(session_id, now)

    def end(self, session_id: str) -> bool:
        """The call of ``session_id`` ended (hung up, declined, failed, window closed).
        Returns whether one was on."""
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def active(self, session_id: str | None) -> bool:
        with self._lock:
            return session_id is not None and session_id in self._sessions

    def sessions(self) -> list[str]:
        with self._lock:
            return sorted(self._sessions)
