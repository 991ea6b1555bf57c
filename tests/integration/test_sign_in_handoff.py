"""Sign-in handoffs on a real relay (CH9): the desktop app's one-time link that signs the
system browser in to the same support (docs/protocol.md, *Sign-in handoff*)."""

from __future__ import annotations

import time

from tests.support.api import Api
from tests.support.chat_client import end_session_as_agent
from tests.support.relay import ALICE, BOB
from tests.support.waiting import wait_until


def _error(answer: tuple[int, dict, object]) -> tuple[int, str]:
    status, body, _ = answer
    return status, body.get("error", {}).get("code", "")


def test_a_handoff_signs_the_browser_in_to_that_support_once(relay):
    """The agent's token gets a ticket for its own live support (in the URL fragment); the
    ticket buys one sign-in of its own that opens that support; the second try is
    handoff_used; unknown tickets, other agents' supports and missing tokens are refused."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    support = api.new_support(token)
    session_id = support["session_id"]

    status, issued, _ = api.request("POST", "/api/handoffs", {"session_id": session_id}, token)
    assert status == 201, issued
    ticket = issued["ticket"]
    assert len(ticket) >= 43 and issued["url"] == f"{relay.url}/agent#handoff={ticket}"
    assert issued["session_id"] == session_id and issued["lifetime_s"] == 60
    assert ticket not in relay.log_text()  # the relay never logs the ticket

    status, signed_in, _ = api.request("POST", "/api/handoffs/redeem", {"ticket": ticket})
    assert status == 200, signed_in
    assert signed_in["session_id"] == session_id and signed_in["agent"]["username"] == "alice"
    browser_token = signed_in["token"]
    assert browser_token != token
    assert api.request("GET", "/api/me", token=browser_token)[0] == 200
    status, opened, _ = api.request("GET", f"/api/supports/{session_id}", token=browser_token)
    assert status == 200 and opened["support"]["session_id"] == session_id
    assert api.request("GET", "/api/me", token=token)[0] == 200  # the app stays signed in

    used = api.request("POST", "/api/handoffs/redeem", {"ticket": ticket})
    assert _error(used) == (410, "handoff_used")
    assert "already used" in used[1]["error"]["message"]
    unknown = api.request("POST", "/api/handoffs/redeem", {"ticket": "A" * 43})
    assert _error(unknown) == (404, "handoff_unknown")
    assert "not valid" in unknown[1]["error"]["message"]
    assert _error(api.request("POST", "/api/handoffs/redeem", {})) == (400, "bad_request")

    bob = api.login(BOB.username, BOB.password)
    assert _error(api.request("POST", "/api/handoffs", {"session_id": session_id}, bob)) == (
        404,
        "session_not_found",
    )
    assert _error(api.request("POST", "/api/handoffs", {"session_id": session_id})) == (
        401,
        "unauthorized",
    )
    assert ticket not in relay.log_text()


def test_expired_tickets_and_ended_supports_are_refused(relay_factory):
    """A ticket past its lifetime (here 1 s: --handoff-lifetime) is handoff_expired; a ticket
    of a support that has ended since is handoff_session_over; no handoff for an ended one."""
    relay = relay_factory("--handoff-lifetime", "1")
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    session_id = api.new_support(token)["session_id"]
    status, issued, _ = api.request("POST", "/api/handoffs", {"session_id": session_id}, token)
    assert status == 201 and issued["lifetime_s"] == 1
    # Expiry is a moment on the relay's clock (time.time(), as expires_at): wait for it.
    wait_until(lambda: time.time() > issued["expires_at"] + 0.05, "the ticket's expiry", 5, 0.05)
    expired = api.request("POST", "/api/handoffs/redeem", {"ticket": issued["ticket"]})
    assert _error(expired) == (410, "handoff_expired")
    assert "expired" in expired[1]["error"]["message"]

    fresh = api.request("POST", "/api/handoffs", {"session_id": session_id}, token)[1]
    end_session_as_agent(relay.ws_url, session_id, token)
    over = api.request("POST", "/api/handoffs/redeem", {"ticket": fresh["ticket"]})
    assert _error(over) == (410, "handoff_session_over")
    assert _error(api.request("POST", "/api/handoffs", {"session_id": session_id}, token)) == (
        404,
        "session_not_found",
    )
