"""Logging in and joining through a real relay: codes, icons, throttling."""

from __future__ import annotations

from tests.support.api import Api, post_json_from
from tests.support.chat_client import ChatClient


def _code_error(api: Api, code: str) -> tuple[int, dict]:
    status, body, headers = api.request("POST", "/api/join", json={"code": code})
    return status, body.get("error", {})


def test_wrong_used_and_malformed_codes_get_distinct_messages(api):
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    assert support["join_url"].endswith(f"/?code={support['code']}")
    assert support["code"] in support["invitation_text"]
    wrong = "000000" if support["code"] != "000000" else "111111"
    status, error = _code_error(api, wrong)
    assert (status, error["code"]) == (404, "invalid_code")
    assert "not valid" in error["message"]
    api.join(code=support["code"])
    status, error = _code_error(api, support["code"])
    assert (status, error["code"]) == (410, "code_used")
    assert "already been used" in error["message"]
    for bad in ("12345", "abcdef", 123456):
        status, body, _ = api.request("POST", "/api/join", json={"code": bad})
        assert (status, body["error"]["code"]) == (400, "bad_request")
    status, body, _ = api.request("POST", "/api/join", json={})
    assert status == 400


def test_ten_wrong_codes_lock_the_ip_and_burn_live_codes(api, relay):
    """Guessing is throttled per IP; a live code that saw 10 wrong guesses is burned and its
    waiting agent is pushed a fresh one."""
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    agent = ChatClient(relay.ws_url, "agent", support["session_id"], token)
    agent.connect()
    guesses = [f"{n:06d}" for n in range(10) if f"{n:06d}" != support["code"]][:10]
    while len(guesses) < 10:
        guesses.append("999999")
    for guess in guesses:
        assert _code_error(api, guess)[0] == 404
    status, body, headers = api.request("POST", "/api/join", json={"code": support["code"]})
    assert status == 429 and body["error"]["code"] == "throttled"
    assert 0 < body["error"]["retry_after_s"] <= 600
    assert int(headers["Retry-After"]) >= 1
    replaced = agent.recv_type("session_updated")["session"]
    assert replaced["code"] not in (None, support["code"])
    assert replaced["code_note"] == "code_replaced"
    assert replaced["code"] in replaced["invitation_text"]
    # From another IP (this one is locked): the old code is refused clearly, the new one works.
    status, body = _join_from(relay.url, "127.0.0.2", support["code"])
    assert (status, body["error"]["code"]) == (410, "code_replaced")
    assert "replaced after repeated wrong codes" in body["error"]["message"]
    status, body = _join_from(relay.url, "127.0.0.2", replaced["code"])
    assert status == 200 and body["session_id"] == support["session_id"]
    joined = agent.recv_type("session_updated")["session"]
    assert joined["state"] == "active" and joined["code_note"] is None


def _join_from(url: str, source_ip: str, code: str) -> tuple[int, dict]:
    return post_json_from(url, "/api/join", {"code": code}, source_ip, timeout_s=10)


def test_join_by_icon_takes_the_session_for_one_customer(api):
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    waiting = api.request("GET", "/api/waiting")[1]
    assert waiting["icons_enabled"] is True
    mine = [a for a in waiting["agents"] if a["icon"] == support["icon"]]
    assert mine == [
        {
            "icon": support["icon"],
            "name": "Alice Kim",
            "title": "Sales Manager",
            "company": "Acme",
            "photo_url": "",
        }
    ]
    joined = api.join(icon=support["icon"], name="Icon Customer")
    assert joined["session_id"] == support["session_id"]
    assert joined["agent"]["name"] == "Alice Kim"
    status, body, _ = api.request("POST", "/api/join", json={"icon": support["icon"]})
    assert (status, body["error"]["code"]) == (404, "icon_not_found")
    assert api.request("GET", "/api/waiting")[1]["agents"] == []
    status, body, _ = api.request("POST", "/api/join", json={"code": support["code"]})
    assert (status, body["error"]["code"]) == (410, "code_expired")


def test_icons_can_be_turned_off(relay_factory):
    relay = relay_factory("--no-icons")
    api = Api(relay.url)
    support = api.new_support(api.login("alice", "alice-password-1"))
    assert support["icon"] is None
    assert api.request("GET", "/api/waiting")[1] == {"icons_enabled": False, "agents": []}
    status, body, _ = api.request("POST", "/api/join", json={"icon": 1})
    assert (status, body["error"]["code"]) == (403, "icons_disabled")


def test_login_errors_do_not_reveal_which_ids_exist(api):
    unknown = api.request(
        "POST", "/api/login", json={"username": "nobody", "password": "whatever1"}
    )
    wrong = api.request("POST", "/api/login", json={"username": "alice", "password": "whatever1"})
    assert unknown[0] == wrong[0] == 401
    assert (
        unknown[1]
        == wrong[1]
        == {
            "error": {
                "code": "bad_credentials",
                "message": "wrong ID or password; 4 more wrong tries lock this ID here for "
                "10 minutes",
                "tries_left": 4,
            }
        }
    )
    status, body, _ = api.request("POST", "/api/login", json={"username": "alice"})
    assert (status, body["error"]["code"]) == (400, "bad_request")


def test_five_failed_logins_make_the_account_wait(api):
    for _ in range(4):
        assert (
            api.request("POST", "/api/login", json={"username": "bob", "password": "nope-nope"})[0]
            == 401
        )
    status, body, _ = api.request(
        "POST", "/api/login", json={"username": "bob", "password": "nope-nope"}
    )
    assert status == 429 and body["error"]["retry_after_s"] > 590
    status, body, _ = api.request(
        "POST", "/api/login", json={"username": "bob", "password": "bob-password-1"}
    )
    assert status == 429, "the right password must wait too while the account is locked"


def test_logout_revokes_the_token(api):
    token = api.login("alice", "alice-password-1")
    assert api.request("GET", "/api/me", token=token)[1]["agent"]["username"] == "alice"
    assert api.request("POST", "/api/logout", token=token)[0] == 204
    status, body, _ = api.request("GET", "/api/me", token=token)
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    assert api.request("POST", "/api/supports", token="made-up")[0] == 401
    assert api.request("POST", "/api/supports")[0] == 401


def test_agent_edits_the_profile_customers_see(api):
    token = api.login("alice", "alice-password-1")
    status, body, _ = api.request(
        "PUT", "/api/me", json={"title": "Head of Sales", "phone": "+82 2 555"}, token=token
    )
    assert status == 200 and body["agent"]["title"] == "Head of Sales"
    support = api.new_support(token)
    joined = api.join(code=support["code"])
    assert joined["agent"]["title"] == "Head of Sales"
    status, body, _ = api.request("PUT", "/api/me", json={"name": "x" * 500}, token=token)
    assert (status, body["error"]["code"]) == (400, "bad_request")


def test_bad_request_bodies_are_refused_clearly(api):
    for raw in (b"{not json", b"[1,2]"):
        import urllib.request

        request = urllib.request.Request(api.base_url + "/api/login", data=raw, method="POST")
        try:
            urllib.request.urlopen(request)
            raise AssertionError("expected an error status")
        except urllib.error.HTTPError as error:
            assert error.code == 400
    status, body, _ = api.request("GET", "/api/nothing-here")
    assert (status, body["error"]["code"]) == (404, "not_found")
