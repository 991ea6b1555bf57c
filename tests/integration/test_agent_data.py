"""Short messages, preferences and icon numbers follow the account, through a real relay."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.chat_client import end_session_as_agent
from tests.support.relay import ALICE, BOB

HI = {"key": "/hi", "text": "Hello {customer}, I am {agent}."}
PRICE = {"key": "/price", "text": "Our price list: https://example.com/prices"}
SHORT = "/api/me/short_messages"
PREFS = "/api/me/preferences"


def test_short_messages_are_stored_per_account_and_survive_a_restart(relay, api):
    """Saved short messages come back to any sign-in of the same account, after a restart too,
    and never to another account."""
    token = api.login(ALICE.username, ALICE.password)
    assert api.request("GET", SHORT, token=token)[1] == {"short_messages": [], "revision": 0}
    status, saved, _ = api.request(
        "PUT", SHORT, json={"short_messages": [HI, PRICE], "revision": 0}, token=token
    )
    assert status == 200 and saved == {"short_messages": [HI, PRICE], "revision": 1}
    second = api.login(ALICE.username, ALICE.password)  # another browser, or the desktop app
    assert api.request("GET", SHORT, token=second)[1]["short_messages"] == [HI, PRICE]
    bob = api.login(BOB.username, BOB.password)
    assert api.request("GET", SHORT, token=bob)[1]["short_messages"] == []
    relay.kill()
    relay.restart()
    fresh = Api(relay.url)
    token = fresh.login(ALICE.username, ALICE.password)
    assert fresh.request("GET", SHORT, token=token)[1] == {
        "short_messages": [HI, PRICE],
        "revision": 1,
    }


def test_a_save_from_an_older_list_is_refused_not_lost(api):
    """A window saving over a list another window changed meanwhile gets 409 with the current
    revision, and the other window's save stays."""
    token = api.login(ALICE.username, ALICE.password)
    api.request("PUT", SHORT, json={"short_messages": [HI], "revision": 0}, token=token)
    status, body, _ = api.request(
        "PUT", SHORT, json={"short_messages": [PRICE], "revision": 0}, token=token
    )
    assert status == 409 and body["error"]["code"] == "short_messages_changed"
    assert body["error"]["revision"] == 1
    assert api.request("GET", SHORT, token=token)[1]["short_messages"] == [HI]


def test_bad_short_messages_are_refused_with_what_is_wrong(api):
    """Each broken rule is a 400 naming the item; nothing is stored."""
    token = api.login(ALICE.username, ALICE.password)
    cases = [
        ({"short_messages": "hi"}, "bad_request", "must be a list"),
        ({"short_messages": [{"key": "hi", "text": "x"}]}, "bad_request", "short_messages[0].key"),
        ({"short_messages": [{"key": "/a b", "text": "x"}]}, "bad_request", "without spaces"),
        ({"short_messages": [{"key": "/hi", "text": "  "}]}, "bad_request", "must not be empty"),
        ({"short_messages": [{"key": "/hi", "text": "x" * 4001}]}, "bad_request", "4000"),
        ({"short_messages": [HI, {"key": "/HI", "text": "x"}]}, "bad_request", "used twice"),
        ({"short_messages": [{"key": "/hi", "text": "x", "extra": 1}]}, "bad_request", "exactly"),
        (
            {"short_messages": [{"key": f"/k{i}", "text": "x"} for i in range(201)]},
            "too_many_short_messages",
            "at most 200",
        ),
        ({"short_messages": [HI], "revision": "1"}, "bad_request", "revision"),
    ]
    for body, code, words in cases:
        status, answer, _ = api.request("PUT", SHORT, json=body, token=token)
        assert (status, answer["error"]["code"]) == (400, code), body
        assert words in answer["error"]["message"], answer
    huge = {"short_messages": [{"key": "/hi", "text": "x" * (6 * 1024 * 1024)}]}
    assert api.request("PUT", SHORT, json=huge, token=token)[0] == 413  # over 5 MiB: unread
    assert api.request("GET", SHORT, token=token)[1] == {"short_messages": [], "revision": 0}
    assert api.request("GET", SHORT)[0] == 401
    assert api.request("PUT", SHORT, json={"short_messages": []})[0] == 401


def test_importing_local_short_messages_twice_adds_them_once(api):
    """Messages kept in one browser or PC are added once: a second import (another tab, a
    retry) adds nothing, and a key the account has already keeps the account's text."""
    token = api.login(ALICE.username, ALICE.password)
    api.request("PUT", SHORT, json={"short_messages": [HI]}, token=token)
    local = [{"key": "/HI", "text": "local hello"}, PRICE]
    first = api.request("POST", SHORT + "/import", json={"short_messages": local}, token=token)
    assert first[0] == 200 and first[1]["added"] == 1
    assert first[1]["short_messages"] == [HI, PRICE]
    again = api.request("POST", SHORT + "/import", json={"short_messages": local}, token=token)
    assert again[1]["added"] == 0 and again[1]["revision"] == first[1]["revision"]
    assert api.request("GET", SHORT, token=token)[1]["short_messages"] == [HI, PRICE]


def test_preferences_merge_and_refuse_what_is_unknown(api):
    """Preferences start at their defaults, change partly, and refuse unknown keys and values
    out of range without changing anything."""
    token = api.login(ALICE.username, ALICE.password)
    defaults = api.request("GET", PREFS, token=token)[1]["preferences"]
    assert defaults == {
        "language": "",
        "idle_logout_minutes": 30,
        "attention": {"sound": True, "volume": 60, "notifications": True},
    }
    status, body, _ = api.request(
        "PUT", PREFS, json={"language": "ko", "attention": {"volume": 20}}, token=token
    )
    assert status == 200
    assert body["preferences"]["language"] == "ko"
    assert body["preferences"]["attention"] == {"sound": True, "volume": 20, "notifications": True}
    for bad, words in [
        ({"language": "fr"}, "'language'"),
        ({"idle_logout_minutes": 2.5}, "idle_logout_minutes"),
        ({"idle_logout_minutes": 1441}, "0-1440"),
        ({"attention": {"volume": 101}}, "attention.volume"),
        ({"attention": {"loud": True}}, "no option 'loud'"),
        ({"theme": "dark"}, "unknown preference(s): theme"),
    ]:
        status, answer, _ = api.request("PUT", PREFS, json=bad, token=token)
        assert status == 400 and words in answer["error"]["message"], (bad, answer)
    assert api.request("GET", PREFS, token=token)[1] == body
    other = api.login(BOB.username, BOB.password)
    assert api.request("GET", PREFS, token=other)[1]["preferences"]["language"] == ""
    assert api.request("PUT", PREFS, json={"language": "x" * 5000}, token=token)[0] == 413


def test_an_agents_icon_number_stays_across_supports_and_a_restart(relay, api):
    """Alice's second support shows the number her first showed, after Bob took one in
    between, and again after a relay restart; Bob's differs."""
    alice = api.login(ALICE.username, ALICE.password)
    bob = api.login(BOB.username, BOB.password)
    first = api.new_support(alice)
    bob_support = api.new_support(bob)
    assert bob_support["icon"] != first["icon"]
    end_session_as_agent(relay.ws_url, first["session_id"], alice)
    second = api.new_support(bob)  # Bob again: his own number, not Alice's free slot
    assert second["icon"] == bob_support["icon"]
    again = api.new_support(alice)
    assert again["icon"] == first["icon"]
    end_session_as_agent(relay.ws_url, again["session_id"], alice)
    relay.kill()
    relay.restart()
    fresh = Api(relay.url)
    alice = fresh.login(ALICE.username, ALICE.password)
    assert fresh.new_support(alice)["icon"] == first["icon"]
    waiting = fresh.request("GET", "/api/waiting")[1]["agents"]
    assert sorted(agent["icon"] for agent in waiting) == sorted(
        {first["icon"], bob_support["icon"]}
    )
