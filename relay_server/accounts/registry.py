"""Agent and admin accounts, bearer tokens and login throttling.

Passwords are hashed with scrypt (:mod:`relay_server.accounts.passwords`); tokens are random
and only their SHA-256 is stored, so a copy of the data folder does not hold usable tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tinydb import Query

from relay_server.accounts.fields import MAX_PROFILE_CHARS, PROFILE_FIELDS, USERNAME_RE
from relay_server.accounts.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD_CHARS,
    hash_password,
    verify_password,
)
from relay_server.store import Store
from relay_server.throttle import FailureThrottle

ACCOUNTS = "accounts"
TOKENS = "tokens"
LOGIN_FAILURES_LIMIT = 5
LOGIN_WINDOW_S = 600.0


class AccountError(Exception):
    """A refused account operation; ``code`` is the API error code, ``message`` for people."""

    def __init__(self, code: str, message: str, retry_after_s: float = 0.0):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


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
    ):
        self.store = store
        self.token_lifetime_s = token_lifetime_s
        self.hasher = hasher
        self.by_account = FailureThrottle(LOGIN_FAILURES_LIMIT, LOGIN_WINDOW_S)
        self.by_ip = FailureThrottle(LOGIN_FAILURES_LIMIT, LOGIN_WINDOW_S)
        self._principals: dict[str, tuple[Principal, float, int]] = {}
        for doc in store.table(TOKENS).all():
            self._principals[doc["token_hash"]] = (
                Principal(doc["username"], doc["role"], doc["token_hash"]),
                doc["expires_at"],
                doc.doc_id,
            )

    # -- accounts --------------------------------------------------------------------------

    def get(self, username: str) -> dict[str, Any] | None:
        doc = self.store.table(ACCOUNTS).get(Query().username == username)
        return dict(doc, doc_id=doc.doc_id) if doc else None

    def list(self) -> list[dict[str, Any]]:
        return [dict(doc, doc_id=doc.doc_id) for doc in self.store.table(ACCOUNTS).all()]

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
        """Refuse (throttled) when the account or the IP must wait; holds nothing.

        A login that then yields (the scrypt check) must use :meth:`begin_login` instead.
        """
        wait = max(self.by_account.retry_after(username, now), self.by_ip.retry_after(ip, now))
        if wait > 0:
            raise _throttled(wait)

    def begin_login(self, username: str, ip: str, now: float) -> None:
        """Check both budgets and hold one attempt on each, in one step (nothing yields).

        The held attempt counts as a failure until :meth:`record_login` or
        :meth:`abandon_login` settles it, so concurrent wrong passwords cannot all pass the
        check while the first ones are still being verified.

        Raises:
            AccountError: throttled (nothing is held then).
        """
        wait = self.by_account.reserve(username, now)
        if wait == 0:
            wait = self.by_ip.reserve(ip, now)
            if wait > 0:
                self.by_account.release(username)
        if wait > 0:
            raise _throttled(wait)

    def abandon_login(self, username: str, ip: str) -> None:
        """Release what :meth:`begin_login` held when the check did not finish (an error)."""
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
        if account is None:
            wait = max(self.by_account.fail(username, now), self.by_ip.fail(ip, now))
            if wait > 0:
                raise _throttled(wait)
            raise AccountError("bad_credentials", "wrong ID or password")
        self.abandon_login(username, ip)  # the password was right: the held attempt is no failure
        if account.get("disabled"):
            raise AccountError(
                "account_disabled", "this account is disabled; ask your administrator"
            )
        self.by_account.reset(username)
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
        return token, expires_at

    def authenticate(self, token: str, now: float) -> Principal | None:
        entry = self._principals.get(token_hash(token))
        if entry is None:
            return None
        principal, expires_at, _ = entry
        if expires_at <= now:
            self.revoke(principal.token_hash)
            return None
        return principal

    def revoke(self, hashed: str) -> None:
        entry = self._principals.pop(hashed, None)
        if entry is not None:
            self.store.remove(TOKENS, entry[2])

    def prune_tokens(self, now: float) -> int:
        expired = [h for h, (_, expires_at, _) in self._principals.items() if expires_at <= now]
        for hashed in expired:
            self.revoke(hashed)
        return len(expired)

    # -- helpers ---------------------------------------------------------------------------

    def _revoke_all(self, username: str) -> None:
        for hashed, (principal, _, _) in list(self._principals.items()):
            if principal.username == username:
                self.revoke(hashed)

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


def _throttled(wait: float) -> AccountError:
    return AccountError(
        "throttled",
        f"too many failed logins; try again in {int(wait) + 1} s",
        retry_after_s=round(wait, 1),
    )
