"""Access codes: 9 random digits, shown and typed in groups of three ("482 913 706").

Rules (pure; the caller passes ``now``): a code is random from ``secrets``, unique among live
codes, single use, and expires after its lifetime. Nothing anybody else types ever retires a
code: a wrong code is one dict lookup and changes nothing here (the relay counts it in
``join_guard``), so a customer always gets in with the code their agent just gave them.
Retired codes are remembered for a day so that a customer is told "already used" or "expired"
instead of "wrong".

With several relay nodes each code is also claimed in the hub (``claim``/``release``, set by
the Relay): a code another node holds is never issued here.

Why nine digits: against an attacker with unlimited addresses each guess hits one of the N
live codes with probability N/10^9 (10^-7 with 100 live codes; six digits made it 10^-4).
docs/security.md has the whole computation.
"""

from __future__ import annotations

import heapq
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

CODE_DIGITS = 9
CODE_GROUP_DIGITS = 3  # shown as "482 913 706"
REMEMBER_RETIRED_S = 24 * 3600
# What a person may type between the digits (a pasted "482-913-706", a phone's NBSP).
_SEPARATORS = str.maketrans("", "", " -\u00a0\u2009\u202f\t.")


class CodeProblem(StrEnum):
    INVALID = "invalid_code"
    USED = "code_used"
    EXPIRED = "code_expired"


class CodeError(Exception):
    def __init__(self, problem: CodeProblem):
        super().__init__(str(problem))
        self.problem = problem


def normalize_code(text: str) -> str | None:
    """The code's digits from what a customer typed or pasted, or None when it is no code.

    Spaces, dashes and dots between the digits are dropped ("482 913 706", "482-913-706").
    """
    digits = text.translate(_SEPARATORS)
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def format_code(code: str) -> str:
    """``"482913706"`` → ``"482 913 706"`` (how agents read it out and customers type it)."""
    step = CODE_GROUP_DIGITS
    return " ".join(code[i : i + step] for i in range(0, len(code), step))


@dataclass(slots=True)
class _LiveCode:
    session_id: str
    expires_at: float


class AccessCodes:
    """Live codes by value; every operation is O(1) or O(log n) in the number of live codes."""

    def __init__(self) -> None:
        # (code, session id, lifetime) -> held by us relay-wide now; and its release.
        self.claim: Callable[[str, str, float], bool] = lambda code, session_id, ttl: True
        self.release: Callable[[str, str], None] = lambda code, session_id: None
        self._live: dict[str, _LiveCode] = {}
        self._by_expiry: list[tuple[float, str]] = []  # heap; stale entries are skipped
        self._retired: dict[str, tuple[CodeProblem, float]] = {}  # oldest first
        self._due: list[tuple[str, str]] = []  # (session id, code) expired, not yet reported

    def issue(self, session_id: str, now: float, lifetime_s: float) -> str:
        """Return a new live code for ``session_id``."""
        if len(self._live) > 10**CODE_DIGITS // 2:
            raise RuntimeError("no access codes left")
        while True:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if code not in self._live and self.claim(code, session_id, lifetime_s):
                break
        self._retired.pop(code, None)
        self._add(code, session_id, now + lifetime_s)
        return code

    def restore(self, code: str, session_id: str, expires_at: float) -> None:
        """Put back a live code loaded from the store after a restart."""
        self._add(code, session_id, expires_at)

    def check(self, code: str, now: float) -> str:
        """The session id of live ``code``, without using it (a knock keeps the code live).

        Raises:
            CodeError: wrong, already used or expired. A wrong code costs one dict lookup.
        """
        live = self._live.get(code)
        if live is not None:
            if live.expires_at > now:
                return live.session_id
            self._expire(code, live, now)
        retired = self._retired.get(code)
        raise CodeError(retired[0] if retired is not None else CodeProblem.INVALID)

    def redeem(self, code: str, now: float) -> str:
        """Use ``code`` once; returns its session id.

        Raises:
            CodeError: wrong, already used or expired.
        """
        session_id = self.check(code, now)
        del self._live[code]
        self.release(code, session_id)
        self._retire(code, CodeProblem.USED, now)
        return session_id

    def revoke(self, code: str, now: float, problem: CodeProblem = CodeProblem.EXPIRED) -> None:
        """Retire ``code`` (its session ended, got a new one, or let a knocker in: ``USED``)."""
        live = self._live.pop(code, None)
        if live is not None:
            self.release(code, live.session_id)
            self._retire(code, problem, now)

    def expire(self, now: float) -> list[tuple[str, str]]:
        """Retire codes past their time; returns (session id, code) of each one retired now
        or found expired on the way by :meth:`check`, so no session holds a dead code unknowingly.
        """
        while self._by_expiry and self._by_expiry[0][0] <= now:
            _, code = heapq.heappop(self._by_expiry)
            live = self._live.get(code)
            if live is not None and live.expires_at <= now:
                self._expire(code, live, now)
        due, self._due = self._due, []
        return due

    def session_of(self, code: str) -> str | None:
        live = self._live.get(code)
        return live.session_id if live else None

    def _add(self, code: str, session_id: str, expires_at: float) -> None:
        self._live[code] = _LiveCode(session_id, expires_at)
        heapq.heappush(self._by_expiry, (expires_at, code))

    def _expire(self, code: str, live: _LiveCode, now: float) -> None:
        del self._live[code]
        self.release(code, live.session_id)
        self._retire(code, CodeProblem.EXPIRED, now)
        self._due.append((live.session_id, code))

    def _retire(self, code: str, problem: CodeProblem, now: float) -> None:
        # Oldest first (a re-retired code moves to the end): each call forgets at most two
        # codes past remembering, so the cost stays O(1) and the memory bounded.
        for _ in range(2):
            oldest = next(iter(self._retired), None)
            if oldest is None or self._retired[oldest][1] > now - REMEMBER_RETIRED_S:
                break
            del self._retired[oldest]
        self._retired.pop(code, None)
        self._retired[code] = (problem, now)

    def __len__(self) -> int:
        return len(self._live)
