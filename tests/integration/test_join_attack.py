"""Guessing access codes from many addresses, against a real relay.

Client sockets bind to 127.x.y.z source addresses, so each is another client IP for the
relay's per-address limits. The relay runs with a small relay-wide budget (``--guess-budget``)
so that admission mode is reached in a few requests.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.support.api import Api, post_json_from
from tests.support.chat_client import ChatClient

BUDGET = 20


def _attack(url: str, guesses: int, first_address: int = 1) -> list[int]:
    """``guesses`` wrong codes, one per address (127.0.<n>.<m>); returns the statuses."""

    def guess(n: int) -> int:
        address = f"127.0.{(first_address + n) // 250 + 10}.{(first_address + n) % 250 + 1}"
        status, _ = post_json_from(url, "/api/join", {"code": f"9{n:08d}"}, address, 10)
        return status

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(guess, range(guesses)))


def _knocks_until(agent: ChatClient, done) -> list[dict]:
    """The agent's knock list from the first ``knocks_changed`` for which ``done`` holds."""
    while True:
        knocks = agent.recv_type("knocks_changed")["knocks"]
        if done(knocks):
            return knocks


def _agent_waiting(api: Api, relay) -> tuple[dict, ChatClient]:
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    agent = ChatClient(relay.ws_url, "agent", support["session_id"], token)
    agent.connect()
    assert agent.recv_type("knocks_changed")["knocks"] == []
    return support, agent


def test_a_valid_code_knocks_in_admission_mode_and_the_agent_admits(relay_factory):
    """After BUDGET wrong codes from BUDGET addresses a correct code knocks (202); the agent
    admits, and the customer chats with the agent."""
    relay = relay_factory("--guess-budget", str(BUDGET))
    api = Api(relay.url)
    support, agent = _agent_waiting(api, relay)
    assert set(_attack(relay.url, BUDGET)) == {404}
    status, knocking = post_json_from(
        relay.url, "/api/join", {"code": support["code"], "name": "Kim"}, "127.0.9.9", 10
    )
    assert status == 202 and knocking["status"] == "knocking", knocking
    knocks = agent.recv_type("knocks_changed")["knocks"]
    assert [(k["name"], k["via"]) for k in knocks] == [("Kim", "code")]
    agent.send({"type": "admit_knock", "knock_id": knocks[0]["id"]})
    status, admitted, _ = api.request("GET", f"/api/knocks/{knocking['knock_secret']}?wait_s=10")
    assert status == 200 and admitted["knock"]["state"] == "admitted"
    customer = ChatClient(
        relay.ws_url, "customer", support["session_id"], admitted["customer_token"]
    )
    assert customer.connect()["type"] == "welcome"
    customer.chat("hello after knocking", "c1")
    assert agent.recv_type("chat_message")["text"] == "hello after knocking"
    lists = [m["knocks"] for m in agent.received if m["type"] == "knocks_changed"]
    assert lists[-1] == []  # the agent's list is cleared when a customer is let in
    customer.close()
    agent.close()


def test_the_agent_refuses_a_knock_and_the_customer_is_told(relay_factory):
    """Refuse: the knocking customer's poll answers refused by the agent, and no one joined."""
    relay = relay_factory("--guess-budget", str(BUDGET))
    api = Api(relay.url)
    support, agent = _agent_waiting(api, relay)
    _attack(relay.url, BUDGET)
    status, knocking = post_json_from(
        relay.url, "/api/join", {"code": support["code"]}, "127.0.9.9", 10
    )
    assert status == 202
    knock = agent.recv_type("knocks_changed")["knocks"][0]
    agent.send({"type": "refuse_knock", "knock_id": knock["id"]})
    status, refused, _ = api.request("GET", f"/api/knocks/{knocking['knock_secret']}?wait_s=10")
    assert refused["knock"] == {**refused["knock"], "state": "refused", "reason": "agent"}
    assert "customer_token" not in refused
    assert agent.recv_type("knocks_changed")["knocks"] == []
    token = api.login("alice", "alice-password-1")
    still = api.request("GET", f"/api/supports/{support['session_id']}", token=token)[1]
    assert (still["support"]["state"], still["support"]["code"]) == ("waiting", support["code"])
    agent.send({"type": "admit_knock", "knock_id": knock["id"]})  # too late: explained
    error = agent.recv_type("error")
    assert error["code"] == "not_allowed" and "no longer asking" in error["message"]
    agent.close()


def test_no_valid_code_is_refused_during_an_attack(relay_factory):
    """While many addresses guess, every customer with a valid code gets in or knocks."""
    relay = relay_factory("--guess-budget", str(BUDGET))
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    codes = [api.new_support(token)["code"] for _ in range(6)]
    answers = []
    with ThreadPoolExecutor(2) as pool:
        attack = pool.submit(_attack, relay.url, 3 * BUDGET)
        for n, code in enumerate(codes):
            answers.append(
                post_json_from(relay.url, "/api/join", {"code": code}, f"127.0.8.{n + 1}")
            )
        assert set(attack.result()) == {404}
    assert all(status in (200, 202) for status, _ in answers), answers
    status, _ = post_json_from(relay.url, "/api/join", {"code": codes[-1]}, "127.0.8.99")
    assert status in (202, 410)  # knocking again (code still live) or used: never "wrong"


def test_two_mistypes_then_the_right_code_join_at_once(api):
    """A customer who mistypes twice joins with the third try, well within 2 s."""
    token = api.login("alice", "alice-password-1")
    code = api.new_support(token)["code"]
    started = time.monotonic()
    for typo in (f"{(int(code) + 1) % 10**9:09d}", f"{(int(code) + 2) % 10**9:09d}"):
        assert api.request("POST", "/api/join", json={"code": typo})[0] == 404
    joined = api.join(code=code)
    assert joined["status"] == "joined"
    assert time.monotonic() - started < 2.0


def test_a_wrong_code_writes_nothing_to_the_journal(api, relay):
    """200 wrong codes from 100 addresses leave the relay's journal file as it was."""
    token = api.login("alice", "alice-password-1")
    for _ in range(20):
        api.new_support(token)
    journal = relay.data_dir / "journal.jsonl"
    size = journal.stat().st_size
    assert set(_attack(relay.url, 100) + _attack(relay.url, 100, first_address=100)) <= {404, 429}
    assert journal.stat().st_size == size


def test_icon_knocks_are_capped_per_session_and_per_address(api, relay):
    """Five knocks wait per session (a sixth is refused with too_many_knocks); one address may
    knock five times in ten minutes; the agent refuses them all at once."""
    support, agent = _agent_waiting(api, relay)
    icon = support["icon"]
    secrets = []
    for n in range(5):
        status, body = post_json_from(
            relay.url, "/api/join", {"icon": icon, "name": f"n{n}"}, f"127.0.7.{n + 1}"
        )
        assert status == 202, body
        secrets.append(body["knock_secret"])
    status, body = post_json_from(relay.url, "/api/join", {"icon": icon}, "127.0.7.99")
    assert (status, body["error"]["code"]) == (429, "too_many_knocks")
    for _ in range(4):  # the same address again: replaces its own knock, no new entry
        assert post_json_from(relay.url, "/api/join", {"icon": icon}, "127.0.7.1")[0] == 202
    status, body = post_json_from(relay.url, "/api/join", {"icon": icon}, "127.0.7.1")
    assert (status, body["error"]["code"]) == (429, "throttled")
    knocks = _knocks_until(agent, lambda knocks: [k["name"] for k in knocks][:1] == ["n1"])
    assert len(knocks) == 5  # n0 knocked again: it is the newest entry, not a sixth one
    agent.send({"type": "refuse_all_knocks"})
    assert _knocks_until(agent, lambda knocks: not knocks) == []
    for secret in secrets[1:]:
        answer = api.request("GET", f"/api/knocks/{secret}")[1]
        assert answer["knock"]["state"] == "refused"
    assert api.request("GET", f"/api/knocks/{secrets[0]}")[1]["knock"]["state"] == "withdrawn"
    assert api.request("GET", "/api/knocks/made-up")[0] == 404
    agent.close()
