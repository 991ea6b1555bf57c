"""Access-code rules: 9 random digits, unique, single use, expiring; wrong codes change nothing."""

from __future__ import annotations

import pytest

from relay_server.sessions.access_codes import (
    CODE_DIGITS,
    AccessCodes,
    CodeError,
    CodeProblem,
    format_code,
    normalize_code,
)


def _problem(codes: AccessCodes, code: str, now: float) -> CodeProblem:
    with pytest.raises(CodeError) as caught:
        codes.redeem(code, now)
    return caught.value.problem


def test_codes_are_nine_digits_and_unique_among_live_ones():
    """2,000 codes issued at once are all distinct 9-digit strings."""
    codes = AccessCodes()
    issued = {codes.issue(f"s{n}", now=0, lifetime_s=600) for n in range(2000)}
    assert len(issued) == 2000 and CODE_DIGITS == 9
    assert all(len(c) == 9 and c.isdigit() for c in issued)


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("482913706", "482913706"),
        ("482 913 706", "482913706"),
        (" 482-913-706 ", "482913706"),
        ("482\u00a0913\u00a0706", "482913706"),
        ("48291370", None),
        ("4829137061", None),
        ("48291370a", None),
        ("٤٨٢٩١٣٧٠٦", None),  # other scripts' digits are not what the agent read out
        ("", None),
    ],
)
def test_typed_codes_are_normalized(typed, digits):
    """Spaces, dashes and no-break spaces between digits are dropped; anything else is no code."""
    assert normalize_code(typed) == digits


def test_codes_are_shown_in_groups_of_three():
    """The agent reads "482 913 706" out; the customer types it the same way."""
    assert format_code("482913706") == "482 913 706"


def test_a_code_is_single_use():
    """A used code is refused as used, not as wrong."""
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    assert codes.redeem(code, now=1) == "s1"
    assert _problem(codes, code, now=2) is CodeProblem.USED


def test_check_finds_the_session_without_using_the_code():
    """A knock checks a code; the code stays live until the customer is let in."""
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    assert codes.check(code, now=1) == "s1"
    assert codes.redeem(code, now=2) == "s1"


def test_a_code_expires_after_its_lifetime():
    """A code past its lifetime is refused as expired and reported to its session once."""
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    assert _problem(codes, code, now=600) is CodeProblem.EXPIRED
    assert codes.session_of(code) is None
    assert codes.expire(now=601) == [("s1", code)]
    assert codes.expire(now=602) == []


def test_a_code_expires_after_its_lifetime_even_unasked():
    """Upkeep retires codes nobody asked for once their time is up."""
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=10)
    assert codes.expire(now=9) == []
    assert codes.expire(now=10) == [("s1", code)]
    assert _problem(codes, code, now=11) is CodeProblem.EXPIRED


def test_wrong_codes_never_retire_a_live_code():
    """10,000 wrong codes later, the code the agent just gave out still works."""
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    wrong = 0
    for n in range(10_000):
        guess = f"{n:09d}"
        if guess != code:
            assert _problem(codes, guess, now=1) is CodeProblem.INVALID
            wrong += 1
    assert wrong >= 9_999 and codes.expire(now=2) == []
    assert codes.redeem(code, now=3) == "s1"


def test_a_wrong_code_costs_the_same_at_ten_and_at_a_thousand_live_codes():
    """A wrong code is one dict lookup: it touches no other live code (counted, not timed)."""

    class CountingDict(dict):
        reads = 0

        def get(self, key, default=None):
            CountingDict.reads += 1
            return super().get(key, default)

        def items(self):  # a scan over live codes would show here
            raise AssertionError("a wrong code scanned the live codes")

        def __iter__(self):
            raise AssertionError("a wrong code scanned the live codes")

    reads = []
    for live in (10, 1000):
        codes = AccessCodes()
        for n in range(live):
            codes.issue(f"s{n}", now=0, lifetime_s=600)
        codes._live = CountingDict(codes._live)
        CountingDict.reads = 0
        for n in range(100):
            with pytest.raises(CodeError):  # a hit is 1 in 10^6 per guess here
                codes.redeem(f"x{n:08d}", now=1)
        reads.append(CountingDict.reads)
    assert reads[0] == reads[1] == 100


def test_revoked_code_reads_as_expired():
    """A code the agent replaced is refused as expired."""
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    codes.revoke(code, now=5)
    assert _problem(codes, code, now=6) is CodeProblem.EXPIRED


def test_retired_codes_are_forgotten_after_a_day():
    """Remembering used codes (for "already used") does not grow memory forever."""
    codes = AccessCodes()
    for n in range(50):
        codes.redeem(codes.issue(f"s{n}", now=n, lifetime_s=600), now=n)
    for n in range(50):
        codes.redeem(codes.issue(f"t{n}", now=100_000 + n, lifetime_s=600), now=100_000 + n)
    assert len(codes._retired) == 50


def test_a_code_another_node_holds_is_never_issued_and_a_used_code_is_released():
    """With a hub's claim set, issue skips codes the claim refuses (held by another node) and
    redeeming a code releases its claim."""
    codes = AccessCodes()
    asked: list[str] = []
    released: list[tuple[str, str]] = []

    def claim(code: str, session_id: str, ttl_s: float) -> bool:
        asked.append(code)
        return len(asked) > 5  # the first five are another node's

    codes.claim = claim
    codes.release = lambda code, session_id: released.append((code, session_id))
    code = codes.issue("s1", 0.0, 600)
    assert len(asked) == 6 and code == asked[-1]
    assert codes.redeem(code, 1.0) == "s1"
    assert released == [(code, "s1")]
