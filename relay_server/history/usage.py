"""What a live session used, for its history record (pure): presentations, control, files,
calls.

The relay counts here while the session runs and folds the result into the record at the end.
Kept in memory only: a relay restart in the middle of a session forgets what the session used
before it (its files are swept by the restart anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Transfers whose bytes reached the relay: the files the history lists as exchanged.
ARRIVED_STATES = frozenset(("ready", "received"))
FILE_FIELDS = ("id", "name", "size", "type", "sha256", "sender", "state", "created_at")


class SessionUsage:
    def __init__(self) -> None:
        self._sessions: dict[str, dict[str, Any]] = {}

    def _of(self, session_id: str) -> dict[str, Any]:
        found = self._sessions.get(session_id)
        if found is None:
            found = self._sessions[session_id] = {
                "presentations": 0,
                "control_grants": 0,
                "calls": 0,
                "files": {},
            }
        return found

    def count(self, session_id: str, what: str) -> None:
        """``what``: ``presentations`` (a presentation started), ``control_grants`` or
        ``calls`` (a call connected: someone answered it)."""
        self._of(session_id)[what] += 1

    def add_files(self, session_id: str, transfers: Iterable[dict[str, Any]]) -> None:
        """Remember the transfers (their ``view()``) whose bytes arrived; later views win."""
        files = self._of(session_id)["files"]
        for view in transfers:
            if view.get("state") in ARRIVED_STATES:
                files[view["id"]] = {k: view.get(k) for k in FILE_FIELDS}

    def pop(self, session_id: str) -> dict[str, Any]:
        """The session's usage for its record, forgotten here."""
        found = self._sessions.pop(session_id, None) or self._of(session_id)
        self._sessions.pop(session_id, None)
        return {
            "presentations": found["presentations"],
            "control_grants": found["control_grants"],
            "calls": found["calls"],
            "files": list(found["files"].values()),
        }
