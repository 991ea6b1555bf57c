"""Login throttling of :class:`Accounts` with concurrent attempts (no clock, no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_server.accounts.registry import AccountError, Accounts
from relay_server.store import Store


@pytest.fixture
def accounts(tmp_path: Path):
    store = Store(tmp_path)
    accounts = Accounts(store)
    accounts.create("alice", "alice-password-1")
    yield accounts
    store.close()


def _refusal(call) -> str:
    with pytest.raises(AccountError) as caught:
        call()
    return caught.value.code


def test_concurrent_wrong_passwords_cannot_overrun_the_account_budget(accounts):
    """Twenty logins begin before any is verified: five are held, the rest and the right wait."""
    began = []
    for n in range(20):
        try:
            accounts.begin_login("alice", f"10.0.0.{n}", now=0)
            began.append(f"10.0.0.{n}")
        except AccountError as error:
            assert error.code == "throttled" and error.retry_after_s == 600
    assert len(began) == 5
    assert _refusal(lambda: accounts.begin_login("alice", "10.0.1.1", now=0)) == "throttled"
    outcomes = [
        _refusal(lambda ip=ip: accounts.record_login(None, "alice", ip, now=1)) for ip in began
    ]
    assert outcomes == ["bad_credentials"] * 4 + ["throttled"]
    right = accounts.verify("alice", "alice-password-1")
    assert _refusal(lambda: accounts.begin_login("alice", "10.0.1.1", now=2)) == "throttled"
    assert right is not None


def test_concurrent_failures_over_many_ids_lock_the_ip_only(accounts):
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
