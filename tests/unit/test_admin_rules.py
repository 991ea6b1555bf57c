"""The admin site's account rules (relay_server/admin/rules.py), without a relay."""

from __future__ import annotations

import pytest

from relay_server.admin import rules
from relay_server.errors import Refused
from relay_server.web.http_bodies import http_status


def admin(username: str, disabled: bool = False) -> dict:
    return {"username": username, "role": "admin", "disabled": disabled, "password_hash": "x"}


def agent(username: str, disabled: bool = False) -> dict:
    return {"username": username, "role": "agent", "disabled": disabled, "password_hash": "x"}


def refused_code(call, *args) -> str | None:
    try:
        call(*args)
    except Refused as refused:
        return f"{http_status(refused)} {refused.code}"
    return None


@pytest.mark.parametrize(
    ("actor", "target", "accounts", "expected"),
    [
        ("root", agent("alice"), [admin("root"), agent("alice")], None),
        ("root", agent("alice", disabled=True), [admin("root"), agent("alice", True)], None),
        ("root", admin("root"), [admin("root"), admin("dana")], "409 cannot_disable_self"),
        ("root", admin("dana"), [admin("root"), admin("dana")], None),
        # root's own account was disabled elsewhere while its token lived: dana is the last.
        ("root", admin("dana"), [admin("root", True), admin("dana")], "409 last_admin"),
        ("root", admin("dana"), [admin("dana")], "409 last_admin"),
        # An already disabled admin may be "disabled" again: it locks no one out.
        ("root", admin("dana", True), [admin("root", True), admin("dana", True)], None),
    ],
)
def test_who_may_be_disabled(actor, target, accounts, expected):
    """Never yourself, never the last enabled admin; anyone else."""
    assert refused_code(rules.check_disable, actor, target, accounts) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"username": "carol", "password": "12345678"}, None),
        ({"username": "a.b_c@d-e", "password": "12345678", "role": "admin"}, None),
        ({"username": "carol", "password": "1234567"}, "400 weak_password"),
        ({"username": "carol", "password": None}, "400 weak_password"),
        ({"username": "", "password": "12345678"}, "400 bad_username"),
        ({"username": "_carol", "password": "12345678"}, "400 bad_username"),
        ({"username": ["carol"], "password": "12345678"}, "400 bad_username"),
        ({"username": "carol", "password": "12345678", "role": "owner"}, "400 bad_role"),
        ({"username": "carol", "password": "12345678", "email": 1}, "400 bad_request"),
    ],
)
def test_new_account_checks(body, expected):
    """Each bad field has its own code; the ID rule is the one `users add` applies."""
    assert refused_code(rules.check_new_account, body) == expected


def test_new_account_defaults_to_an_agent_and_strips_the_profile():
    """No role means agent; profile text is stripped; unknown keys are ignored."""
    body = {"username": "carol", "password": "12345678", "name": "  Carol ", "shoe": "42"}
    assert rules.check_new_account(body) == ("carol", "12345678", "agent", {"name": "Carol"})


def test_only_admins_pass_require_admin():
    """An agent's token is 403 not_admin."""
    assert refused_code(rules.require_admin, "admin") is None
    assert refused_code(rules.require_admin, "agent") == "403 not_admin"


def test_views_hide_the_hash_and_sort_admins_first():
    """The view has no password hash or store id; admins come first, then IDs A-Z."""
    accounts = [agent("bob"), {**agent("Alice"), "doc_id": 3, "name": "Alice"}, admin("root")]
    views = rules.sorted_views(accounts)
    assert [v["username"] for v in views] == ["root", "Alice", "bob"]
    assert all("password_hash" not in v and "doc_id" not in v for v in views)
    assert views[1] == {
        "username": "Alice", "role": "agent", "disabled": False, "name": "Alice",
        "title": "", "company": "", "phone": "", "email": "",
    }  # fmt: skip
