"""New passwords are hashed by ``Accounts.hasher``, which may yield (the relay runs it in a
thread pool): what another greenlet does meanwhile must not be lost or doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_server.accounts.passwords import hash_password, verify_password
from relay_server.accounts.registry import AccountError, Accounts
from relay_server.sessions.relay import Relay, RelayOptions
from relay_server.store import TinyDBStore


@pytest.fixture
def accounts(tmp_path: Path):
    store = TinyDBStore(tmp_path)
    yield Accounts(store)
    store.close()


def test_an_id_taken_while_the_password_was_hashed_is_refused(accounts):
    def hasher_during_which_another_admin_creates_bob(password: str) -> str:
        accounts.hasher = hash_password
        accounts.create("bob", "the-other-password")
        return hash_password(password)

    accounts.hasher = hasher_during_which_another_admin_creates_bob
    with pytest.raises(AccountError) as refused:
        accounts.create("bob", "bob-password-1")
    assert refused.value.code == "account_exists"
    bobs = [a for a in accounts.list() if a["username"] == "bob"]
    assert len(bobs) == 1 and verify_password("the-other-password", bobs[0]["password_hash"])


def test_create_and_reset_use_the_hasher(accounts):
    hashed: list[str] = []

    def counting_hasher(password: str) -> str:
        hashed.append(password)
        return hash_password(password)

    accounts.hasher = counting_hasher
    accounts.create("carol", "carol-password-1")
    accounts.set_password("carol", "carol-password-2")
    assert hashed == ["carol-password-1", "carol-password-2"]
    assert verify_password("carol-password-2", accounts.get("carol")["password_hash"])


def test_the_relay_hands_its_hasher_to_the_accounts_at_construction(tmp_path: Path):
    """``Relay(hasher=...)`` is the hasher new passwords go through (the server passes its
    thread-pool one there; nothing patches the accounts afterwards)."""
    hashed: list[str] = []

    def counting_hasher(password: str) -> str:
        hashed.append(password)
        return hash_password(password)

    store = TinyDBStore(tmp_path)
    try:
        relay = Relay(store, RelayOptions(), hasher=counting_hasher)
        relay.accounts.create("dave", "dave-password-1")
    finally:
        store.close()
    assert hashed == ["dave-password-1"]
