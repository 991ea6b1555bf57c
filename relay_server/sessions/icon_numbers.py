"""Which icon number each agent shows on the relay page (pure).

An agent keeps one number across supports (so it can be printed on a card or an e-mail
signature): the first support gets the smallest number nobody holds, and every later one the
same number. Numbers are unique among the agents holding them; only when all of them are held
does the one used longest ago (by an agent with no live support) move to a new agent. The
relay persists the assignments (``agent_icons.py``) so they survive a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MAX_ICON = 99


@dataclass(frozen=True, slots=True)
class IconHolder:
    username: str
    last_used: float


@dataclass(slots=True)
class IconNumbers:
    """``holders``: icon number -> who holds it and when they last used it."""

    holders: dict[int, IconHolder] = field(default_factory=dict)
    max_icon: int = MAX_ICON

    def held_by(self, username: str) -> int | None:
        for icon, holder in self.holders.items():
            if holder.username == username:
                return icon
        return None

    def number_for(
        self, username: str, live: Mapping[int, Iterable[str]], now: float
    ) -> int | None:
        """The number ``username``'s new support shows (and records it as held and used).

        Args:
            live: icon -> the agents whose live supports show it now (a session restored
                from before numbers were kept may show one another agent holds).

        Returns:
            The number, or None when every number is in a live support of another agent.
        """

        def free_for(icon: int) -> bool:
            return all(agent == username for agent in live.get(icon, ()))

        icon = self.held_by(username)
        if icon is not None and not free_for(icon):
            del self.holders[icon]  # shown by someone else's live support: pick another
            icon = None
        if icon is None:
            icon = next(
                (n for n in range(1, self.max_icon + 1) if n not in self.holders and free_for(n)),
                None,
            )
        if icon is None:
            # Every number is held: take the one used longest ago, if no live support shows it.
            reclaimable = [n for n, h in self.holders.items() if not live.get(n) and free_for(n)]
            if not reclaimable:
                return None
            icon = min(reclaimable, key=lambda n: (self.holders[n].last_used, n))
        self.holders[icon] = IconHolder(username, now)
        return icon
