"""Login throttling that slows attackers without locking people out."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.api import post_json_from
from tests.support.relay import ROOT
from tests.support.waiting import wait_until


def _login(url: str, username: str, password: str, source_ip: str) -> tuple[int, dict]:
    return post_json_from(
        url, "/api/login", {"username": username, "password": password}, source_ip
    )


def test_wrong_passwords_from_elsewhere_do_not_lock_the_account(relay):
    """Five wrong passwords for alice from one address (told the tries left each time) lock
    alice there only: her right password from another address still logs in."""
    tries_left = []
    for _ in range(5):
        status, body = _login(relay.url, "alice", "guess-guess", "127.0.5.1")
        tries_left.append(body["error"].get("tries_left"))
    assert tries_left == [4, 3, 2, 1, 0], tries_left
    assert status == 429 and body["error"]["retry_after_s"] > 500
    status, body = _login(relay.url, "alice", "alice-password-1", "127.0.5.2")
    assert status == 200, body
    status, body = _login(relay.url, "alice", "alice-password-1", "127.0.5.1")
    assert status == 429 and body["error"]["tries_left"] == 0


def test_the_app_locks_password_check_shares_the_login_budget(relay):
    """POST /api/me/verify_password (the agent app's lock, A8) says yes to the right password
    without a new token, answers a wrong one 403 wrong_password with the tries left, and after
    five wrong ones from an address refuses it there (429), as a login of that ID would be."""
    here = "127.0.7.1"
    status, body = _login(relay.url, "alice", "alice-password-1", here)
    assert status == 200, body
    token = body["token"]

    def check(password: str) -> tuple[int, dict]:
        return post_json_from(
            relay.url, "/api/me/verify_password", {"password": password}, here, token=token
        )

    assert check("alice-password-1") == (200, {"verified": True})
    assert check("")[0] == 400
    assert post_json_from(relay.url, "/api/me/verify_password", {"password": "x"}, here)[0] == 401
    answers = [check("wrong-guess") for _ in range(5)]
    assert [s for s, _ in answers] == [403, 403, 403, 403, 429], answers
    assert [b["error"].get("tries_left") for _, b in answers] == [4, 3, 2, 1, 0]
    assert answers[0][1]["error"]["code"] == "wrong_password"
    assert check("alice-password-1")[0] == 429  # locked here, like a login
    assert _login(relay.url, "alice", "alice-password-1", here)[0] == 429


def test_one_persons_typos_do_not_lock_an_office_out(relay_factory):
    """Wrong logins for several IDs from one address slow others there by seconds at most, and
    an admin who signed in from there before gets in at once."""
    relay = relay_factory(agents=(ROOT,))
    office = "127.0.6.1"
    assert _login(relay.url, ROOT.username, ROOT.password, office)[0] == 200
    for n in range(8):
        status, body = _login(relay.url, f"typo{n}", "wrong-password", office)
        assert status in (401, 429), body
        if status == 429:
            assert body["error"]["retry_after_s"] <= 5, body
    assert _login(relay.url, ROOT.username, ROOT.password, office)[0] == 200

    def answered():  # the address waits what the relay says (seconds), then bob gets in
        status, body = _login(relay.url, "bob", "bob-password-1", office)
        if status != 429:
            return status, body
        assert body["error"]["retry_after_s"] <= 5, body
        time.sleep(body["error"]["retry_after_s"])
        return None

    status, body = wait_until(answered, "bob's login past the slowdown", 30, 0)
    assert status == 200, body


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_long_ids_are_refused_and_keep_no_memory(relay):
    """A thousand logins with distinct 60,000-character IDs are refused as username_too_long,
    and the relay's memory grows by a few MB at most (it kept +58 MB before)."""
    before = _rss_kib(relay.pid)
    for n in range(1000):
        status, body = _login(relay.url, f"{n}-" + "x" * 60_000, "wrong-password", "127.0.7.1")
        assert status == 400 and body["error"]["code"] == "username_too_long", body
    grown_mib = (_rss_kib(relay.pid) - before) / 1024
    assert grown_mib < 8, f"the relay grew by {grown_mib:.1f} MiB"
    assert _login(relay.url, "alice", "alice-password-1", "127.0.7.1")[0] == 200
