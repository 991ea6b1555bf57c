"""Access codes: 6 random digits a customer types on the relay page.

Rules (pure; the caller passes ``now``): a code is unique among live codes, single use,
expires after its lifetime, and is burned once 10 wrong guesses have been made while it was
live — a wrong guess matches no code, so it counts against every live code, and no code ever
faces more than ``MAX_WRONG_GUESSES`` guesses. A burned code is retired as ``code_replaced``:
the directory gives its waiting session a fresh code (with a fresh budget) at once.
Retired codes are remembered for a while so that a customer is told "already used",
"expired" or "replaced" instead of "wrong".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

CODE_DIGITS = 6
MAX_WRONG_GUESSES = 10
REMEMBER_RETIRED_S = 24 * 3600


class CodeProblem(StrEnum):
    INVALID = "invalid_code"
    USED = "code_used"
    EXPIRED = "code_expired"
    REPLACED = "code_replaced"  # burned by wrong guesses; its session got a new code


class CodeError(Exception):
    def __init__(self, problem: CodeProblem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(slots=True)
class _LiveCode:
    session_id: str
    expires_at: float
    wrong_guesses_at_issue: int


class AccessCodes:
    def __init__(self) -> None:
        self._live: dict[str, _LiveCode] = {}
        self._retired: dict[str, tuple[CodeProblem, float]] = {}
        self._wrong_guesses = 0  # relay-wide count of wrong guesses, ever
        self._due: list[tuple[str, str, CodeProblem]] = []  # retired, not yet reported

    def issue(self, session_id: str, now: float, lifetime_s: float) -> str:
        """Return a new live code for ``session_id``."""
        self._retire_due(now)
        if len(self._live) > 10**CODE_DIGITS // 2:
            raise RuntimeError("no access codes left")
        while True:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if code not in self._live:
                break
        self._retired.pop(code, None)
        self._live[code] = _LiveCode(session_id, now + lifetime_s, self._wrong_guesses)
        return code

    def restore(self, code: str, session_id: str, expires_at: float) -> None:
        """Put back a live code loaded from the store after a restart."""
        self._live[code] = _LiveCode(session_id, expires_at, self._wrong_guesses)

    def redeem(self, code: str, now: float) -> str:
        """Use ``code`` once; returns its session id.

        Raises:
            CodeError: wrong (counted as a guess), already used, expired or replaced.
        """
        self._retire_due(now)
        live = self._live.pop(code, None)
        if live is not None:
            self._retire(code, CodeProblem.USED, now)
            return live.session_id
        retired = self._retired.get(code)
        if retired is not None:
            raise CodeError(retired[0])
        self._wrong_guesses += 1
        raise CodeError(CodeProblem.INVALID)

    def revoke(self, code: str, now: float) -> None:
        """Retire ``code`` (its session ended or got a new one)."""
        if self._live.pop(code, None) is not None:
            self._retire(code, CodeProblem.EXPIRED, now)

    def expire(self, now: float) -> list[str]:
        """Retire codes past their time or their guess budget; returns their session ids."""
        return [session_id for session_id, _, _ in self.retire_due(now)]

    def retire_due(self, now: float) -> list[tuple[str, str, CodeProblem]]:
        """Like :meth:`expire`: (session id, code, why), why ``EXPIRED`` or ``REPLACED`` (burned).

        Also reports codes retired on the way by :meth:`issue` or :meth:`redeem`, so no
        session is left holding a dead code unknowingly.
        """
        self._retire_due(now)
        due, self._due = self._due, []
        return due

    def _retire_due(self, now: float) -> None:
        for code, live in list(self._live.items()):
            if live.expires_at <= now:
                problem = CodeProblem.EXPIRED
            elif self._wrong_guesses - live.wrong_guesses_at_issue >= MAX_WRONG_GUESSES:
                problem = CodeProblem.REPLACED
            else:
                continue
            del self._live[code]
            self._retire(code, problem, now)
            self._due.append((live.session_id, code, problem))
        if len(self._retired) > 4 * len(self._live) + 1000:
            self._retired = {
                c: v for c, v in self._retired.items() if v[1] > now - REMEMBER_RETIRED_S
            }

    def session_of(self, code: str) -> str | None:
        live = self._live.get(code)
        return live.session_id if live else None

    def _retire(self, code: str, problem: CodeProblem, now: float) -> None:
        self._retired[code] = (problem, now)

    def __len__(self) -> int:
        return len(self._live)
