"""The admin site's API (AD1) on a real relay: accounts listed, created, disabled, enabled and
given new passwords by an admin, with every refusal (no token, agent token, bad input, self).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from tests.support.api import Api
from tests.support.conversation import start_conversation
from tests.support.relay import ALICE, ROOT

ACCOUNTS = "/api/admin/accounts"


@pytest.fixture
def admin_relay(relay_factory):
    """A relay with alice, bob (agents) and root (admin)."""
    return relay_factory(agents=(ROOT,))


@pytest.fixture
def admin_api(admin_relay) -> Api:
    return Api(admin_relay.url)


@pytest.fixture
def root_token(admin_api: Api) -> str:
    return admin_api.login(ROOT.username, ROOT.password)


# The tests that change no account (reads and refusals, each checking that nothing changed)
# share the module's one relay: a relay and root's `users add` fewer for each.
SHARED_RELAY_AGENTS = (ROOT,)


@pytest.fixture
def shared_api(shared_relay) -> Api:
    """The module's one relay with alice, bob (agents) and root (admin)."""
    return Api(shared_relay.url)


@pytest.fixture
def shared_root_token(shared_api: Api) -> str:
    return shared_api.login(ROOT.username, ROOT.password)


def error_code(answer) -> tuple[int, str]:
    status, body, _ = answer
    return status, body.get("error", {}).get("code", "")


def test_admin_logs_in_with_the_agents_login_and_sees_every_account(shared_api, shared_root_token):
    """GET /api/admin/me and /accounts answer an admin; no password hash leaves the relay."""
    status, body, headers = shared_api.request("GET", "/api/admin/me", token=shared_root_token)
    assert status == 200
    assert body["admin"] == {
        "username": "root", "role": "admin", "disabled": False, "name": "Rita Root",
        "title": "", "company": "", "phone": "", "email": "",
    }  # fmt: skip
    assert headers["Cache-Control"] == "no-store"
    status, body, _ = shared_api.request("GET", ACCOUNTS, token=shared_root_token)
    assert status == 200
    assert [(a["username"], a["role"], a["disabled"]) for a in body["accounts"]] == [
        ("root", "admin", False),
        ("alice", "agent", False),
        ("bob", "agent", False),
    ]
    assert body["accounts"][1]["title"] == "Sales Manager"
    assert not any("password" in key or "hash" in key for a in body["accounts"] for key in a)


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", "/api/admin/me", None),
        ("GET", ACCOUNTS, None),
        ("POST", ACCOUNTS, {"username": "carol", "password": "carol-password"}),
        ("PUT", f"{ACCOUNTS}/bob", {"name": "Robert"}),
        ("POST", f"{ACCOUNTS}/bob/disable", None),
        ("POST", f"{ACCOUNTS}/bob/enable", None),
        ("PUT", f"{ACCOUNTS}/bob/password", {"password": "new-password-1"}),
    ],
)
def test_every_admin_route_refuses_no_token_and_an_agent_token(shared_api, method, path, json):
    """Without a token: 401 unauthorized; with an agent's token: 403 not_admin; nothing changes."""
    assert error_code(shared_api.request(method, path, json=json)) == (401, "unauthorized")
    assert error_code(shared_api.request(method, path, json=json, token="forged")) == (
        401,
        "unauthorized",
    )
    agent_token = shared_api.login(ALICE.username, ALICE.password)
    assert error_code(shared_api.request(method, path, json=json, token=agent_token)) == (
        403,
        "not_admin",
    )
    root_token = shared_api.login(ROOT.username, ROOT.password)
    accounts = shared_api.request("GET", ACCOUNTS, token=root_token)[1]["accounts"]
    assert [(a["username"], a["name"], a["disabled"]) for a in accounts] == [
        ("root", "Rita Root", False),
        ("alice", "Alice Kim", False),
        ("bob", "Bob Lee", False),
    ]
    shared_api.login("bob", "bob-password-1")  # bob's password is unchanged


def test_admin_creates_an_agent_who_can_then_log_in(admin_api, root_token):
    """POST /accounts makes an agent (default role) with a name; the agent logs in at once."""
    status, body, _ = admin_api.request(
        "POST",
        ACCOUNTS,
        json={"username": "carol", "password": "carol-password", "name": " Carol Choi "},
        token=root_token,
    )
    assert status == 201
    assert body["account"]["username"] == "carol"
    assert body["account"]["role"] == "agent"
    assert body["account"]["name"] == "Carol Choi"
    token = admin_api.login("carol", "carol-password")
    assert admin_api.request("GET", "/api/me", token=token)[1]["agent"]["name"] == "Carol Choi"
    assert error_code(admin_api.request("GET", ACCOUNTS, token=token)) == (403, "not_admin")


def test_admin_creates_another_admin(admin_api, root_token):
    """role "admin" makes an account that can use the admin API."""
    body = {"username": "dana", "password": "dana-password", "role": "admin"}
    assert admin_api.request("POST", ACCOUNTS, json=body, token=root_token)[0] == 201
    dana = admin_api.login("dana", "dana-password")
    assert admin_api.request("GET", "/api/admin/me", token=dana)[1]["admin"]["role"] == "admin"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "alice", "password": "long-enough-1"}, 409, "account_exists"),
        ({"username": "carol", "password": "short"}, 400, "weak_password"),
        ({"username": "carol"}, 400, "weak_password"),
        ({"username": "carol", "password": 12345678}, 400, "weak_password"),
        ({"username": "-carol", "password": "long-enough-1"}, 400, "bad_username"),
        ({"username": "ca rol", "password": "long-enough-1"}, 400, "bad_username"),
        ({"username": "x" * 65, "password": "long-enough-1"}, 400, "bad_username"),
        ({"password": "long-enough-1"}, 400, "bad_username"),
        ({"username": "carol", "password": "long-enough-1", "role": "root"}, 400, "bad_role"),
        ({"username": "carol", "password": "long-enough-1", "name": 5}, 400, "bad_request"),
        ({"username": "carol", "password": "long-enough-1", "name": "n" * 121}, 400, "bad_request"),
    ],
)
def test_create_refuses_bad_input_with_a_precise_code(
    shared_api, shared_root_token, body, status, code
):
    """Duplicate ID, short password, bad ID, unknown role, bad profile: refused, nothing made."""
    assert error_code(shared_api.request("POST", ACCOUNTS, json=body, token=shared_root_token)) == (
        status,
        code,
    )
    accounts = shared_api.request("GET", ACCOUNTS, token=shared_root_token)[1]["accounts"]
    assert [a["username"] for a in accounts] == ["root", "alice", "bob"]


def test_malformed_and_huge_bodies_are_refused(shared_api, shared_root_token):
    """A body that is not a JSON object is 400; one over 8 KiB is 413."""
    for raw, expected in ((b"not json", 400), (b"[1, 2]", 400), (b"{" + b" " * 9000 + b"}", 413)):
        request = urllib.request.Request(
            shared_api.base_url + ACCOUNTS,
            data=raw,
            method="POST",
            headers={
                "Authorization": f"Bearer {shared_root_token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == expected, raw[:20]


def test_disabling_an_agent_revokes_its_token_and_closes_its_sockets(admin_relay, root_token):
    """Disable: the agent's token gets 401, its chat socket closes 4007 (account disabled, so
    the page can say so), its login is refused; enable: it logs in again."""
    api = Api(admin_relay.url)
    talk = start_conversation(admin_relay)
    try:
        status, body, _ = api.request("POST", f"{ACCOUNTS}/alice/disable", token=root_token)
        assert status == 200
        assert body["account"]["disabled"] is True
        assert talk.agent.close_code() == 4007
        assert error_code(api.request("GET", "/api/me", token=talk.token)) == (401, "unauthorized")
        assert error_code(api.request("POST", "/api/supports", token=talk.token)) == (
            401,
            "unauthorized",
        )
        login = {"username": "alice", "password": ALICE.password}
        assert error_code(api.request("POST", "/api/login", json=login)) == (
            403,
            "account_disabled",
        )
        listed = api.request("GET", ACCOUNTS, token=root_token)[1]["accounts"]
        assert [a["disabled"] for a in listed if a["username"] == "alice"] == [True]

        status, body, _ = api.request("POST", f"{ACCOUNTS}/alice/enable", token=root_token)
        assert status == 200
        assert body["account"]["disabled"] is False
        token = api.login("alice", ALICE.password)
        assert api.request("GET", "/api/me", token=token)[0] == 200
    finally:
        talk.agent.close()
        talk.customer.close()


def test_disabling_survives_a_restart(admin_relay, root_token):
    """The disabled flag is stored: after a restart the login is still refused."""
    api = Api(admin_relay.url)
    assert api.request("POST", f"{ACCOUNTS}/bob/disable", token=root_token)[0] == 200
    admin_relay.restart()
    api = Api(admin_relay.url)
    login = {"username": "bob", "password": "bob-password-1"}
    assert error_code(api.request("POST", "/api/login", json=login)) == (403, "account_disabled")


def test_an_admin_cannot_disable_themself(shared_api, shared_root_token):
    """Disabling your own account is refused (409 cannot_disable_self); you stay signed in."""
    assert error_code(
        shared_api.request("POST", f"{ACCOUNTS}/root/disable", token=shared_root_token)
    ) == (
        409,
        "cannot_disable_self",
    )
    assert shared_api.request("GET", "/api/admin/me", token=shared_root_token)[0] == 200


def test_an_admin_may_disable_another_admin_but_not_the_other_way_back(admin_api, root_token):
    """root disables admin dana; dana's token dies with it, so the last admin stays enabled."""
    body = {"username": "dana", "password": "dana-password", "role": "admin"}
    admin_api.request("POST", ACCOUNTS, json=body, token=root_token)
    dana = admin_api.login("dana", "dana-password")
    assert admin_api.request("POST", f"{ACCOUNTS}/dana/disable", token=root_token)[0] == 200
    assert error_code(admin_api.request("POST", f"{ACCOUNTS}/root/disable", token=dana)) == (
        401,
        "unauthorized",
    )


@pytest.mark.parametrize("action", ["disable", "enable"])
def test_unknown_accounts_are_404(shared_api, shared_root_token, action):
    """An unknown or malformed ID in the path: 404 account_not_found."""
    for name in ("nobody", "bad%20id", "%2e%2e"):
        path = f"{ACCOUNTS}/{name}/{action}"
        assert error_code(shared_api.request("POST", path, token=shared_root_token)) == (
            404,
            "account_not_found",
        )
    traversal = f"{ACCOUNTS}/..%2f..%2fetc/{action}"  # no route matches a slash in the ID
    assert shared_api.request("POST", traversal, token=shared_root_token)[0] == 404
    assert error_code(
        shared_api.request(
            "PUT", f"{ACCOUNTS}/nobody/password", json={"password": "long-enough-1"},
            token=shared_root_token,
        )
    ) == (404, "account_not_found")  # fmt: skip


def test_reset_password_revokes_tokens_and_the_new_one_works(admin_relay, root_token):
    """PUT .../password: the old token gets 401, its chat socket closes 4001, the old password
    fails, the new one works."""
    api = Api(admin_relay.url)
    talk = start_conversation(admin_relay, "bob", "bob-password-1")
    old_token = talk.token
    path = f"{ACCOUNTS}/bob/password"
    assert error_code(api.request("PUT", path, json={"password": "short"}, token=root_token)) == (
        400,
        "weak_password",
    )
    assert api.request("GET", "/api/me", token=old_token)[0] == 200  # a refused reset: no change
    assert api.request("PUT", path, json={"password": "bob-new-pass"}, token=root_token)[0] == 200
    assert talk.agent.close_code() == 4001
    talk.customer.close()
    assert error_code(api.request("GET", "/api/me", token=old_token)) == (401, "unauthorized")
    login = {"username": "bob", "password": "bob-password-1"}
    assert error_code(api.request("POST", "/api/login", json=login)) == (401, "bad_credentials")
    api.login("bob", "bob-new-pass")


def test_admin_edits_a_display_name(admin_api, root_token):
    """PUT /accounts/<id> changes profile fields; customers see the new name."""
    status, body, _ = admin_api.request(
        "PUT", f"{ACCOUNTS}/bob", json={"name": "Robert Lee"}, token=root_token
    )
    assert status == 200 and body["account"]["name"] == "Robert Lee"
    token = admin_api.login("bob", "bob-password-1")
    assert admin_api.request("GET", "/api/me", token=token)[1]["agent"]["name"] == "Robert Lee"


def test_every_change_to_an_account_is_in_the_audit_log(admin_api, root_token):
    """Created, profile changed, disabled, enabled, password reset: each in GET /api/admin/audit,
    newest first, with the admin, the time, the account and the client's address; a refused
    change leaves no line."""

    def call(method: str, path: str, body: dict | None = None) -> int:
        return admin_api.request(method, ACCOUNTS + path, json=body, token=root_token)[0]

    assert (
        call("POST", "", {"username": "erin", "password": "erin-password", "role": "admin"}) == 201
    )
    assert call("PUT", "/erin", {"name": "Erin Park"}) == 200
    assert call("POST", "/erin/disable") == 200
    assert call("POST", "/erin/enable") == 200
    assert call("PUT", "/erin/password", {"password": "short"}) == 400  # refused: no line
    assert call("PUT", "/erin/password", {"password": "erin-new-pass"}) == 200
    status, body, _ = admin_api.request("GET", "/api/admin/audit", token=root_token)
    assert status == 200
    # (below them: the fixture's accounts, made with the users command)
    entries = [e for e in body["entries"] if e["key"].startswith("account.") and "via" not in e]
    assert [e["key"] for e in entries] == [
        "account.password_reset", "account.enabled", "account.disabled",
        "account.profile_changed", "account.created",
    ]  # fmt: skip
    assert {(e["actor"], e["account"], e["address"]) for e in entries} == {
        (ROOT.username, "erin", "127.0.0.1")
    }
    assert entries[-1]["new"] == "admin"
    assert all(isinstance(e["at"], float) and e["at"] > 1.7e9 for e in entries)
    assert "erin-new-pass" not in str(body)


@pytest.mark.parametrize("path", ["/admin", "/admin/"])
def test_admin_page_is_served_with_the_strict_policy(shared_api, path):
    """GET /admin (or /admin/, as typed) is the admin page, under the relay's CSP."""
    status, body, headers = shared_api.request("GET", path)
    assert status == 200
    assert 'src="/ui/admin/main.js"' in body["_text"]
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_demo_relay_prints_a_demo_admin_that_can_use_the_admin_site(relay_factory):
    """`--demo` on an empty database makes a demo admin beside the demo agent and prints both."""
    demo = relay_factory("--demo", default_agents=False)
    api = Api(demo.url)
    printed = dict(
        re.findall(r"Demo (agent|admin): ID '[^']+', password '([^']+)'", demo.log_text())
    )
    assert printed.keys() == {"agent", "admin"}
    token = api.login("demo-admin", printed["admin"])
    accounts = api.request("GET", ACCOUNTS, token=token)[1]["accounts"]
    assert [(a["username"], a["role"]) for a in accounts] == [
        ("demo-admin", "admin"),
        ("demo", "agent"),
    ]
    assert "Admin page:" in demo.log_text()
    demo.restart()  # a second start prints the same admin and makes no other
    assert demo.log_text().count(f"password '{printed['admin']}'") == 2
