"""Rules of the admin site's account management (AD1), pure: no Bottle, no store, no clock.

The routes (``admin_routes.py``) ask these functions before they change an account, so every
refusal has one precise error code, and the rules can be tested without a relay:

- who may use the admin API (role ``admin``; an agent token is ``not_admin``);
- what a new account needs (an ID of the documented form, a long enough password, a role);
- whom an admin may disable (not themself, never the last enabled admin, so the relay always
  keeps someone who can manage it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from relay_server.accounts.fields import MAX_PROFILE_CHARS, PROFILE_FIELDS, USERNAME_RE
from relay_server.accounts.passwords import MIN_PASSWORD_CHARS
from relay_server.errors import Refused

ROLES = ("agent", "admin")


def require_admin(role: str) -> None:
    """Refuse a caller whose token is not an admin's.

    Raises:
        Refused: 403 ``not_admin``.
    """
    if role != "admin":
        raise Refused("not_admin", "this account is not an admin")


def check_password(password: Any) -> str:
    """The password when it is acceptable (text of at least ``MIN_PASSWORD_CHARS``).

    Raises:
        Refused: 400 ``weak_password`` (too short or not text).
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise Refused("weak_password", f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def check_new_account(data: dict[str, Any]) -> tuple[str, str, str, dict[str, str]]:
    """Validate a create request's body.

    Returns:
        ``(username, password, role, profile)``; ``role`` defaults to ``agent``, ``profile``
        holds the given profile fields (``name`` ...), stripped.

    Raises:
        Refused: 400 ``bad_username``, ``weak_password``, ``bad_role`` or ``bad_request`` (a
            profile field that is not text or is too long).
    """
    username = data.get("username")
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise Refused(
            "bad_username",
            "an ID is 1-64 letters, digits or . _ @ - and starts with a letter or digit",
        )
    password = check_password(data.get("password"))
    role = data.get("role", "agent")
    if role not in ROLES:
        raise Refused("bad_role", "role must be 'agent' or 'admin'")
    return username, password, role, check_profile(data)


def check_profile(data: dict[str, Any]) -> dict[str, str]:
    """The profile fields present in ``data``, stripped.

    Raises:
        Refused: 400 ``bad_request`` for a field that is not text or over the length limit.
    """
    profile = {}
    for key in PROFILE_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_PROFILE_CHARS:
            raise Refused(
                "bad_request",
                f"'{key}' must be text of at most {MAX_PROFILE_CHARS} characters",
            )
        profile[key] = value.strip()
    return profile


def check_disable(actor: str, target: dict[str, Any], accounts: Iterable[dict[str, Any]]) -> None:
    """Refuse disabling ``target`` when it would lock the admins out.

    Args:
        actor: the username of the admin asking.
        target: the account to disable.
        accounts: every account (to count the enabled admins).

    Raises:
        Refused: 409 ``cannot_disable_self``, 409 ``last_admin``.
    """
    if target["username"] == actor:
        raise Refused("cannot_disable_self", "you cannot disable your own account")
    if target.get("role") == "admin" and not target.get("disabled"):
        enabled_admins = [a for a in accounts if a.get("role") == "admin" and not a.get("disabled")]
        if len(enabled_admins) <= 1:
            raise Refused("last_admin", "the last enabled admin cannot be disabled")


def account_view(account: dict[str, Any]) -> dict[str, Any]:
    """What the admin site shows of an account: never the password hash or the store's id."""
    view: dict[str, Any] = {key: account.get(key, "") for key in PROFILE_FIELDS}
    view.update(
        username=account["username"],
        role=account.get("role", "agent"),
        disabled=bool(account.get("disabled")),
    )
    return view


def sorted_views(accounts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Account views, admins first, then by ID (case-insensitive)."""
    views = [account_view(a) for a in accounts]
    return sorted(views, key=lambda v: (v["role"] != "admin", v["username"].lower()))
