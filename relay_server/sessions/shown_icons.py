"""Which live sessions show each icon number, kept up to date as sessions come and go (pure).

The directory asks on every "new support" which agents' live sessions show each number, and
on every end which other waiting session of the same agent shows the number next: both
answers come from the sessions of one number, never from a walk over every live session
(10,000 of them on a busy node).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relay_server.sessions.supports import SupportSession


class ShownIcons:
    """icon -> the live sessions showing it, and how many of them each agent has."""

    __slots__ = ("_agents", "_sessions")

    def __init__(self) -> None:
        self._agents: dict[int, Counter[str]] = {}
        self._sessions: dict[int, dict[str, SupportSession]] = {}

    def add(self, session: SupportSession) -> None:
        """``session`` is live with its current icon (nothing when it has none)."""
        if session.icon is None:
            return
        self._agents.setdefault(session.icon, Counter())[session.agent_username] += 1
        self._sessions.setdefault(session.icon, {})[session.id] = session

    def remove(self, session: SupportSession) -> None:
        """``session`` no longer shows its current icon (call before changing the icon)."""
        icon = session.icon
        showing = self._sessions.get(icon) if icon is not None else None
        if icon is None or showing is None or showing.pop(session.id, None) is None:
            return
        agents = self._agents[icon]
        agents[session.agent_username] -= 1
        if agents[session.agent_username] <= 0:
            del agents[session.agent_username]
        if not showing:
            del self._sessions[icon]
            del self._agents[icon]

    def agents(self) -> Mapping[int, Counter[str]]:
        """icon -> the agents whose live sessions show it (a read-only view)."""
        return self._agents

    def sessions_showing(self, icon: int) -> Iterable[SupportSession]:
        return tuple(self._sessions.get(icon, {}).values())
