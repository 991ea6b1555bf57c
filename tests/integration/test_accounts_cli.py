"""Account administration and operator options, for real: the users CLI on a data folder,
disabled accounts, ``--public-url`` and the relay's JSON log lines."""

from __future__ import annotations

import json

from tests.support.api import Api
from tests.support.relay import RelayProcess, run_relay_cli


def _users(relay: RelayProcess, *args: str) -> str:
    """Run ``python -m relay_server users --data <relay's folder> ARGS`` (relay stopped)."""
    return run_relay_cli("users", "--data", str(relay.data_dir), *args).stdout


def _listed(relay: RelayProcess) -> dict[str, list[str]]:
    """``users list`` as {username: [role, state]}."""
    rows = (line.split() for line in _users(relay, "list").splitlines() if line.strip())
    return {row[0]: row[1:3] for row in rows}


def test_disabling_refuses_login_and_revokes_live_tokens(relay):
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    bob_token = api.login("bob", "bob-password-1")
    relay.stop()
    assert "disabled 'alice'" in _users(relay, "disable", "alice")
    assert _listed(relay)["alice"] == ["agent", "disabled"]
    relay.start()
    api = Api(relay.url)
    status, body, _ = api.request("GET", "/api/me", token=token)
    assert (status, body["error"]["code"]) == (401, "unauthorized"), "the live token was revoked"
    assert api.request("GET", "/api/me", token=bob_token)[0] == 200, "other accounts keep theirs"
    login = {"username": "alice", "password": "alice-password-1"}
    status, body, _ = api.request("POST", "/api/login", json=login)
    assert (status, body["error"]["code"]) == (403, "account_disabled")
    assert "disabled" in body["error"]["message"]
    for _ in range(6):  # the right password of a disabled account is not a throttled failure
        assert api.request("POST", "/api/login", json=login)[0] == 403

    relay.stop()
    assert "enabled 'alice'" in _users(relay, "enable", "alice")
    assert _listed(relay)["alice"] == ["agent", "active"]
    relay.start()
    assert Api(relay.url).login("alice", "alice-password-1")


def test_passwd_and_admin_accounts_through_the_cli(relay):
    api = Api(relay.url)
    token = api.login("bob", "bob-password-1")
    relay.stop()
    out = _users(relay, "passwd", "bob", "--password", "bob-new-password-2")
    assert "logged out" in out
    _users(relay, "add", "carol", "--admin", "--password", "carol-password-1", "--name", "Carol")
    assert _listed(relay)["carol"] == ["admin", "active"]
    assert _listed(relay)["bob"] == ["agent", "active"]
    relay.start()
    api = Api(relay.url)
    assert api.request("GET", "/api/me", token=token)[0] == 401, "passwd logs the account out"
    status, body, _ = api.request(
        "POST", "/api/login", json={"username": "bob", "password": "bob-password-1"}
    )
    assert (status, body["error"]["code"]) == (401, "bad_credentials")
    assert api.login("bob", "bob-new-password-2")
    carol = api.login("carol", "carol-password-1")
    assert api.request("GET", "/api/me", token=carol)[1]["agent"]["name"] == "Carol"

    # The admin site's audit log shows what the command line did, as it shows its own changes.
    status, body, _ = api.request("GET", "/api/admin/audit", token=carol)
    assert status == 200
    entries = [(e["key"], e["account"]) for e in body["entries"] if e["key"].startswith("account.")]
    # newest first; below them the fixture's own accounts, made with the same command
    assert entries[:2] == [("account.created", "carol"), ("account.password_reset", "bob")]
    assert ("account.created", "alice") in entries[2:]
    made_here = {(e["actor"], e["via"], e["address"]) for e in body["entries"]
                 if e["key"].startswith("account.")}  # fmt: skip
    assert len(made_here) == 1
    actor, via, address = made_here.pop()
    assert "@" in actor and (via, address) == ("command_line", "")
    assert "bob-new-password-2" not in str(body)


def test_cli_refusals_are_clear(relay):
    relay.stop()
    for args, message in (
        (("disable", "nobody"), "no account named 'nobody'"),
        (("passwd", "bob", "--password", "short"), "at least"),
        (("add", "alice", "--password", "alice-password-9"), "exists already"),
    ):
        try:
            _users(relay, *args)
        except Exception as error:  # RelayError carries the command's output
            assert message in str(error) and "exited with 1" in str(error), error
        else:
            raise AssertionError(f"users {' '.join(args)} succeeded")


def test_public_url_is_what_the_agent_hands_out(relay_factory):
    relay = relay_factory("--public-url", "https://sales.example.com/")
    api = Api(relay.url)
    support = api.new_support(api.login("alice", "alice-password-1"))
    assert support["relay_url"] == "https://sales.example.com"
    assert support["join_url"] == f"https://sales.example.com/?code={support['code']}"
    assert f"https://sales.example.com/?code={support['code']}" in support["invitation_text"]
    assert "https://sales.example.com/ " in support["invitation_text"]


def test_log_lines_are_json_objects_with_the_standard_fields(relay):
    Api(relay.url).login("alice", "alice-password-1")
    relay.stop()
    entries = [
        json.loads(line) for line in relay.log_path.read_text().splitlines() if line.startswith("{")
    ]
    login = next(e for e in entries if e["msg"] == "agent logged in")
    assert isinstance(login["ts"], float) and login["ts"] > 1.7e9
    assert login["level"] == "info" and login["logger"] == "relay_server.web.app"
    assert login["username"] == "alice" and login["ip"] == "127.0.0.1"
    assert {"ts", "level", "logger", "msg"} <= set(entries[0])
    assert all(
        isinstance(e["msg"], str) and e["level"] in {"debug", "info", "warning", "error"}
        for e in entries
    )
