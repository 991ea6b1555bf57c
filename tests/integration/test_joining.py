"""Logging in and joining through a real relay: codes, icons, throttling."""

from __future__ import annotations

from tests.support.api import Api, post_json_from
from tests.support.chat_client import ChatClient


def _code_error(api: Api, code: str) -> tuple[int, dict]:
    status, body, headers = api.request("POST", "/api/join", json={"code": code})
    return status, body.get("error", {})


def test_wrong_used_and_malformed_codes_get_distinct_messages(api):
    """Wrong, used and malformed codes each get their own status and message."""
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    code = support["code"]
    assert len(code) == 9 and code.isdigit()
    assert support["join_url"].endswith(f"/?code={code}")
    assert f"{code[:3]} {code[3:6]} {code[6:]}" in support["invitation_text"]
    wrong = "000000000" if code != "000000000" else "111111111"
    status, error = _code_error(api, wrong)
    assert (status, error["code"]) == (404, "invalid_code")
    assert "not valid" in error["message"]
    api.join(code=code)
    status, error = _code_error(api, code)
    assert (status, error["code"]) == (410, "code_used")
    assert "already been used" in error["message"]
    for bad in ("123456", "12345678a", "1234567890", 123456789, "x" * 10_000):
        status, body, _ = api.request("POST", "/api/join", json={"code": bad})
        assert (status, body["error"]["code"]) == (400, "bad_request")
        assert "9 digits" in body["error"]["message"]
    status, body, _ = api.request("POST", "/api/join", json={})
    assert status == 400


def test_a_nine_digit_code_joins_as_typed_in_groups(api):
    """ "482 913 706" and "482-913-706" are the same code as "482913706"."""
    token = api.login("alice", "alice-password-1")
    for form in ("{a} {b} {c}", "{a}-{b}-{c}", " {a}{b} {c} "):
        code = api.new_support(token)["code"]
        typed = form.format(a=code[:3], b=code[3:6], c=code[6:])
        joined = api.join(code=typed)
        assert joined["status"] == "joined" and joined["customer_token"]


def test_wrong_codes_make_the_address_wait_but_never_retire_live_codes(api, relay):
    """After three wrong codes an address waits (1 s, then growing); no live code is retired
    or replaced, so the code the agent gave out still joins from another address."""
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    agent = ChatClient(relay.ws_url, "agent", support["session_id"], token)
    agent.connect()
    wrong = [f"{n:09d}" for n in range(4) if f"{n:09d}" != support["code"]][:3]
    assert [_code_error(api, guess)[0] for guess in wrong] == [404, 404, 404]
    status, body, headers = api.request("POST", "/api/join", json={"code": support["code"]})
    assert status == 429 and body["error"]["code"] == "throttled"
    assert 0 < body["error"]["retry_after_s"] <= 1
    assert int(headers["Retry-After"]) >= 1
    status, body = _join_from(relay.url, "127.0.0.2", support["code"])
    assert status == 200 and body["session_id"] == support["session_id"]
    joined = agent.recv_type("session_updated")["session"]
    assert joined["state"] == "active" and "code_note" not in joined
    updates = [m for m in agent.received if m["type"] == "session_updated"]
    assert len(updates) == 1, "the agent was pushed a code change before the customer joined"
    agent.close()


def _join_from(url: str, source_ip: str, code: str) -> tuple[int, dict]:
    return post_json_from(url, "/api/join", {"code": code}, source_ip, timeout_s=10)


def test_picking_an_icon_knocks_and_the_agent_admits(api, relay):
    """An icon number is public: picking it asks the agent, who admits; then it is taken."""
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    agent = ChatClient(relay.ws_url, "agent", support["session_id"], token)
    agent.connect()
    assert agent.recv_type("knocks_changed")["knocks"] == []
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
    status, knocking, _ = api.request(
        "POST", "/api/join", json={"icon": support["icon"], "name": "Icon Customer"}
    )
    assert status == 202 and knocking["status"] == "knocking"
    assert knocking["knock"]["state"] == "pending" and "customer_token" not in knocking
    assert knocking["agent"]["name"] == "Alice Kim"
    knocks = agent.recv_type("knocks_changed")["knocks"]
    assert [(k["name"], k["via"]) for k in knocks] == [("Icon Customer", "icon")]
    agent.send({"type": "admit_knock", "knock_id": knocks[0]["id"]})
    status, admitted, _ = api.request("GET", f"/api/knocks/{knocking['knock_secret']}?wait_s=10")
    assert status == 200 and admitted["knock"]["state"] == "admitted"
    assert admitted["session_id"] == support["session_id"]
    customer = ChatClient(
        relay.ws_url, "customer", support["session_id"], admitted["customer_token"]
    )
    assert customer.connect()["type"] == "welcome"
    assert agent.recv_type("session_updated")["session"]["customer_name"] == "Icon Customer"
    status, body, _ = api.request("POST", "/api/join", json={"icon": support["icon"]})
    assert (status, body["error"]["code"]) == (404, "icon_not_found")
    assert api.request("GET", "/api/waiting")[1]["agents"] == []
    status, body, _ = api.request("POST", "/api/join", json={"code": support["code"]})
    assert (status, body["error"]["code"]) == (410, "code_used")
    customer.close()
    agent.close()


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
