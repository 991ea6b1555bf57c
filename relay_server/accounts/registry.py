"""Agent and admin accounts, bearer tokens and login throttling.

Passwords are hashed with scrypt (:mod:`relay_server.accounts.passwords`); tokens are random
and only their SHA-256 is stored, so a copy of the data folder does not hold usable tokens.
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from relay_server.accounts.fields import MAX_PROFILE_CHARS, PROFILE_FIELDS, USERNAME_RE
from relay_server.accounts.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD_CHARS,
    hash_password,
    verify_password,
)
from relay_server.accounts.token_budget import UnknownTokenBudget
from relay_server.errors import Refused
from relay_server.store import Store
from relay_server.throttle import FailureSlowdown, FailureThrottle, RecentPairs

ACCOUNTS = "accounts"
TOKENS = "tokens"
# Several nodes on one database: how long a node trusts its copy of a token before it reads
# it again (a sign-out on another node takes effect here within this).
TOKEN_RECHECK_S = 5.0
MAX_USERNAME_CHARS = 64  # checked before any throttle keeps the name
# Wrong passwords for one account from one address: 5 in 10 minutes lock that pair only.
LOGIN_FAILURES_LIMIT = 5
LOGIN_WINDOW_S = 600.0
# Across addresses, an account (and across accounts, an address) is slowed down, not locked:
# from the free-th failure in the window on, each makes the next attempt wait 1, 2, 4, then
# 5 s at most. An address that signed in to the account in the last 30 days skips both.
ACCOUNT_FREE_FAILURES = 10
ADDRESS_FREE_FAILURES = 5
SLOWDOWN_FIRST_S = 1.0
SLOWDOWN_MAX_S = 5.0
KNOWN_ADDRESS_DAYS = 30
MAX_KNOWN_ADDRESSES = 50_000
MAX_THROTTLE_KEYS = 50_000
SWEEP_EVERY_S = 60.0


class AccountError(Exception):
    """A refused account operation; ``code`` is the API error code, ``message`` for people."""

    def __init__(
        self, code: str, message: str, retry_after_s: float = 0.0, details: dict | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
        self.details = details or {}  # more fields of the API error (e.g. tries_left)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token belongs to."""

    username: str
    role: str  # "agent" or "admin"
    token_hash: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_profile(account: dict[str, Any]) -> dict[str, Any]:
    profile = {k: account.get(k, "") for k in PROFILE_FIELDS}
    profile["username"] = account["username"]
    profile["name"] = profile["name"] or account["username"]
    return profile


class Accounts:
    """Accounts, tokens and the login throttles over the store.

    Args:
        store: the relay's store.
        token_lifetime_s: how long a login's bearer token lives.
        hasher: hashes a new password (scrypt: ~50 ms of CPU). The relay server passes one
            that runs in the hub's thread pool (through ``Relay``), so creating an account or
            resetting a password does not stall every socket; the CLI keeps the direct call.
    """

    def __init__(
        self,
        store: Store,
        token_lifetime_s: float = 12 * 3600,
        hasher: Callable[[str], str] = hash_password,
        idle_timeout_s: Callable[[], float] = lambda: 0.0,
    ):
        self.store = store
        self.token_lifetime_s = token_lifetime_s
        self.hasher = hasher
        # AD4: a token unused this long is signed out (0: never); read at each check.
        self.idle_timeout_s = idle_timeout_s
        # Last activity per token (memory only: after a restart the count starts again at
        # the token's first use, so a restart never signs anyone out).
        self._last_active: dict[str, float] = {}
        self.by_pair = FailureThrottle(LOGIN_FAILURES_LIMIT, LOGIN_WINDOW_S, MAX_THROTTLE_KEYS)
        slowdown = (SLOWDOWN_FIRST_S, SLOWDOWN_MAX_S, LOGIN_WINDOW_S, MAX_THROTTLE_KEYS)
        self.by_account = FailureSlowdown(ACCOUNT_FREE_FAILURES, *slowdown)
        self.by_ip = FailureSlowdown(ADDRESS_FREE_FAILURES, *slowdown)
        self.known_addresses = RecentPairs(KNOWN_ADDRESS_DAYS * 86400.0, MAX_KNOWN_ADDRESSES)
        self._next_sweep = 0.0
        self._principals: dict[str, tuple[Principal, float, int]] = {}
        self._checked_at: dict[str, float] = {}  # token -> last read from a shared database
        # Several nodes: the client's address at a token check (the web layer sets it), and
        # the budget of unknown tokens per address that keeps a flood off the database.
        self.address_of: Callable[[], str] = lambda: ""
        self.unknown_tokens: UnknownTokenBudget | None = None
        for doc in store.all(TOKENS):
            self._principals[doc["token_hash"]] = (
                Principal(doc["username"], doc["role"], doc["token_hash"]),
                doc["expires_at"],
                doc.doc_id,
            )

    # -- accounts --------------------------------------------------------------------------

    def get(self, username: str) -> dict[str, Any] | None:
        # By key: on a shared database an account another node created is read on use.
        doc = self.store.lookup(ACCOUNTS, "username", username)
        return dict(doc, doc_id=doc.doc_id) if doc else None

    def list(self) -> list[dict[str, Any]]:
        return [dict(doc, doc_id=doc.doc_id) for doc in self.store.all(ACCOUNTS)]

    def create(
        self, username: str, password: str, role: str = "agent", **profile: str
    ) -> dict[str, Any]:
        if not USERNAME_RE.match(username):
            raise AccountError(
                "bad_request",
                "an ID is 1-64 letters, digits or . _ @ - and starts with a letter or digit",
            )
        if role not in ("agent", "admin"):
            raise AccountError("bad_request", "role must be 'agent' or 'admin'")
        self._check_password(password)
        profile = self._clean_profile(profile)
        self._require_free(username)
        password_hash = self.hasher(password)  # may yield to other greenlets
        self._require_free(username)  # a concurrent create may have taken the ID meanwhile
        doc = {
            "username": username,
            "role": role,
            "password_hash": password_hash,
            "disabled": False,
            **profile,
        }
        self.store.insert(ACCOUNTS, doc)
        self.store.sync()
        return doc

    def update_profile(self, username: str, profile: dict[str, Any]) -> None:
        """Change profile fields (durable after the store's next sync)."""
        account = self._require(username)
        self.store.update(ACCOUNTS, account["doc_id"], self._clean_profile(profile))

    def _require_free(self, username: str) -> None:
        if self.get(username):
            raise AccountError("account_exists", f"an account named '{username}' exists already")

    def set_password(self, username: str, password: str) -> None:
        self._require(username)
        self._check_password(password)
        password_hash = self.hasher(password)  # may yield to other greenlets
        account = self._require(username)
        self.store.update(ACCOUNTS, account["doc_id"], {"password_hash": password_hash})
        self._revoke_all(username)
        self.store.sync()

    def set_disabled(self, username: str, disabled: bool) -> None:
        account = self._require(username)
        self.store.update(ACCOUNTS, account["doc_id"], {"disabled": disabled})
        if disabled:
            self._revoke_all(username)
        self.store.sync()

    # -- login -----------------------------------------------------------------------------

    def check_throttle(self, username: str, ip: str, now: float) -> None:
        """Refuse (throttled) when this login would have to wait; holds nothing.

        A login that then yields (the scrypt check) must use :meth:`begin_login` instead.
        """
        self.begin_login(username, ip, now)
        self.abandon_login(username, ip)

    def begin_login(self, username: str, ip: str, now: float) -> None:
        """Check the budgets and hold one attempt on each, in one step (nothing yields).

        The budgets: wrong passwords for this account from this address (5 lock the pair for
        10 minutes), and, unless this address signed in to this account before, the account's
        and the address's slowdowns. The held attempt counts as a failure until
        :meth:`record_login` or :meth:`abandon_login` settles it, so concurrent wrong passwords
        cannot all pass the check while the first ones are still being verified.

        Raises:
            AccountError: ``username_too_long`` (before anything keeps the name), or
                ``throttled`` (nothing is held then).
        """
        if len(username) > MAX_USERNAME_CHARS:
            raise AccountError(
                "username_too_long", f"an ID is at most {MAX_USERNAME_CHARS} characters"
            )
        pair = _pair(username, ip)
        wait = self.by_pair.reserve(pair, now)
        if wait > 0:
            raise _locked(wait)
        if self.known_addresses.seen(username, ip, now):
            self.by_account.hold(username)
            self.by_ip.hold(ip)
            return
        wait = self.by_account.reserve(username, now)
        if wait == 0:
            wait = self.by_ip.reserve(ip, now)
            if wait > 0:
                self.by_account.release(username)
        if wait > 0:
            self.by_pair.release(pair)
            raise _slowed(wait)

    def abandon_login(self, username: str, ip: str) -> None:
        """Release what :meth:`begin_login` held when the check did not finish (an error)."""
        self.by_pair.release(_pair(username, ip))
        self.by_account.release(username)
        self.by_ip.release(ip)

    def verify(self, username: str, password: str) -> dict[str, Any] | None:
        """The account when the password matches, else None. Slow on purpose (scrypt)."""
        account = self.get(username)
        stored = account["password_hash"] if account else DUMMY_HASH
        ok = verify_password(password, stored)
        return account if ok and account else None

    def record_login(
        self, account: dict[str, Any] | None, username: str, ip: str, now: float
    ) -> tuple[str, float]:
        """Finish a login whose password was checked by :meth:`verify`.

        Settles the attempt :meth:`begin_login` held (if any).

        Returns:
            The bearer token and when it expires.

        Raises:
            AccountError: bad credentials (the same message for an unknown ID and a wrong
                password), a disabled account, or throttling.
        """
        pair = _pair(username, ip)
        if account is None:
            tries_left = self._count_failure(username, ip, now)
            raise AccountError(
                "bad_credentials",
                f"wrong ID or password; {tries_left} more wrong tries lock this ID here "
                f"for {int(LOGIN_WINDOW_S // 60)} minutes",
                details={"tries_left": tries_left},
            )
        self.abandon_login(username, ip)  # the password was right: the held attempt is no failure
        if account.get("disabled"):
            raise AccountError(
                "account_disabled", "this account is disabled; ask your administrator"
            )
        self.by_pair.reset(pair)
        self.known_addresses.add(username, ip, now)
        return self.issue_token(account, now)

    def _count_failure(self, username: str, ip: str, now: float) -> int:
        """A wrong password against every budget; the pair's tries left, or ``throttled``
        when this failure locked the pair."""
        pair = _pair(username, ip)
        self.by_account.fail(username, now)
        self.by_ip.fail(ip, now)
        wait = self.by_pair.fail(pair, now)
        if wait > 0:
            raise _locked(wait)
        return self.by_pair.tries_left(pair, now)

    def record_password_check(
        self, account: dict[str, Any] | None, username: str, ip: str, now: float
    ) -> None:
        """Finish a check of a signed-in agent's own password (the agent app's lock, A8): the
        same budgets as a login (:meth:`begin_login` held the attempt), no token.

        Raises:
            AccountError: ``wrong_password`` (with ``tries_left``) or ``throttled``.
        """
        pair = _pair(username, ip)
        if account is None:
            tries_left = self._count_failure(username, ip, now)
            raise AccountError(
                "wrong_password",
                f"wrong password; {tries_left} more wrong tries lock it here "
                f"for {int(LOGIN_WINDOW_S // 60)} minutes",
                details={"tries_left": tries_left},
            )
        self.abandon_login(username, ip)
        self.by_pair.reset(pair)

    def issue_token(self, account: dict[str, Any], now: float) -> tuple[str, float]:
        """A new bearer token for ``account`` (after a password check, or for a sign-in
        handoff the account's own token asked for). Returns the token and when it expires.

        Raises:
            AccountError: ``account_disabled``.
        """
        if account.get("disabled"):
            raise AccountError(
                "account_disabled", "this account is disabled; ask your administrator"
            )
        username = account["username"]
        token = secrets.token_urlsafe(32)
        hashed = token_hash(token)
        expires_at = now + self.token_lifetime_s
        doc_id = self.store.insert(
            TOKENS,
            {
                "token_hash": hashed,
                "username": username,
                "role": account["role"],
                "expires_at": expires_at,
            },
        )
        self._principals[hashed] = (
            Principal(username, account["role"], hashed),
            expires_at,
            doc_id,
        )
        self._last_active[hashed] = now
        return token, expires_at

    def authenticate(self, token: str, now: float) -> Principal | None:
        hashed = token_hash(token)
        entry = self._principals.get(hashed)
        if self.store.kind != "tinydb" and (
            entry is None or now - self._checked_at.get(hashed, 0.0) >= TOKEN_RECHECK_S
        ):
            budget = self.unknown_tokens if entry is None else None
            address = self.address_of() if budget is not None else ""
            if budget is not None and (wait_s := budget.wait_s(address, now)) > 0:
                raise Refused(
                    "throttled", "too many unknown tokens from your address; try again later",
                    retry_after_s=wait_s,
                )  # fmt: skip
            if budget is not None and (wait_s := budget.relay_wait_s(now)) > 0:
                raise Refused(
                    "too_many_unknown_tokens",
                    "the relay is refusing unknown sign-ins for a moment; try again shortly",
                    retry_after_s=wait_s,
                )  # fmt: skip
            entry = self._shared_token(hashed, now)
            if entry is None and budget is not None:
                budget.missed(address, now)
        if entry is None:
            return None
        principal, expires_at, _ = entry
        if expires_at <= now or self._idle_too_long(principal.token_hash, now):
            self.revoke(principal.token_hash)
            return None
        self._last_active[principal.token_hash] = now
        return principal

    def _shared_token(self, hashed: str, now: float) -> tuple[Principal, float, int] | None:
        """Several nodes on one database: the token as the database has it now (signed in on
        another node, or signed out there), kept for :data:`TOKEN_RECHECK_S`."""
        doc = self.store.lookup(TOKENS, "token_hash", hashed, fresh=True)
        if doc is None:
            self._principals.pop(hashed, None)
            self._checked_at.pop(hashed, None)
            return None
        entry = (Principal(doc["username"], doc["role"], hashed), doc["expires_at"], doc.doc_id)
        self._principals[hashed] = entry
        self._checked_at[hashed] = now
        return entry

    def _idle_too_long(self, hashed: str, now: float) -> bool:
        idle_s = self.idle_timeout_s()
        last = self._last_active.get(hashed)
        return idle_s > 0 and last is not None and now - last > idle_s

    def touch(self, usernames: set[str], now: float) -> None:
        """Count these accounts' open session sockets as activity (the relay's tick)."""
        if not usernames:
            return
        for hashed, (principal, _, _) in self._principals.items():
            if principal.username in usernames:
                self._last_active[hashed] = now

    def signed_in(self, now: float) -> dict[str, float | None]:
        """Accounts with a live token: username → their last activity (None: none since the
        relay started)."""
        found: dict[str, float | None] = {}
        for hashed, (principal, expires_at, _) in self._principals.items():
            if expires_at <= now or self._idle_too_long(hashed, now):
                continue
            last = self._last_active.get(hashed)
            before = found.get(principal.username)
            if principal.username not in found or (last or 0) > (before or 0):
                found[principal.username] = last
        return found

    def revoke(self, hashed: str) -> None:
        self._last_active.pop(hashed, None)
        entry = self._principals.pop(hashed, None)
        if entry is not None:
            self.store.remove(TOKENS, entry[2])

    def sweep_throttles(self, now: float) -> None:
        """Forget expired login failures and old sign-in addresses (at most once a minute)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_S
        self.by_pair.sweep(now)
        self.by_account.sweep(now)
        self.by_ip.sweep(now)
        self.known_addresses.sweep(now)

    def prune_tokens(self, now: float) -> int:
        expired = [
            hashed
            for hashed, (_, expires_at, _) in self._principals.items()
            if expires_at <= now or self._idle_too_long(hashed, now)
        ]
        for hashed in expired:
            self.revoke(hashed)
        return len(expired)

    # -- helpers ---------------------------------------------------------------------------

    def _revoke_all(self, username: str) -> None:
        for hashed, (principal, _, _) in list(self._principals.items()):
            if principal.username == username:
                self.revoke(hashed)
        if self.store.kind != "tinydb":
            # Several nodes: tokens signed in on another node since this one read the table
            # are in the database only. Read it again (after committing what is pending).
            self.store.sync()
            self.store.forget(TOKENS)
            for doc in self.store.all(TOKENS):
                if doc["username"] == username:
                    self._principals.pop(doc["token_hash"], None)
                    self.store.remove(TOKENS, doc.doc_id)

    def accounts_changed(self, doc_ids: Sequence[int] | None) -> builtins.list[dict[str, Any]]:
        """Another node changed these accounts (all for ``None``; the store has read them
        again): their tokens are read again at their next use, not after
        :data:`TOKEN_RECHECK_S` (a sign-out, a new password or a disabled account holds at
        once). Returns the changed accounts that exist."""
        if doc_ids is None:
            self._checked_at.clear()
            return self.list()
        changed = [self.store.get(ACCOUNTS, doc_id) for doc_id in doc_ids]
        accounts = [dict(doc, doc_id=doc.doc_id) for doc in changed if doc is not None]
        names = {account["username"] for account in accounts}
        for hashed, (principal, _, _) in self._principals.items():
            if principal.username in names or len(accounts) < len(doc_ids):
                self._checked_at.pop(hashed, None)  # an account removed: recheck them all
        return accounts

    def tokens_changed(self, doc_ids: Sequence[int] | None) -> None:
        """Another node signed tokens in or out, or removed them (a password reset, a
        disabled account; the store has read the rows again): those this node holds are
        read again at their next use, not after :data:`TOKEN_RECHECK_S`."""
        if doc_ids is None:
            self._checked_at.clear()
            return
        changed = set(doc_ids)
        for hashed, (_, _, doc_id) in self._principals.items():
            if doc_id in changed:
                self._checked_at.pop(hashed, None)

    def _require(self, username: str) -> dict[str, Any]:
        account = self.get(username)
        if account is None:
            raise AccountError("account_not_found", f"no account named '{username}'")
        return account

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(
                "bad_request", f"a password needs at least {MIN_PASSWORD_CHARS} characters"
            )

    @staticmethod
    def _clean_profile(profile: dict[str, Any]) -> dict[str, str]:
        clean = {}
        for key in PROFILE_FIELDS:
            if key in profile and profile[key] is not None:
                value = profile[key]
                if not isinstance(value, str) or len(value) > MAX_PROFILE_CHARS:
                    raise AccountError(
                        "bad_request",
                        f"'{key}' must be text of at most {MAX_PROFILE_CHARS} characters",
                    )
                clean[key] = value.strip()
        return clean


def _pair(username: str, ip: str) -> str:
    return f"{username}\n{ip}"  # an ID never holds a newline


def _locked(wait: float) -> AccountError:
    minutes = int(wait // 60) + 1
    return AccountError(
        "throttled",
        f"too many wrong passwords for this ID from here; try again in {minutes} min",
        retry_after_s=max(0.1, round(wait, 1)),  # never 0: 0 drops the field
        details={"tries_left": 0},
    )


def _slowed(wait: float) -> AccountError:
    return AccountError(
        "throttled",
        f"too many failed logins; try again in {int(wait) + 1} s",
        retry_after_s=max(0.1, round(wait, 1)),  # never 0: 0 drops the field
    )
