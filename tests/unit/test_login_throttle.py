"""Login throttling of :class:`Accounts` with concurrent attempts (no clock, no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_server.accounts.registry import AccountError, Accounts
from relay_server.store import TinyDBStore


@pytest.fixture
def accounts(tmp_path: Path):
    store = TinyDBStore(tmp_path)
    accounts = Accounts(store)
    accounts.create("alice", "alice-password-1")
    yield accounts
    store.close()


def _refusal(call) -> str:
    with pytest.raises(AccountError) as caught:
        call()
    return caught.value.code


def test_concurrent_wrong_passwords_cannot_overrun_the_account_budget(accounts):
    """Twenty logins from twenty addresses begin before any is verified: the account's ten free
    failures are held, the rest are told to wait seconds (a slowdown, not a lock)."""
    began = []
    for n in range(20):
        try:
            accounts.begin_login("alice", f"10.0.0.{n}", now=0)
            began.append(f"10.0.0.{n}")
        except AccountError as error:
            assert error.code == "throttled" and 0 < error.retry_after_s <= 5
    assert len(began) == 10
    outcomes = [
        _refusal(lambda ip=ip: accounts.record_login(None, "alice", ip, now=1)) for ip in began
    ]
    assert outcomes == ["bad_credentials"] * 10
    assert _refusal(lambda: accounts.begin_login("alice", "10.0.1.1", now=1.5)) == "throttled"
    accounts.begin_login("alice", "10.0.1.1", now=2)  # one second after the tenth failure
    right = accounts.verify("alice", "alice-password-1")
    token, _ = accounts.record_login(right, "alice", "10.0.1.1", now=2)
    assert accounts.authenticate(token, now=3).username == "alice"


def _fail(accounts, username: str, ip: str, now: float) -> AccountError:
    accounts.begin_login(username, ip, now)
    with pytest.raises(AccountError) as caught:
        accounts.record_login(None, username, ip, now)
    return caught.value


def test_wrong_passwords_lock_the_account_only_from_that_address_and_say_tries_left(accounts):
    """Five wrong passwords from one address lock that account there for ten minutes, telling
    the tries left on the way; the account from elsewhere and other accounts are not locked."""
    answers = [_fail(accounts, "alice", "10.0.0.1", now=n) for n in range(5)]
    assert [a.details.get("tries_left") for a in answers] == [4, 3, 2, 1, 0]
    assert [a.code for a in answers] == ["bad_credentials"] * 4 + ["throttled"]
    assert answers[-1].retry_after_s > 500
    with pytest.raises(AccountError) as locked:
        accounts.begin_login("alice", "10.0.0.1", now=10)
    assert locked.value.code == "throttled" and locked.value.retry_after_s > 500
    accounts.check_throttle("alice", "10.0.0.2", now=10)  # the account elsewhere
    accounts.check_throttle("bob", "10.0.0.1", now=10)  # the address for others (slowed: 1 s)
    accounts.check_throttle("alice", "10.0.0.1", now=601)  # the lock ends with the window


def test_an_address_that_signed_in_before_skips_the_slowdowns(accounts):
    """After many failures from everywhere, an address alice signed in from before lets her in
    at once, while a new address must wait a few seconds."""
    accounts.begin_login("alice", "10.9.9.9", now=0)
    accounts.record_login(accounts.verify("alice", "alice-password-1"), "alice", "10.9.9.9", 0)
    for n in range(30):
        try:
            _fail(accounts, "alice", f"10.0.{n}.1", now=100 + n * 0.01)
        except AccountError as error:  # slowed: the begin was refused
            assert error.code == "throttled" and error.retry_after_s <= 5
    wait = _refusal(lambda: accounts.begin_login("alice", "10.1.1.1", now=100.5))
    assert wait == "throttled"
    accounts.begin_login("alice", "10.9.9.9", now=100.5)
    accounts.record_login(accounts.verify("alice", "alice-password-1"), "alice", "10.9.9.9", 100.5)


def test_long_ids_are_refused_before_the_throttles_keep_them(accounts):
    """An ID over 64 characters is refused as username_too_long and leaves no throttle key."""
    for n in range(1000):
        name = f"{n}-" + "x" * 60_000
        assert _refusal(lambda name=name: accounts.begin_login(name, "10.0.0.1", 0)) == (
            "username_too_long"
        )
    assert len(accounts.by_pair) == len(accounts.by_account) == len(accounts.by_ip) == 0


def test_failed_login_keys_stay_bounded_and_are_swept(accounts, monkeypatch):
    """A thousand failed logins with distinct IDs keep at most the cap of keys, and none once
    their window has passed and the sweep ran."""
    for throttle in (accounts.by_pair, accounts.by_account, accounts.by_ip):
        monkeypatch.setattr(throttle, "max_keys", 300)
    for n in range(1000):
        _fail(accounts, f"user-{n}-" + "x" * 50, f"10.{n // 250}.{n % 250}.1", now=n * 0.5)
    assert max(len(accounts.by_pair), len(accounts.by_account), len(accounts.by_ip)) <= 300
    accounts.sweep_throttles(now=500 + 600)
    assert len(accounts.by_pair) == len(accounts.by_account) == len(accounts.by_ip) == 0


def test_concurrent_failures_over_many_ids_slow_the_ip_only(accounts):
    """Five concurrent failures from one address over many IDs slow that address, not others."""
    for n in range(5):
        accounts.begin_login(f"user{n}", "10.0.0.1", now=0)
    assert _refusal(lambda: accounts.begin_login("alice", "10.0.0.1", now=0)) == "throttled"
    accounts.begin_login("alice", "10.0.0.2", now=0)  # another IP is not held back
    account = accounts.verify("alice", "alice-password-1")
    token, _ = accounts.record_login(account, "alice", "10.0.0.2", now=0)
    assert accounts.authenticate(token, now=1).username == "alice"


def test_a_right_password_or_an_error_releases_the_held_attempt(accounts):
    for _ in range(10):
        accounts.begin_login("alice", "10.0.0.1", now=0)
        accounts.record_login(accounts.verify("alice", "alice-password-1"), "alice", "10.0.0.1", 0)
    for _ in range(10):
        accounts.begin_login("alice", "10.0.0.1", now=0)
        accounts.abandon_login("alice", "10.0.0.1")  # e.g. the thread pool raised
    accounts.check_throttle("alice", "10.0.0.1", now=0)  # nothing held, nothing failed


def test_a_disabled_account_is_refused_without_counting_a_failure(accounts):
    accounts.set_disabled("alice", True)
    for _ in range(6):
        accounts.begin_login("alice", "10.0.0.1", now=0)
        account = accounts.verify("alice", "alice-password-1")
        assert _refusal(lambda a=account: accounts.record_login(a, "alice", "10.0.0.1", 0)) == (
            "account_disabled"
        )
