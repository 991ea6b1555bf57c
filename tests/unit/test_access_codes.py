"""Access-code rules: random, unique, single use, expiring, burned after 10 wrong guesses."""

from __future__ import annotations

import pytest

from relay_server.sessions.access_codes import (
    MAX_WRONG_GUESSES,
    AccessCodes,
    CodeError,
    CodeProblem,
)


def _problem(codes: AccessCodes, code: str, now: float) -> CodeProblem:
    with pytest.raises(CodeError) as caught:
        codes.redeem(code, now)
    return caught.value.problem


def _wrong(codes: AccessCodes, code: str) -> str:
    return "000000" if code != "000000" else "000001"


def test_codes_are_six_digits_and_unique_among_live_ones():
    codes = AccessCodes()
    issued = {codes.issue(f"s{n}", now=0, lifetime_s=600) for n in range(2000)}
    assert len(issued) == 2000
    assert all(len(c) == 6 and c.isdigit() for c in issued)


def test_a_code_is_single_use():
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    assert codes.redeem(code, now=1) == "s1"
    assert _problem(codes, code, now=2) is CodeProblem.USED


def test_a_code_expires_after_its_lifetime():
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    assert _problem(codes, code, now=600) is CodeProblem.EXPIRED
    assert codes.session_of(code) is None


def test_a_code_expires_after_its_lifetime_even_unasked():
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=10)
    assert codes.expire(now=9) == []
    assert codes.expire(now=10) == ["s1"]
    assert _problem(codes, code, now=11) is CodeProblem.EXPIRED


def test_ten_wrong_guesses_burn_every_code_live_during_them():
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    for n in range(MAX_WRONG_GUESSES - 1):
        assert _problem(codes, _wrong(codes, code), now=n) is CodeProblem.INVALID
    later = codes.issue("s2", now=20, lifetime_s=600)  # issued after 9 guesses: its budget is fresh
    assert _problem(codes, _wrong(codes, code), now=21) is CodeProblem.INVALID
    assert codes.expire(now=22) == ["s1"]
    assert _problem(codes, code, now=23) is CodeProblem.REPLACED
    assert codes.redeem(later, now=24) == "s2"


def test_retire_due_says_why_and_reports_codes_retired_on_the_way():
    codes = AccessCodes()
    burned = codes.issue("s1", now=0, lifetime_s=600)
    short = codes.issue("s2", now=0, lifetime_s=5)
    for n in range(MAX_WRONG_GUESSES):
        _problem(codes, _wrong(codes, burned), now=1 + n * 0.1)
    codes.issue("s3", now=6, lifetime_s=600)  # retires both on its way; nothing is lost
    assert sorted(codes.retire_due(now=6)) == [
        ("s1", burned, CodeProblem.REPLACED),
        ("s2", short, CodeProblem.EXPIRED),
    ]
    assert codes.retire_due(now=7) == []


def test_revoked_code_reads_as_expired():
    codes = AccessCodes()
    code = codes.issue("s1", now=0, lifetime_s=600)
    codes.revoke(code, now=5)
    assert _problem(codes, code, now=6) is CodeProblem.EXPIRED
